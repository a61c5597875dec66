"""The sync doors: a run steps in a greenlet of the caller's own thread.

``stream`` starts no thread. The run's coroutine runs on a private event loop inside a
greenlet of the calling thread; a lone sync node runs right there, and each item it puts
on the stream switches straight back to the consumer, which takes it and switches back
for more. A token therefore reaches the consumer without a thread handoff. ``invoke``
runs the private loop in the caller's thread directly.

Items put from other threads (the sync nodes of a parallel step run in worker threads)
are queued, and the run's loop is woken to hand them over. Each greenlet keeps its own
running event loop: a switch sets the one of the greenlet it resumes, so the consumer,
between two items, sees its own (usually none) and may run other graphs or
``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
import weakref
from asyncio import events
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent, greenlet

from streamgraph.engine.bus import End
from streamgraph.errors import RunCancelled

if TYPE_CHECKING:
    from streamgraph.engine.grace import Cleanup

get_ident = threading.get_ident

__all__ = [
    "GreenRun",
    "Yields",
    "close_at_run_end",
    "consumer_iterates",
    "run_here",
    "task_point",
]

_get_running_loop = events._get_running_loop
_set_running_loop = events._set_running_loop


# -- this thread's private loops -------------------------------------------------------------
class _Loops:
    """A thread's idle private loops; closed when the thread ends (or at exit)."""

    __slots__ = ("__weakref__", "idle")

    def __init__(self) -> None:
        self.idle: list[asyncio.AbstractEventLoop] = []
        weakref.finalize(self, _close_all, self.idle)


def _close_all(loops: list[asyncio.AbstractEventLoop]) -> None:
    for loop in loops:
        loop.close()
    loops.clear()


_LOCAL = threading.local()


def _take_loop() -> asyncio.AbstractEventLoop:
    loops: _Loops | None = getattr(_LOCAL, "loops", None)
    if loops is not None and loops.idle:
        return loops.idle.pop()
    return _new_loop()


_PRIVATE: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
_AT_RUN_END: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, list[Callable[[], Awaitable[Any]]]
] = weakref.WeakKeyDictionary()


def close_at_run_end(loop: asyncio.AbstractEventLoop, aclose: Callable[[], Awaitable[Any]]) -> bool:
    """Await ``aclose()`` when the run on ``loop`` ends, if it is one of our private loops.

    For what belongs to one loop (an async HTTP client): a private loop is kept for later
    runs, so nothing else would close it. False (nothing registered) for any other loop.
    """
    if loop not in _PRIVATE:
        return False
    _AT_RUN_END.setdefault(loop, []).append(aclose)
    return True


def _new_loop() -> asyncio.AbstractEventLoop:
    loop = asyncio.new_event_loop()
    _PRIVATE.add(loop)
    return loop


async def _close_each(closers: list[Callable[[], Awaitable[Any]]]) -> None:
    for aclose in closers:
        try:
            await aclose()
        except Exception:
            pass


def _give_back(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any] | None) -> None:
    """Close what the run left on ``loop`` and keep it for the next run in this thread."""
    closers = _AT_RUN_END.pop(loop, None)
    if closers:
        loop.run_until_complete(_close_each(closers))
    if task is not None and not task.done():  # interrupted: the loop is not reusable
        loop.close()
        return
    loops: _Loops | None = getattr(_LOCAL, "loops", None)
    if loops is None:
        loops = _LOCAL.loops = _Loops()
    loops.idle.append(loop)


def _forget_after_fork() -> None:
    # a forked child must not share the parent's loops (their wake-up sockets)
    global _LOCAL
    _LOCAL = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


# -- running a coroutine on a private loop -----------------------------------------------------
_NEED_TASK = object()  # yielded by a run about to enter async code of its nodes


class Yields(tuple[object, ...]):
    """Awaiting it yields what the tuple holds to whoever steps the coroutine (iterating a
    tuple: no generator to build, which matters where it is awaited once per token)."""

    __slots__ = ()
    __await__ = tuple.__iter__


_ENTER_TASK = Yields((_NEED_TASK,))
_IN_TASK = Yields(())


def task_point() -> Any:
    """What the engine awaits before it runs async code of a node or edge.

    A sync door steps its run without an asyncio task for as long as only sync code runs
    (a chain of sync nodes never needs the loop); async code may need a task (timeouts,
    cancel scopes), so there the run moves into one.
    """
    return _ENTER_TASK if asyncio.current_task() is None else _IN_TASK


