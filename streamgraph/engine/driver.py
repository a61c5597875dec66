"""Running an async run inside its consumer's own task.

``astream`` does not start a task for the run and then wait for its items: the consumer
steps the run's coroutine itself, the way an asyncio task would, whenever it has nothing
left to read. A model's token is in the consumer's hands as soon as the model yields it
(the model call awaits :func:`handoff`), anything else the run puts out as soon as it next
waits for anything; never with a trip through the event loop. The run costs no task to
start.

To the coroutine nothing changes: it runs in its own copy of the context, every future
it waits on is awaited by the consumer's task on its behalf, and cancelling that task
reaches the coroutine exactly where it waits, so ``asyncio.timeout`` inside a node keeps
working. Nodes that run elsewhere (several tasks of a step, sync nodes in worker threads)
put their items on the bus, which wakes the consumer while the run is waiting.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from streamgraph.engine.bus import AsyncBus, End
from streamgraph.engine.green import Yields
from streamgraph.engine.running_loop import get_running_loop

if TYPE_CHECKING:
    from streamgraph.engine.grace import Cleanup

__all__ = ["DropWatch", "InlineRun", "handoff"]

_BARE = object()  # the coroutine yielded nothing: it asks to let the loop run once
_DELIVER = object()  # the coroutine has items for the consumer: hand them over now
_DRIVER: contextvars.ContextVar[InlineRun | None] = contextvars.ContextVar(
    "streamgraph_driver", default=None
)
_HANDOFF = Yields((_DELIVER,))
_DROP_ROUNDS = 10_000  # a run still not unwound after this many cancellations is closed


def handoff() -> Any:
    """What a producer awaits after each item so the consumer gets it at once.

    None unless the code runs in the coroutine of an inline run, stepped by its consumer
    (not in a task or thread it started): only there does the consumer take over at once.
    """
    driver = _DRIVER.get()
    if driver is not None and driver.task is asyncio.current_task():
        return _HANDOFF
    return None


class InlineRun:
    """A run's coroutine, stepped by the task that reads its bus, which gets its ``End``."""

    __slots__ = ("_bus", "_context", "_coro", "_loop", "_pending", "finished", "task")

    def __init__(self, coro: Coroutine[Any, Any, None], bus: AsyncBus) -> None:
        self._coro = coro
        self._bus = bus
        self._loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()
        self._context.run(_DRIVER.set, self)
        self._pending: Any = None  # the future the coroutine waits on, or _BARE
        self.finished = False
        self.task = asyncio.current_task()  # the consumer's task, which steps the coroutine

    def advance(self) -> bool:
        """Step the run while it neither waits nor has items; False when it must wait."""
        items = self._bus.items
        while not items:
            if self._pending is not None or self._step(None):
                return bool(items)
        return True

    async def fill(self) -> None:
        """Advance the run until the bus holds an item (its ``End`` once the run is over).

        Raises ``CancelledError`` when the run ended cancelled.
        """
        bus = self._bus
        items = bus.items
        self.task = asyncio.current_task()
        while not items:
            error: BaseException | None = None
            pending = self._pending
            if pending is not None:
                self._pending = None
                if pending is _BARE:
                    try:
                        await asyncio.sleep(0)
                    except asyncio.CancelledError as exc:
                        error = exc
                elif not pending.done():
                    waiter = bus.until(pending)
                    try:
                        if waiter is not None:
                            await waiter  # to our task, this is awaiting ``pending`` itself
                    except BaseException as exc:
                        # what our task threw in where the run waits: ``pending``'s own error,
                        # or our task's cancellation, which cancels the run where it waits
                        if isinstance(exc, asyncio.CancelledError) and not pending.done():
                            pending.cancel()
                        error = exc
                    else:
                        if not pending.done():  # an item arrived first
                            self._pending = pending
                            continue
            if self._step(error):
                return

    async def cancel(self, cleanup: Cleanup) -> None:
        """Cancel the run once, where it waits, and step it until it has unwound.

        As after ``task.cancel()``, the run's own cleanup (``finally: await ...``) then
        goes on uncancelled, for up to ``cleanup.grace`` seconds; past that it is cancelled
        once more (``cleanup`` notes what was still unwinding). Cancelling the consumer's
        task meanwhile cancels the run again at once, and is raised once it has unwound.
        """
        if self.finished:
            return
        loop = asyncio.get_running_loop()
        deadline = None if cleanup.grace is None else loop.time() + cleanup.grace
        interrupted: asyncio.CancelledError | None = None
        error = self._interrupt()
        while not self.finished:
            pending = self._pending
            if error is None and pending is not None and (pending is _BARE or not pending.done()):
                # the run waits: let its cleanup wait too, until the grace runs out
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    deadline = None
                    cleanup.expire()
                    error = self._interrupt()
                    continue
                try:
                    if pending is _BARE:
                        await asyncio.sleep(0)
                    else:
                        await asyncio.wait((pending,), timeout=remaining)
                except asyncio.CancelledError as exc:  # our task was cancelled: pass it on
                    interrupted, deadline = exc, None
                    error = self._interrupt()
                    continue
                if pending is not _BARE and not pending.done():
                    continue  # the grace ran out
            self._pending = None
            try:
                self._step(error)
            except asyncio.CancelledError:
                break
            error = None
        if interrupted is not None:
            raise interrupted

    def _interrupt(self) -> BaseException | None:
        """Cancel the run where it waits: the error to throw into it, if it needs one.

        A future it waits on is cancelled, and the run reads that once the future has
        settled (a task it awaits may still clean up, or even return); waiting on nothing,
        it gets ``CancelledError`` at its next step, as a task would.
        """
        pending = self._pending
        if pending is not None and pending is not _BARE:
            if pending.cancel():
                return None
            _retrieve(pending)  # done already: it gets CancelledError instead, as a task would
        self._pending = None
        return asyncio.CancelledError()

    def drop(self) -> None:
        """Unwind the run right now, without awaiting: its consumer dropped it unclosed.

        Called where the stream was dropped (a consumer's loop left by an exception), so
        the run ends then, not whenever the event loop gets to finalize the stream: it is
        cancelled where it waits and again at each later wait (no grace period: that needs
        ``aclose()``), in its own context, so what it set there it resets there.
        """
        loop = self._loop
        if self.finished:
            return
        if loop.is_closed():  # nothing can wait any more: close the coroutine, in its context
            self.finished = True
            try:
                self._context.run(self._coro.close)
            except RuntimeError:
                pass  # its cleanup tried to wait
            return
        if loop.is_running() and get_running_loop() is not loop:
            return  # dropped in another thread: the loop's own finalizer closes the stream
        for _ in range(_DROP_ROUNDS):
            pending: Any = self._pending
            self._pending = None
            error: BaseException | None = None
            if pending is _BARE:
                error = asyncio.CancelledError()
            elif pending is not None and not pending.done():
                pending.cancel()
                pending.add_done_callback(_retrieve)  # nobody awaits it any more
                error = asyncio.CancelledError()
            try:
                if self._step(error):
                    return
            except asyncio.CancelledError:
                return
        self.finished = True  # it keeps catching its cancellation
        try:
            self._context.run(self._coro.close)
        except RuntimeError:
            pass

    def _finish(self) -> None:
        """The run is over: its context lets go of this driver (no cycle left for the GC)."""
        self.finished = True
        self._context.run(_DRIVER.set, None)

    def _step(self, error: BaseException | None) -> bool:
        """Resume the coroutine once; True when it has finished."""
        coro = self._coro
        try:
            if error is None:
                yielded = self._context.run(coro.send, None)
            else:
                yielded = self._context.run(coro.throw, error)
        except StopIteration:
            self._finish()
            self._bus.put(End())
            return True
        except asyncio.CancelledError:
            self._finish()
            raise
        except BaseException as exc:
            self._finish()
            self._bus.put(End(exc))
            return True
        if yielded is _DELIVER:
            return False
        if yielded is None:
            self._pending = _BARE
        elif getattr(yielded, "_asyncio_future_blocking", None) is not None:
            yielded._asyncio_future_blocking = False
            self._pending = yielded
        else:
            return self._step(RuntimeError(f"a run awaited {yielded!r}, which is not a future"))
        return False


