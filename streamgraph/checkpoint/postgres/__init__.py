"""The PostgreSQL saver, on psycopg 3 (extra ``[postgres]``).

Install it with ``pip install 'streamgraph[postgres]'``.

With a ``psycopg_pool.ConnectionPool`` every call takes its own connection: calls run side by
side, with no lock in the saver. Each write is one transaction, its statements sent in one
pipeline (one round trip). The saver creates and migrates its tables itself, on first use,
inside a transaction that holds an advisory lock, so several processes starting at once are
safe and the connection needs no ``autocommit`` setting.

Behind pgbouncer in transaction mode, turn prepared statements off::

    with PostgresSaver.from_conn_string(url, prepare_threshold=None) as saver:
        ...

The migration lock is a transaction-level advisory lock, which pgbouncer's transaction mode
keeps. For a long-lived pool, ``pool_kwargs={"check": ConnectionPool.check_connection,
"max_idle": 300, "max_lifetime": 1800}`` drops connections a server or proxy has closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from streamgraph.checkpoint.serde.base import SerializerProtocol
from streamgraph.checkpoint.sql import SqlRows, migrations
from streamgraph.checkpoint.stored import StoredSaver
from streamgraph.errors import ConfigurationError, MissingDependencyError

try:
    import psycopg
    import psycopg_pool
except ImportError as exc:  # pragma: no cover - the extra is installed in tests
    raise MissingDependencyError("psycopg", "postgres") from exc

if TYPE_CHECKING:
    from collections.abc import Awaitable

__all__ = ["PostgresSaver"]

T = TypeVar("T")

_MIGRATION_LOCK = 0x5354_4743_4B50  # "STGCKP": the advisory lock key of our migrations


class PostgresSaver(StoredSaver):
    """Checkpoints in PostgreSQL; serves sync and async callers alike.

    ``conn``: a ``psycopg_pool.ConnectionPool`` (calls run in parallel) or one
    ``psycopg.Connection`` (calls take turns on it). ``synchronous_commit=False`` makes
    commits return before the server's WAL flush: a server crash may lose the last
    checkpoints, an application crash loses nothing.
    """

    def __init__(
        self,
        conn: psycopg.Connection[Any] | psycopg_pool.ConnectionPool[Any],
        *,
        serde: SerializerProtocol | None = None,
        snapshot_every: int = 32,
        synchronous_commit: bool = True,
    ) -> None:
        super().__init__(serde=serde, snapshot_every=snapshot_every)
        if not isinstance(conn, (psycopg.Connection, psycopg_pool.ConnectionPool)):
            raise ConfigurationError(
                f"PostgresSaver takes a psycopg Connection or ConnectionPool, not "
                f"{type(conn).__name__}; for async code use AsyncPostgresSaver.from_conn_string"
            )
        self.conn = conn
        self._conn_lock = threading.Lock()  # only for a single connection
        self._synchronous_commit = synchronous_commit
        self._ready = False
        self._ready_lock = threading.Lock()

    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str,
        *,
        pool: bool = True,
        min_size: int = 1,
        max_size: int = 10,
        prepare_threshold: int | None = 5,
        pool_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[PostgresSaver]:
        """A saver on ``conn_string``, with a pool of up to ``max_size`` connections.

        ``prepare_threshold=None`` never prepares statements (pgbouncer in transaction mode).
        """
        connect_kwargs: dict[str, Any] = {
            "autocommit": True,
            "prepare_threshold": prepare_threshold,
        }
        if not pool:
            with psycopg.Connection.connect(conn_string, **connect_kwargs) as conn:
                yield cls(conn, **kwargs)
            return
        with psycopg_pool.ConnectionPool(
            conn_string,
            min_size=min_size,
            max_size=max_size,
            kwargs=connect_kwargs,
            open=True,
            **(pool_kwargs or {}),
        ) as connection_pool:
            yield cls(connection_pool, **kwargs)

    def setup(self) -> None:
        """Create or migrate the tables now (otherwise done on first use)."""
        with self._connection() as conn:
            _migrate(conn)
        self._ready = True

    # -- sessions ---------------------------------------------------------------------
    def _connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        if isinstance(self.conn, psycopg_pool.ConnectionPool):
            return self.conn.connection()
        return _locked(self._conn_lock, self.conn)

    def _session(self, fn: Callable[[SqlRows], T], *, write: bool) -> T:
        if not self._ready:
            with self._ready_lock:
                if not self._ready:
                    self.setup()
        with self._connection() as conn:
            with conn.transaction():
                if write and not self._synchronous_commit:
                    conn.execute("SET LOCAL synchronous_commit = off")
                with conn.pipeline() if write else nullcontext():
                    result = fn(SqlRows(conn.cursor(), "%s"))
            if not conn.autocommit:
                conn.commit()
            return result

    def _asession(self, fn: Callable[[SqlRows], T], *, write: bool) -> Awaitable[T]:
        from streamgraph.checkpoint.postgres.aio import run_in_saver_thread

        return run_in_saver_thread(self, lambda: self._session(fn, write=write))


@contextmanager
def _locked(
    lock: threading.Lock, conn: psycopg.Connection[Any]
) -> Iterator[psycopg.Connection[Any]]:
    with lock:
        yield conn


def _migrate(conn: psycopg.Connection[Any]) -> None:
    steps = migrations("postgres")
    with conn.transaction():
        # a transaction-level lock: released at commit, and safe behind pgbouncer
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(steps[0])
        done = {row[0] for row in conn.execute("SELECT v FROM checkpoint_migrations").fetchall()}
        for version, statement in enumerate(steps):
            if version not in done:
                conn.execute(statement)
                conn.execute("INSERT INTO checkpoint_migrations (v) VALUES (%s)", (version,))
    if not conn.autocommit:
        conn.commit()
