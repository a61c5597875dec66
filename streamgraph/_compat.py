"""Typing names across Python 3.10 to 3.13, without importing typing_extensions on 3.11+.

typing_extensions is slow to import; ``typing`` has everything we use from 3.11 on.
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    from typing import NotRequired, Self, TypedDict
else:  # pragma: no cover - exercised by the 3.10 test run
    from typing_extensions import NotRequired, Self, TypedDict

__all__ = ["NotRequired", "Self", "TypedDict", "is_typeddict"]


def is_typeddict(cls: Any) -> bool:
    """Whether ``cls`` is a TypedDict class, from ``typing`` or ``typing_extensions``."""
    return (
        isinstance(cls, type)
        and issubclass(cls, dict)
        and hasattr(cls, "__total__")
        and hasattr(cls, "__required_keys__")
    )
