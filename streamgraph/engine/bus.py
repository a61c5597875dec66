"""The stream bus: a FIFO from the run's producers to the one consumer.

Producers (nodes, models, writers; in the loop's thread or in worker threads) call
``put`` with an already shaped item. The async bus wakes a waiting consumer only when it
is actually waiting, so a burst of tokens costs one wake-up, not one per token.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

__all__ = ["AsyncBus", "End", "Waiter"]


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

    __slots__ = ("_armed", "_loop", "_thread", "_waiter", "items")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.items: deque[Any] = deque()
        self._loop = loop
        self._thread = threading.get_ident()
        self._waiter: Waiter | None = None  # made at the first wait, then reused
        self._armed: Waiter | None = None  # the waiter, while the consumer waits on it

    def put(self, item: Any) -> None:
        self.items.append(item)
        waiter = self._armed
        if waiter is not None:
            self._armed = None
            if threading.get_ident() == self._thread:
                waiter.wake()
            else:
                try:
                    self._loop.call_soon_threadsafe(waiter.wake)
                except RuntimeError:
                    pass  # the consumer's loop is gone: nobody is left to read this

    def until(self, fut: asyncio.Future[Any]) -> Waiter | None:
        """What the consumer awaits to wait until an item is queued or ``fut`` is done.

        None when an item is queued already. Awaiting the waiter is awaiting ``fut`` itself,
        as far as the consumer's task can tell: ``fut``'s result or error is thrown in as
        the task would throw it into whoever awaits ``fut``, and cancelling the task cancels
        ``fut``. An item put meanwhile ends the wait with ``fut`` still pending.
        """
        waiter = self._waiter
        if waiter is None:
            waiter = self._waiter = Waiter(self)
        waiter.fut = fut
        self._armed = waiter
        if self.items:  # a producer thread may have put one before it saw the waiter
            self._armed = waiter.fut = None
            return None
        waiter.waiting = True
        return waiter


class Waiter:
    """A future-like object the consumer's task waits on in place of the future the run awaits.

    The task hands its wake-up to :meth:`add_done_callback`, which puts it on the run's
    future itself: once that future is done the task wakes in the same loop iteration it
    would if it awaited the future directly, with no future or callback of ours in between.
    Only when another producer puts an item does :meth:`wake` take the wake-up back off the
    future and call it itself. The task reads ``result()`` (None) only after such a wake.
    """

    __slots__ = ("_asyncio_future_blocking", "_bus", "_context", "_wakeup", "fut", "waiting")

    def __init__(self, bus: AsyncBus) -> None:
        self._asyncio_future_blocking = False
        self._bus = bus
        self._wakeup: Callable[..., object] | None = None
        self._context: contextvars.Context | None = None
        self.fut: asyncio.Future[Any] | None = None
        self.waiting = False  # from :meth:`AsyncBus.until` until woken or resumed

    def __await__(self) -> Generator[Any, None, None]:
        self._asyncio_future_blocking = True
        try:
            yield self
        finally:
            self._bus._armed = None
            self.waiting = False
            self._wakeup = self._context = self.fut = None

    def __repr__(self) -> str:
        return f"<stream bus waiter for {self.fut!r}>"

    # -- what the consumer's task calls ------------------------------------------------
    def get_loop(self) -> asyncio.AbstractEventLoop:
        fut = self.fut
        get_loop = getattr(fut, "get_loop", None)
        return get_loop() if get_loop is not None else fut._loop  # type: ignore[union-attr]

    def add_done_callback(
        self, fn: Callable[..., object], *, context: contextvars.Context | None = None
    ) -> None:
        if not self.waiting or self.fut is None:  # woken already: call back at once
            self._bus._loop.call_soon(fn, self, context=context)
            return
        self._wakeup = fn
        self._context = context
        self.fut.add_done_callback(fn, context=context)

    def remove_done_callback(self, fn: Callable[..., object]) -> int:
        if fn is not self._wakeup:
            return 0
        self._wakeup = None
        assert self.fut is not None
        return self.fut.remove_done_callback(fn)

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the run's future, as the task would if it awaited it (False once woken)."""
        if not self.waiting or self.fut is None:
            return False  # the wake-up is on its way: the task then throws in its cancellation
        return self.fut.cancel(msg)

    def done(self) -> bool:
        return not self.waiting or self.fut is None or self.fut.done()

    def cancelled(self) -> bool:
        return False

    def result(self) -> None:
        return None

    # -- what the bus calls ------------------------------------------------------------
    def wake(self) -> None:
        """End the wait for an item (in the loop's thread): move the wake-up off the future."""
        if not self.waiting:
            return
        self.waiting = False
        fn = self._wakeup
        if fn is not None and self.fut is not None:
            self._wakeup = None
            if self.fut.remove_done_callback(fn):
                self._bus._loop.call_soon(fn, self, context=self._context)
            # else the future is done and its callbacks (the wake-up among them) are queued
