"""The classes a state schema names, which its checkpoints may therefore hold.

``compile(checkpointer=...)`` allows them in the saver's serializer, so a state of
dataclasses, pydantic models and enums round-trips with no list to keep by hand.

>>> import enum
>>> from typing import TypedDict
>>> class Mood(enum.Enum):
...     OK = 1
>>> class State(TypedDict):
...     moods: list[Mood]
>>> types_in([State]) == [Mood]
True
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import typing
from collections.abc import Iterable
from typing import Any

__all__ = ["types_in"]


def types_in(schemas: Iterable[Any]) -> list[type]:
    """Enums, dataclasses, pydantic models and named tuples reachable from ``schemas``."""
    found: dict[int, type] = {}
    seen: set[int] = set()
    todo: list[Any] = list(schemas)
    while todo:
        hint = todo.pop()
        if id(hint) in seen:
            continue
        seen.add(id(hint))
        todo.extend(typing.get_args(hint))
        if not isinstance(hint, type):
            continue
        storable = (
            issubclass(hint, enum.Enum)
            or dataclasses.is_dataclass(hint)
            or _is_pydantic_model(hint)
            or (issubclass(hint, tuple) and hasattr(hint, "_fields"))
        )
        if storable and hint.__module__ != "builtins":
            found.setdefault(id(hint), hint)
        todo.extend(_field_hints(hint))
    return [cls for cls in found.values() if not _is_schema_only(cls)]


def _field_hints(cls: type) -> list[Any]:
    if issubclass(cls, enum.Enum) or cls.__module__ in ("builtins", "typing", "collections.abc"):
        return []
    if not (
        typing.is_typeddict(cls)
        or dataclasses.is_dataclass(cls)
        or _is_pydantic_model(cls)
        or hasattr(cls, "_fields")
    ):
        return []
    try:
        return list(typing.get_type_hints(cls, include_extras=True).values())
    except Exception:  # an annotation that does not resolve: nothing more to find there
        return []


def _is_pydantic_model(cls: type) -> bool:
    module = sys.modules.get("pydantic")
    return module is not None and issubclass(cls, module.BaseModel)


def _is_schema_only(cls: type) -> bool:
    return False
