"""The sync doors' event loops: private loops, kept per thread, and stepping a run on one.

``invoke`` runs its graph on a private loop in the caller's own thread (:func:`run_here`);
the host thread behind a sync ``stream`` does the same (:mod:`streamgraph.engine.hosted`).
A run is stepped without an asyncio task for as long as only sync code runs, and moves into
a task of the loop once async code of its nodes needs one (:func:`task_point`). A loop is
kept for the thread's next run and closed when the thread ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any

from streamgraph.engine import running_loop

__all__ = [
    "Yields",
    "close_at_run_end",
    "give_back",
    "run_here",
    "run_on",
    "take_loop",
    "task_point",
]


# -- this thread's private loops -------------------------------------------------------------
class _Loops:
    """A thread's idle private loops; closed when the thread ends (or at exit)."""

    __slots__ = ("__weakref__", "idle")

    def __init__(self) -> None:
        self.idle: list[asyncio.AbstractEventLoop] = []
        weakref.finalize(self, _close_all, self.idle, os.getpid())


def _close_all(loops: list[asyncio.AbstractEventLoop], pid: int) -> None:
    if os.getpid() != pid:
        # A forked child's copies: a loop's selector (epoll) is shared with the parent, and
        # closing it here would unregister the parent's wake-up socket, so the parent's loop
        # would never wake again. Kept, never closed nor collected.
        _INHERITED.extend(loops)
    else:
        for loop in loops:
            loop.close()
    loops.clear()


_INHERITED: list[asyncio.AbstractEventLoop] = []


_LOCAL = threading.local()


def take_loop() -> asyncio.AbstractEventLoop:
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


def give_back(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any] | None) -> None:
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


def run_on(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any],
    started: Callable[[asyncio.Task[Any]], None] | None = None,
) -> Any:
    """Run ``coro`` to its end on ``loop`` (this thread runs no loop) and return its result.

    It is stepped right here, in a copy of the context, until it first waits or enters
    async node code; only then does it go on in a task of ``loop`` (``started`` gets it).
    """
    context = contextvars.copy_context()
    if not running_loop.FAST:  # no private hook to step it here: a task from the start
        task = context.run(loop.create_task, coro)
    else:
        running_loop.set_running_loop(loop)
        try:
            first = context.run(coro.send, None)
        except StopIteration as stop:
            return stop.value
        finally:
            running_loop.set_running_loop(None)
        task = context.run(loop.create_task, _continue(_Forward(coro, first)))
    if started is not None:
        started(task)
    return loop.run_until_complete(task)


def run_here(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to its end on a private loop in this thread, and return its result.

    Inside a running loop and without asyncio's private hook to hide it, the private loop
    runs in a helper thread instead, the caller's context copied, while the caller waits.
    """
    outer = running_loop.get_running_loop()
    if outer is not None and not running_loop.FAST:
        return _run_in_helper_thread(coro)
    if outer is not None:
        running_loop.set_running_loop(None)
    loop = take_loop()
    tasks: list[asyncio.Task[Any]] = []
    try:
        return run_on(loop, coro, tasks.append)
    finally:
        give_back(loop, tasks[0] if tasks else None)
        if outer is not None:
            running_loop.set_running_loop(outer)


def _run_in_helper_thread(coro: Coroutine[Any, Any, Any]) -> Any:
    context = contextvars.copy_context()
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, context.run(run_here, coro)))
        except BaseException as exc:
            outcome.append((False, exc))

    helper = threading.Thread(target=run, name="streamgraph-invoke", daemon=True)
    helper.start()
    helper.join()
    ok, value = outcome[0]
    if ok:
        return value
    raise value
