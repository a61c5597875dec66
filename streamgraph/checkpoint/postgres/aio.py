"""The PostgreSQL saver for async code: the same class, opened and closed with ``async with``.

Async calls run the saver's statements on the event loop's default thread pool, each with a
connection of its own from the pool, so the loop never waits on the database and calls from
many tasks proceed side by side (up to the pool's and the thread pool's sizes).

>>> from streamgraph.checkpoint.postgres.aio import AsyncPostgresSaver
>>> AsyncPostgresSaver.__mro__[1].__name__
'PostgresSaver'
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg_pool

from streamgraph.checkpoint.postgres import PostgresSaver

__all__ = ["AsyncPostgresSaver"]

T = TypeVar("T")


async def run_in_saver_thread(saver: PostgresSaver, fn: Callable[[], T]) -> T:
    """Run one blocking saver call off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, fn)


class AsyncPostgresSaver(PostgresSaver):
    """:class:`PostgresSaver` with an async ``from_conn_string`` and ``asetup``."""

    @classmethod
    @asynccontextmanager
    async def from_conn_string(  # type: ignore[override]
        cls,
        conn_string: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        prepare_threshold: int | None = 5,
        pool_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AsyncPostgresSaver]:
        """A saver on ``conn_string`` with a pool of up to ``max_size`` connections."""
        pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(
            conn_string,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True, "prepare_threshold": prepare_threshold},
            open=False,
            **(pool_kwargs or {}),
        )
        await asyncio.to_thread(pool.open, wait=True)
        try:
            saver = cls(pool, **kwargs)
            await saver.asetup()
            yield saver
        finally:
            await asyncio.to_thread(pool.close)

    async def asetup(self) -> None:
        """Create or migrate the tables now, without blocking the event loop."""
        await run_in_saver_thread(self, self.setup)
