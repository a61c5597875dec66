"""Drive a sync chunk iterator from async code, one worker-thread hop per chunk."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

from streamgraph.engine.threads import in_worker_thread

__all__ = ["iterate_in_thread"]

T = TypeVar("T")
_DONE: object = object()


async def iterate_in_thread(source: Iterator[T]) -> AsyncIterator[T]:
    """Yield ``source``'s items, each fetched in a worker thread; closes it when stopped."""
    try:
        while True:
            item = await in_worker_thread(lambda: next(source, _DONE))
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            await in_worker_thread(close)