def _retrieve(fut: asyncio.Future[Any]) -> None:
    """Mark a future's outcome as read, so that asyncio does not log it as never retrieved."""
    if not fut.cancelled():
        fut.exception()


class DropWatch:
    """Unwinds an ``astream`` run as soon as its consumer drops the stream unclosed.

    Python closes a dropped async generator only when the event loop next gets to it (and
    not at all if the loop closes first; the run's coroutine is then closed by the garbage
    collector, outside its context). A weak reference to the stream fires the moment it is
    dropped (its consumer's ``async for`` left by an exception), and unwinds the run there.
    """

    __slots__ = ("_ref", "_slot")

    def __init__(self) -> None:
        self._slot: list[Any] = []  # (run, cancel) once the run has started
        self._ref: weakref.ref[Any] | None = None

    def watch(self, stream: object) -> None:
        # the callback reaches the slot only, not this watch: no reference cycle
        self._ref = weakref.ref(stream, functools.partial(_dropped, self._slot))

    def arm(self, run: InlineRun, cancel: Callable[[], None]) -> None:
        """The stream's run has started: ``cancel`` marks it stopped, ``run`` unwinds."""
        self._slot[:] = (run, cancel)


def _dropped(slot: list[Any], _ref: object) -> None:
    if slot:
        run, cancel = slot
        if not run.finished:
            cancel()
            run.drop()
