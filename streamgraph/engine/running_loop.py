"""This thread's running event loop: read, hidden and set, through asyncio's private hooks
when they are there and behave, and through public paths otherwise.

The version-sensitive internals streamgraph relies on, all named here:

- ``asyncio.events._get_running_loop`` / ``_set_running_loop``: reading this thread's
  running loop without raising, and setting it while the engine steps a coroutine by hand
  (so code in it sees its loop) or runs a sync node in a thread whose private loop is
  running (so the node sees none, as in a worker, and may call ``asyncio.run``). Checked at
  import by :func:`_self_test`. Without them the engine takes public paths with the same
  behaviour, only slower: the first step of a run goes into a task at once, a lone sync
  node runs in a worker thread, ``invoke`` inside a running loop runs its graph in a helper
  thread.
- The future protocol's ``_asyncio_future_blocking`` flag (``engine/driver.py``): how a
  future that a coroutine yields is told apart from a bare ``yield``; Task itself and
  ``asyncio.isfuture`` read the same flag. Checked at import by :func:`_self_test`, which
  raises ``ImportError`` naming it if a Python changes it, rather than run wrongly.

``STREAMGRAPH_PUBLIC_ASYNCIO=1`` in the environment forces the public paths (the tests run
the streaming contract through them).
"""

from __future__ import annotations

import asyncio
import os
from asyncio import events
from collections.abc import Callable

__all__ = ["FAST", "Hidden", "get_running_loop", "set_running_loop"]


def _public_get() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _unavailable(loop: asyncio.AbstractEventLoop | None) -> None:
    raise RuntimeError("setting the running loop needs asyncio's private hook (FAST is False)")


def _self_test(
    get: Callable[[], asyncio.AbstractEventLoop | None],
    set_: Callable[[asyncio.AbstractEventLoop | None], None],
) -> bool:
    """True when ``get``/``set_`` agree with the public API on a loop of our own."""
    if _public_get() is not None:
        return False  # imported inside a running loop: cannot test without disturbing it
    loop = asyncio.new_event_loop()
    try:
        set_(loop)
        try:
            seen_public = asyncio.get_running_loop()
            seen = get()
        finally:
            set_(None)
        return seen is loop and seen_public is loop and get() is None and _public_get() is None
    except Exception:
        return False
    finally:
        loop.close()


def _check_future_protocol() -> None:
    """A future awaited in a coroutine is yielded with ``_asyncio_future_blocking`` set."""
    loop = asyncio.new_event_loop()
    try:
        fut = loop.create_future()

        async def waits() -> None:
            await fut

        coro = waits()
        yielded = coro.send(None)
        coro.close()
        ok = yielded is fut and getattr(yielded, "_asyncio_future_blocking", None) is True
    finally:
        loop.close()
    if not ok:
        raise ImportError(
            "this Python's asyncio futures no longer mark themselves with "
            "_asyncio_future_blocking when awaited; streamgraph's astream relies on it "
            "(streamgraph/engine/running_loop.py lists what it needs)"
        )


_check_future_protocol()

_private_get = getattr(events, "_get_running_loop", None)
_private_set = getattr(events, "_set_running_loop", None)
FAST: bool = (
    os.environ.get("STREAMGRAPH_PUBLIC_ASYNCIO", "") in ("", "0")
    and callable(_private_get)
    and callable(_private_set)
    and _self_test(_private_get, _private_set)
)

get_running_loop: Callable[[], asyncio.AbstractEventLoop | None]
set_running_loop: Callable[[asyncio.AbstractEventLoop | None], None]
if FAST:
    get_running_loop = _private_get  # type: ignore[assignment]
    set_running_loop = _private_set  # type: ignore[assignment]
else:
    get_running_loop = _public_get
    set_running_loop = _unavailable


class Hidden:
    """``with Hidden():`` runs its block with no running loop visible (only when FAST)."""

    __slots__ = ("_loop",)

    def __enter__(self) -> None:
        self._loop = get_running_loop()
        set_running_loop(None)

    def __exit__(self, *exc: object) -> None:
        set_running_loop(self._loop)
