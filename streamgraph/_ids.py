"""Fresh random ids in uuid4 form, built without the cost of ``uuid.UUID``.

They identify runs, tasks and messages; they are not secrets, so they come from Python's
own generator (seeded from the OS, and again in a forked child) rather than a system call
per id.
"""

from __future__ import annotations

import random

__all__ = ["new_id"]


_bits = random.getrandbits


def new_id() -> str:
    """A random version-4 uuid as a string (the form of ``str(uuid4())``)."""
    raw = bytearray(_bits(128).to_bytes(16, "little"))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
