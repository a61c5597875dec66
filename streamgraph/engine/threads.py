"""The edges where sync code meets the async core: worker threads and pooled loop threads."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["SyncRun", "all_in_workers", "in_worker_thread"]

T = TypeVar("T")

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_MAX_WORKERS = int(os.environ.get("STREAMGRAPH_MAX_THREADS", "64"))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(_MAX_WORKERS, thread_name_prefix="streamgraph-node")
    return _POOL


def in_worker_thread(fn: Callable[[], T]) -> asyncio.Future[T]:
    """Run ``fn`` in a worker thread with a copy of the current context.

    Unlike ``run_in_executor``, a result that arrives after the loop has closed (a sync
    node that ran on after its run was stopped) is dropped quietly instead of failing in
    a callback of a closed loop.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    ctx = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def work() -> None:
        try:
            result = ctx.run(fn)
        except BaseException as exc:
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:
            pass  # the loop is closed: the run was stopped and nobody waits for this result

    _pool().submit(work)
    return future


def all_in_workers(fns: Sequence[Callable[[], Any]]) -> asyncio.Future[None]:
    """Run each of ``fns`` in a worker thread (each with a copy of the current context).

    The future completes once all have returned, or with the first error as soon as it
    happens: one wake-up of the loop for the whole batch instead of one per function.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    left = [len(fns)]
    lock = threading.Lock()

    def settle(error: BaseException | None) -> None:
        if not future.done():
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

    def work(fn: Callable[[], Any], ctx: contextvars.Context) -> None:
        error: BaseException | None = None
        try:
            ctx.run(fn)
        except BaseException as exc:
            error = exc
        with lock:
            left[0] -= 1
            last = left[0] == 0
        if error is not None or last:
            try:
                loop.call_soon_threadsafe(settle, error)
            except RuntimeError:
                pass  # the loop is closed: the run was stopped and nobody waits

    pool = _pool()
    for fn in fns:
        pool.submit(work, fn, contextvars.copy_context())
    return future


class LoopThread:
    """A thread running an event loop for the sync doors, one run at a time.

    Starting a thread and a loop costs a few hundred microseconds; idle ones are kept in a
    small pool so a sync ``stream()`` or ``invoke()`` starts in tens of microseconds.
    Because a loop thread serves a single run, that run may execute a lone sync node
    right on it, saving a handoff to a worker thread.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.name = "streamgraph-run"
        self._thread.start()

    def _serve(self) -> None:
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def stop(self) -> None:
        """Stop and close the loop (from any thread); its thread then ends."""
        self.loop.call_soon_threadsafe(self.loop.stop)


_IDLE: list[LoopThread] = []
_IDLE_LOCK = threading.Lock()
_MAX_IDLE = 8


def _acquire() -> LoopThread:
    with _IDLE_LOCK:
        if _IDLE:
            return _IDLE.pop()
    return LoopThread()


def _release(loop_thread: LoopThread) -> None:
    with _IDLE_LOCK:
        if len(_IDLE) < _MAX_IDLE:
            _IDLE.append(loop_thread)
            return
    loop_thread.stop()


def _forget_after_fork() -> None:
    # the threads of the pools do not exist in a forked child: start afresh there
    global _POOL
    _IDLE.clear()
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


class SyncRun:
    """A coroutine running on a pooled loop thread, seen from the sync caller."""

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.done = threading.Event()
        self.outcome: tuple[bool, Any] = (True, None)
        self._task: asyncio.Task[Any] | None = None
        self._loop_thread = _acquire()
        ctx = contextvars.copy_context()  # the caller's context: nested runs find their task
        self._loop_thread.loop.call_soon_threadsafe(self._begin, coro, context=ctx)

    def _begin(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._task = asyncio.get_running_loop().create_task(coro)
        self._task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            self.outcome = (False, asyncio.CancelledError())
        elif task.exception() is not None:
            self.outcome = (False, task.exception())
        else:
            self.outcome = (True, task.result())
        self.done.set()
        _release(self._loop_thread)

    def cancel(self) -> None:
        """Ask the run's task to stop (it stops at its next await)."""
        try:
            self._loop_thread.loop.call_soon_threadsafe(self._cancel)
        except RuntimeError:
            pass

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def result(self) -> Any:
        """Wait for the coroutine and return its result or raise its error."""
        self.done.wait()
        ok, value = self.outcome
        if ok:
            return value
        raise value
