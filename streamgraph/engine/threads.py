"""Where sync nodes meet the async core: the worker threads they run in."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["all_in_workers", "in_worker_thread"]

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


def _forget_after_fork() -> None:
    # the pool's threads do not exist in a forked child: start afresh there
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
