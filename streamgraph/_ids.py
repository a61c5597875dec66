"""Fresh random ids in uuid4 form, built without the cost of ``uuid.UUID``."""

from __future__ import annotations

import os

__all__ = ["new_id"]


def new_id() -> str:
    """A random version-4 uuid as a string (same form and randomness as ``str(uuid4())``)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