class _Forward:
    """The rest of a coroutine that was stepped outside a task, continued inside one."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, yielded = self.coro, self.first
        while True:
            value, error = None, None
            if yielded is not _NEED_TASK:
                try:
                    value = yield yielded  # a future it waits on: the task waits for it
                except BaseException as exc:
                    error = exc
            try:
                yielded = coro.send(value) if error is None else coro.throw(error)
            except StopIteration as stop:
                return stop.value


async def _continue(forward: _Forward) -> Any:
    return await forward


def _run_on(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any],
    started: Callable[[asyncio.Task[Any]], None] | None = None,
) -> Any:
    """Run ``coro`` to its end on ``loop`` (this thread runs no loop) and return its result.

    It is stepped right here, in a copy of the context, until it first waits or enters
    async node code; only then does it go on in a task of ``loop`` (``started`` gets it).
    """
    context = contextvars.copy_context()
    _set_running_loop(loop)
    try:
        first = context.run(coro.send, None)
    except StopIteration as stop:
        return stop.value
    finally:
        _set_running_loop(None)
    task = context.run(loop.create_task, _continue(_Forward(coro, first)))
    if started is not None:
        started(task)
    return loop.run_until_complete(task)


def run_here(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to its end on a private loop in this thread, and return its result."""
    outer = _get_running_loop()
    _set_running_loop(None)
    loop = _take_loop()
    tasks: list[asyncio.Task[Any]] = []
    try:
        return _run_on(loop, coro, tasks.append)
    finally:
        _give_back(loop, tasks[0] if tasks else None)
        _set_running_loop(outer)


# -- a streamed run --------------------------------------------------------------------------
def consumer_iterates(chunks: Iterable[Any], accept: Callable[[Any], None]) -> list[Any] | None:
    """In a sync stream's run, let its consumer pull ``chunks`` (see ``iterate_in_consumer``).

    None anywhere else (another thread, an async door, a stopped run): the caller iterates.
    """
    run: GreenRun | None = getattr(getcurrent(), "green_run", None)
    if run is None or run._closing or get_ident() != run._thread:
        return None
    return run.iterate_in_consumer(chunks, accept)


def _serve(job: GreenRun) -> None:
    """A pooled greenlet's life: run one job after another."""
    while True:
        job.run_body()
        consumer = job.consumer
        job = None  # type: ignore[assignment]
        _idle_greenlets().append(getcurrent())
        job = consumer.switch()  # the consumer takes the End; a later run resumes us with its job


def _idle_greenlets() -> list[greenlet]:
    idle: list[greenlet] | None = getattr(_LOCAL, "greenlets", None)
    if idle is None:
        idle = _LOCAL.greenlets = []
    return idle


def _take_greenlet() -> greenlet:
    idle = _idle_greenlets()
    return idle.pop() if idle else greenlet(_serve)


