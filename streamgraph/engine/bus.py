"""The stream bus: a FIFO from the run's producers to the one consumer.

Producers (nodes, models, writers; in the loop's thread or in worker threads) call
``put`` with an already shaped item. The async bus wakes a waiting consumer only when it
is actually waiting, so a burst of tokens costs one wake-up, not one per token.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections import deque
from typing import Any

__all__ = ["AsyncBus", "End"]


class End:
    """The last item of a run: its error, if it failed."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error

    def reraise(self) -> None:
        """Raise the run's error (the very object a node raised), if it failed."""
        if self.error is not None:
            raise self.error


class AsyncBus:
    """Consumed by a coroutine on ``loop``; ``put`` is safe from any thread."""

    __slots__ = ("_loop", "_thread", "_waiter", "items")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.items: deque[Any] = deque()
        self._loop = loop
        self._thread = threading.get_ident()
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: Any) -> None:
        self.items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if threading.get_ident() == self._thread:
                _wake(waiter)
            else:
                try:
                    self._loop.call_soon_threadsafe(_wake, waiter)
                except RuntimeError:
                    pass  # the consumer's loop is gone: nobody is left to read this

    async def wait_for(self, fut: asyncio.Future[Any]) -> None:
        """Return once an item is queued or ``fut`` is done."""
        waiter = self._loop.create_future()
        wake = functools.partial(_wake_on, waiter)
        fut.add_done_callback(wake)
        self._waiter = waiter
        try:
            if not self.items:  # a producer thread may have put one before it saw the waiter
                await waiter
        finally:
            self._waiter = None
            fut.remove_done_callback(wake)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _wake_on(waiter: asyncio.Future[None], _fut: asyncio.Future[Any]) -> None:
    _wake(waiter)
