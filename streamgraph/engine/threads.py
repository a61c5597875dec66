"""Where sync code meets the async core: the worker threads sync nodes run in, and the
host threads that run the graphs a sync ``stream`` reads."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import os
import threading
from collections.abc import Callable, Sequence
from queue import SimpleQueue
from typing import Any, TypeVar

from streamgraph.engine import running_loop

__all__ = ["all_in_workers", "in_host_thread", "in_worker_thread"]

T = TypeVar("T")

_MAX_WORKERS = int(os.environ.get("STREAMGRAPH_MAX_THREADS", "64"))
_IDLE_HOSTS = 8  # host threads kept for later streams; more end when their run is over


class _Workers:
    """Threads taking jobs from one queue; no job waits while a thread is idle.

    Lighter than a ``ThreadPoolExecutor`` (no future per job: each job reports its own
    outcome to whoever waits for it). Up to ``limit`` threads (no limit for None) are
    started as needed; past that, jobs wait for a free thread. At most ``keep`` of them
    (all for None) stay idle for later jobs; the others end once their job is done.
    """

    def __init__(self, limit: int | None, name: str, keep: int | None = None) -> None:
        self._jobs: SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._threads = 0
        self._limit = limit
        self._keep = keep
        self._name = name
        self._started = itertools.count(1)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            if self._idle:
                self._idle -= 1  # that thread is spoken for
                start = False
            else:
                start = self._limit is None or self._threads < self._limit
                self._threads += start
        self._jobs.put((fn, args))
        if start:
            thread = threading.Thread(target=self._serve, daemon=True)
            thread.name = f"{self._name}-{next(self._started)}"
            thread.start()

    def _serve(self) -> None:
        get, lock, keep = self._jobs.get, self._lock, self._keep
        try:
            while True:
                fn, args = get()
                fn(*args)  # jobs report their own errors: one that escapes is a bug, shown
                del fn, args
                with lock:
                    if keep is not None and self._idle >= keep:
                        return  # enough threads wait already: this one ends
                    self._idle += 1
        finally:
            with lock:
                self._threads -= 1


_POOL: _Workers | None = None
_HOSTS: _Workers | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> _Workers:
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = _Workers(_MAX_WORKERS, "streamgraph-node")
    return _POOL


def in_host_thread(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` in a host thread: one thread per job for as long as it runs.

    For the run behind a sync ``stream``, which holds its thread from start to end (its
    nodes block it). Hosts are not the workers of sync nodes: a run waiting for its
    nodes never holds a thread they need. ``fn`` reports its own outcome.
    """
    global _HOSTS
    if _HOSTS is None:
        with _POOL_LOCK:
            if _HOSTS is None:
                _HOSTS = _Workers(None, "streamgraph-stream", keep=_IDLE_HOSTS)
    _HOSTS.submit(fn, *args)


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


def all_in_workers(
    fns: Sequence[Callable[[], Any]], *, caller_helps: bool = False
) -> asyncio.Future[None]:
    """Run each of ``fns`` in a worker thread (each with a copy of the current context).

    The future completes once all have returned, or with the first error as soon as it
    happens: one wake-up of the loop for the whole batch instead of one per function.

    With ``caller_helps`` (a run nobody streams from: its loop has nothing else to do),
    the calling thread takes functions from the batch too, one after another, while a
    worker is woken to take them as well; each worker that takes one wakes another while
    some are left. Quick functions are then all done before any thread handoff, and
    functions that block still end up running side by side.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    contexts = [contextvars.copy_context() for _ in fns]
    total = len(fns)
    taken, finished = itertools.count(), itertools.count(1)  # next() is atomic
    failed = [False]
    caller = threading.get_ident()
    pool = _pool()

    def settle(error: BaseException | None) -> None:
        if not future.done():
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

    def work(spawn: bool) -> None:
        while not failed[0] and (index := next(taken)) < total:
            if spawn and index + 1 < total:
                pool.submit(work, True)  # more are left: another thread may take them
            error: BaseException | None = None
            try:
                contexts[index].run(fns[index])
            except BaseException as exc:
                error = exc
                failed[0] = True
            if error is not None or next(finished) == total:
                if threading.get_ident() == caller:
                    settle(error)
                else:
                    try:
                        loop.call_soon_threadsafe(settle, error)
                    except RuntimeError:
                        pass  # the loop is closed: the run was stopped and nobody waits

    if caller_helps and running_loop.FAST:
        pool.submit(work, True)
        with running_loop.Hidden():  # the functions see no running loop, as in a worker
            work(False)
    else:
        for _ in fns:
            pool.submit(work, False)
    return future


def _forget_after_fork() -> None:
    # the pools' threads do not exist in a forked child: start afresh there
    global _POOL, _HOSTS
    _POOL = _HOSTS = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