class GreenRun:
    """One run's coroutine on a private loop, in a greenlet of the consumer's thread.

    ``put`` is the run's stream (safe from any thread); the consumer reads ``items`` and
    calls ``pump`` whenever it is empty.
    """

    __slots__ = (
        "_closing",
        "_context",
        "_coro",
        "_driving",
        "_error",
        "_glet",
        "_loop",
        "_outer",
        "_resume",
        "_resume_loop",
        "_task",
        "_thread",
        "_waking",
        "consumer",
        "done",
        "items",
    )

    def __init__(self) -> None:
        self.items: deque[Any] = deque()
        self.consumer = getcurrent()
        self.done = False
        self._outer = _get_running_loop()  # the consumer's own running loop, if any
        self._thread = threading.get_ident()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._coro: Coroutine[Any, Any, Any] | None = None
        self._context = contextvars.copy_context()
        self._glet: greenlet | None = None  # the pooled greenlet running the coroutine
        self._resume: greenlet | None = None  # handed items over and waits to go on
        self._resume_loop: asyncio.AbstractEventLoop | None = None
        self._waking = False
        self._closing = False
        # a model stream the consumer iterates itself: (iterator, accept, chunks so far, context)
        self._driving: tuple[Iterator[Any], Callable[[Any], None], list[Any], Any] | None = None
        self._error: BaseException | None = None  # raised in the run's greenlet when resumed

    def start(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Give the run its coroutine; it starts at the first ``pump``."""
        self._coro = coro

    # -- the run's side ----------------------------------------------------------------------
    def put(self, item: Any) -> None:
        """Queue one item; from the consumer's thread, hand it over at once."""
        self.items.append(item)
        if get_ident() != self._thread:
            if not self._waking:
                self._wake()
            return
        glet = getcurrent()
        if glet is not self.consumer and not self._closing:
            # the consumer sets its own running loop when it resumes, and ours when back
            self._resume = glet
            self._resume_loop = _get_running_loop()  # none in a sync node: see TaskRunner
            self.consumer.switch()

    def _wake(self) -> None:
        self._waking = True
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._flush)
            except RuntimeError:
                pass  # the loop is closed: the run is over

    def _flush(self) -> None:
        self._waking = False
        if self.items and not self._closing:
            self._resume = getcurrent()
            self._resume_loop = _get_running_loop()
            try:
                self.consumer.switch()
            except asyncio.CancelledError:
                pass  # the consumer left while we waited: the run's task is cancelled too

    def iterate_in_consumer(
        self, chunks: Iterable[Any], accept: Callable[[Any], None]
    ) -> list[Any]:
        """Have the consumer pull ``chunks`` itself, accepting each: a list of them all.

        Called by the run's greenlet (a model call in a node), which waits meanwhile. The
        consumer steps the iterator in the run's context, so each chunk reaches the
        consumer without a switch between greenlets; errors come back here.
        """
        glet = getcurrent()
        out: list[Any] = []
        self._driving = (iter(chunks), accept, out, glet.gr_context)
        self._resume = glet
        self._resume_loop = _get_running_loop()
        self.consumer.switch()
        return out

    def _iterate_once(self) -> None:
        it, accept, out, context = self._driving  # type: ignore[misc]
        me = getcurrent()
        own = me.gr_context
        me.gr_context = context  # the model's code sees the run's context vars
        try:
            chunk = next(it)
            accept(chunk)
        except StopIteration:
            self._driving = None
        except BaseException as exc:
            self._driving = None
            self._error = exc
        else:
            out.append(chunk)
        finally:
            me.gr_context = own

    def run_body(self) -> None:
        """Run the coroutine to its end on a private loop; the last item is its ``End``."""
        glet = getcurrent()
        glet.green_run = self  # type: ignore[attr-defined]  # see consumer_iterates
        loop = self._loop = _take_loop()
        coro, self._coro = self._coro, None
        try:
            _run_on(loop, coro, self._started)  # type: ignore[arg-type]
        except BaseException as exc:
            end = End(exc)
        else:
            end = End()
        glet.green_run = None  # type: ignore[attr-defined]
        _give_back(loop, self._task)
        self.done = True
        self._closing = True  # what worker threads still put after the end is not handed over
        self.items.append(end)

    def _started(self, task: asyncio.Task[Any]) -> None:
        self._task = task

    # -- the consumer's side -----------------------------------------------------------------
    def pump(self) -> None:
        """Run the run until it has put an item (its ``End`` once it is over)."""
        items = self.items
        outer = self._outer
        while not items:
            if self._driving is not None:
                self._iterate_once()
                continue
            # the run gets back the running loop it had; the consumer, its own
            if self._resume_loop is not outer:
                _set_running_loop(self._resume_loop)
            target = self._resume
            if target is None:  # the first time: a pooled greenlet takes the job
                glet = self._glet = _take_greenlet()
                glet.parent = self.consumer
                glet.gr_context = self._context
                glet.switch(self)
            elif self._error is not None:
                error, self._error = self._error, None
                target.throw(error)
            else:
                target.switch()
            if self._resume_loop is not outer:
                _set_running_loop(outer)

    def close(self, cleanup: Cleanup | None = None) -> None:
        """The consumer left early: stop the run where it handed over its last item.

        The node that handed it over gets ``RunCancelled`` (a sync node) or is cancelled (an
        async one) right there, so the run stops without waiting for its next chunk. The
        run is cancelled once, as ``task.cancel()`` does: an async node's cleanup (``finally:
        await ...``) runs on uncancelled, for up to ``cleanup.grace`` seconds. This returns
        once the run has unwound.
        """
        if self._resume is None:  # never started
            if self._coro is not None:
                self._coro.close()
            return
        if self.done or get_ident() != self._thread:
            return  # over, or dropped in another thread: it stops at its next chunk itself
        self._closing = True
        self._driving = self._error = None
        task, loop, target = self._task, self._resume_loop, self._resume
        timer = None
        resume: Callable[[], Any]
        if loop is None:  # a sync node: no loop is running where it waits
            if task is not None:
                task.cancel()
            resume = functools.partial(
                target.throw, RunCancelled("the consumer stopped reading the stream")
            )
        else:
            if task is not None and cleanup is not None and cleanup.grace is not None:
                timer = loop.call_later(cleanup.grace, _overran, task, cleanup)
            if task is None or asyncio.current_task(loop) is task:
                # handed over from the run's own task: cancel it right there (only there,
                # not in its task as well, or its cleanup would be cancelled a second time)
                resume = functools.partial(target.throw, asyncio.CancelledError())
            else:  # from a task it started, or a callback: cancel the run's task, once
                task.cancel()
                resume = target.switch
        self.items.clear()
        _set_running_loop(loop)
        try:
            resume()
        finally:
            _set_running_loop(self._outer)
        while not self.done:
            self.items.clear()
            self.pump()
        if timer is not None:
            timer.cancel()
        if cleanup is not None:
            cleanup.report("close()")


def _overran(task: asyncio.Task[Any], cleanup: Cleanup) -> None:
    """The grace of a closed run ran out: cancel what still unwinds, once more."""
    if not task.done():
        cleanup.expire()
        task.cancel()
