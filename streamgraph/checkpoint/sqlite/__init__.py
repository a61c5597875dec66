"""The embedded saver: one SQLite file, through the standard library's ``sqlite3``.

One connection, owned by one worker thread, does every read and write, so threads and
tasks never contend for the file inside a process ("database is locked" cannot happen
here); other processes sharing the file wait up to ``busy_timeout_ms`` for its lock.
The file is in WAL mode with ``synchronous=NORMAL`` by default: a commit survives the
process crashing; after a power cut the last commits may be rolled back, never corrupted.
Pass ``synchronous="FULL"`` to fsync every commit.

>>> from streamgraph.checkpoint.sqlite import SqliteSaver
>>> with SqliteSaver.from_conn_string(":memory:") as saver:
...     saver.get_tuple({"configurable": {"thread_id": "t"}}) is None
True
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

from streamgraph.checkpoint.serde.base import SerializerProtocol
from streamgraph.checkpoint.sql import SqlRows, migrations
from streamgraph.checkpoint.sqlite.worker import Worker
from streamgraph.checkpoint.stored import StoredSaver
from streamgraph.errors import ConfigurationError

__all__ = ["SqliteSaver"]

T = TypeVar("T")


class SqliteSaver(StoredSaver):
    """Checkpoints in a SQLite file; serves sync and async callers alike.

    ``conn`` is a path (``":memory:"`` for a private in-memory database) or an open
    ``sqlite3.Connection`` made with ``check_same_thread=False`` (the saver runs its
    statements on its own thread and manages its transactions). Close the saver (or use
    :meth:`from_conn_string` as a context manager) to stop that thread.
    """

    def __init__(
        self,
        conn: sqlite3.Connection | str | Path,
        *,
        serde: SerializerProtocol | None = None,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout_ms: int = 5000,
        snapshot_every: int = 32,
    ) -> None:
        super().__init__(serde=serde, snapshot_every=snapshot_every)
        if synchronous not in ("NORMAL", "FULL"):
            raise ConfigurationError(f"synchronous must be 'NORMAL' or 'FULL', not {synchronous!r}")
        self._owns_conn = not isinstance(conn, sqlite3.Connection)
        self._conn_arg = conn
        self._synchronous = synchronous
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._worker = Worker(self._open, name="streamgraph-sqlite-saver")

    @classmethod
    @contextmanager
    def from_conn_string(cls, conn_string: str, **kwargs: Any) -> Iterator[SqliteSaver]:
        """A saver on the file ``conn_string`` (or ``":memory:"``), closed on exit."""
        saver = cls(conn_string, **kwargs)
        try:
            yield saver
        finally:
            saver.close()

    def setup(self) -> None:
        """Create or migrate the tables now (otherwise done on first use)."""
        self._worker.call(lambda conn: None)

    def close(self) -> None:
        """Stop the worker thread and close the connection the saver opened."""
        self._worker.close()

    def __enter__(self) -> SqliteSaver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions ---------------------------------------------------------------------
    def _session(self, fn: Callable[[SqlRows], T], *, write: bool) -> T:
        return self._worker.call(lambda conn: _transaction(conn, fn, write))

    async def _asession(self, fn: Callable[[SqlRows], T], *, write: bool) -> T:
        future = self._worker.submit(lambda conn: _transaction(conn, fn, write))
        return await asyncio.wrap_future(future)

    def _open(self) -> tuple[sqlite3.Connection, Callable[[], None]]:
        if isinstance(self._conn_arg, sqlite3.Connection):
            conn = self._conn_arg
            try:
                conn.execute("SELECT 1")
            except sqlite3.ProgrammingError as exc:
                raise ConfigurationError(
                    "SqliteSaver runs its statements on its own thread: open the connection "
                    "with sqlite3.connect(path, check_same_thread=False), or pass the path"
                ) from exc
            conn.isolation_level = None  # the saver issues BEGIN/COMMIT itself
        else:
            conn = sqlite3.connect(
                str(self._conn_arg), isolation_level=None, check_same_thread=False
            )
        conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        _migrate(conn)
        return conn, (conn.close if self._owns_conn else _nothing)


def _nothing() -> None:
    return None


def _transaction(conn: sqlite3.Connection, fn: Callable[[SqlRows], T], write: bool) -> T:
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        result = fn(SqlRows(conn.cursor(), "?"))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _migrate(conn: sqlite3.Connection) -> None:
    steps = migrations("sqlite")
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(steps[0])
        done = {row[0] for row in conn.execute("SELECT v FROM checkpoint_migrations")}
        for version, statement in enumerate(steps):
            if version not in done:
                conn.execute(statement)
                conn.execute("INSERT INTO checkpoint_migrations (v) VALUES (?)", (version,))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
