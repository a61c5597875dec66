"""The edges where sync code meets the async core: a worker pool and a loop per sync call."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["in_worker_thread", "run_in_new_loop", "start_loop_thread"]

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


def run_in_new_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a private event loop, from sync code.

    In a thread with no running loop the loop runs right here; inside a running loop
    (a notebook, an async node calling sync code) it runs in a helper thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_here(coro)
    box: list[Any] = []
    ctx = contextvars.copy_context()

    def target() -> None:
        try:
            box.append((True, ctx.run(_run_here, coro)))
        except BaseException as exc:
            box.append((False, exc))

    thread = threading.Thread(target=target, name="streamgraph-loop", daemon=True)
    thread.start()
    thread.join()
    ok, value = box[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _run_here(coro: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        _close(loop)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def start_loop_thread(
    coro: Coroutine[Any, Any, Any],
) -> tuple[asyncio.AbstractEventLoop, asyncio.Task[Any], threading.Thread]:
    """Start ``coro`` on a private loop in a new thread; the caller may cancel the task."""
    loop = asyncio.new_event_loop()
    ctx = contextvars.copy_context()
    task = ctx.run(loop.create_task, coro)

    def target() -> None:
        try:
            loop.run_until_complete(asyncio.wait([task]))
        finally:
            _close(loop)

    thread = threading.Thread(target=target, name="streamgraph-run", daemon=True)
    thread.start()
    return loop, task, thread
