"""The SQLite saver for async code: the same class, with an async ``from_conn_string``.

:class:`~streamgraph.checkpoint.sqlite.SqliteSaver` already serves ``await saver.aput(...)``
without blocking the event loop; this name exists so code written for LangGraph's
``AsyncSqliteSaver`` ports by changing its import.

>>> import asyncio
>>> from streamgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
>>> async def main():
...     async with AsyncSqliteSaver.from_conn_string(":memory:") as saver:
...         return await saver.aget_tuple({"configurable": {"thread_id": "t"}})
>>> asyncio.run(main()) is None
True
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from streamgraph.checkpoint.sqlite import SqliteSaver

__all__ = ["AsyncSqliteSaver"]


class AsyncSqliteSaver(SqliteSaver):
    """:class:`SqliteSaver` opened and closed from async code."""

    @classmethod
    @asynccontextmanager
    async def from_conn_string(  # type: ignore[override]
        cls, conn_string: str, **kwargs: Any
    ) -> AsyncIterator[AsyncSqliteSaver]:
        """A saver on the file ``conn_string`` (or ``":memory:"``), closed on exit."""
        saver = cls(conn_string, **kwargs)
        try:
            await saver.asetup()
            yield saver
        finally:
            await asyncio.to_thread(saver.close)

    async def asetup(self) -> None:
        """Create or migrate the tables now, without blocking the event loop."""
        await asyncio.wrap_future(self._worker.submit(lambda conn: None))
