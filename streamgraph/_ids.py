"""Fresh ids in uuid4 form, cheap enough to give every run, task and message its own.

An id is a per-process random prefix (74 random bits, drawn from the OS, and drawn again
in a forked child) followed by a per-process counter: unique within the process, and
across processes as unlikely to collide as two uuid4s sharing those 74 bits. They name
things; they are not secrets.
"""

from __future__ import annotations

import itertools
import os

__all__ = ["new_id"]


def _fresh_prefix() -> str:
    raw = bytearray(os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"


_prefix = _fresh_prefix()
_count = itertools.count(int.from_bytes(os.urandom(4), "big"))


def new_id() -> str:
    """A fresh id shaped like ``str(uuid4())``."""
    return f"{_prefix}{next(_count) & 0xFFFFFFFFFFFF:012x}"


def _after_fork() -> None:
    global _prefix, _count
    _prefix = _fresh_prefix()
    _count = itertools.count(int.from_bytes(os.urandom(4), "big"))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
