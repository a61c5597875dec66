"""The tables and queries SQLite and PostgreSQL share; only the placeholder differs.

Column names follow LangGraph's PostgreSQL saver, so SQL written against its tables (reports,
prune scripts) reads ours too. Migrations are numbered; ``checkpoint_migrations`` records the
ones applied.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from streamgraph.checkpoint.rows import BlobKey, BlobRow, CheckpointRow, WriteRow

__all__ = ["SqlRows", "migrations"]

_BLOB = {"sqlite": "BLOB", "postgres": "BYTEA"}


def migrations(dialect: str) -> list[str]:
    """The schema, one statement per version (index = version)."""
    blob = _BLOB[dialect]
    return [
        "CREATE TABLE IF NOT EXISTS checkpoint_migrations (v INTEGER PRIMARY KEY)",
        f"""CREATE TABLE IF NOT EXISTS checkpoints (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            checkpoint_id TEXT NOT NULL,
            parent_checkpoint_id TEXT,
            type TEXT,
            checkpoint {blob} NOT NULL,
            metadata {blob} NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))""",
        f"""CREATE TABLE IF NOT EXISTS checkpoint_blobs (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL,
            version TEXT NOT NULL,
            type TEXT NOT NULL,
            blob {blob},
            PRIMARY KEY (thread_id, checkpoint_ns, channel, version))""",
        f"""CREATE TABLE IF NOT EXISTS checkpoint_writes (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            checkpoint_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            task_path TEXT NOT NULL DEFAULT '',
            idx INTEGER NOT NULL,
            channel TEXT NOT NULL,
            type TEXT,
            blob {blob} NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx))""",
    ]


class Cursor(Protocol):
    def execute(self, query: Any, params: Any = ..., /) -> Any: ...

    def executemany(self, query: Any, params: Any, /) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any: ...


_CHECKPOINT_COLS = (
    "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata"
)
_BLOB_COLS = "thread_id, checkpoint_ns, channel, version, type, blob"
_WRITE_COLS = (
    "thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob"
)


class SqlRows:
    """:class:`~streamgraph.checkpoint.rows.RowStore` over a DB-API cursor."""

    def __init__(self, cursor: Cursor, placeholder: str) -> None:
        self.cur = cursor
        self.p = placeholder

    def _q(self, sql: str) -> str:
        return sql.replace("?", self.p) if self.p != "?" else sql

    def save(self, checkpoint: CheckpointRow, blobs: Sequence[BlobRow]) -> None:
        c = checkpoint
        self.cur.execute(
            self._q(
                f"INSERT INTO checkpoints ({_CHECKPOINT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET "
                "parent_checkpoint_id = excluded.parent_checkpoint_id, type = excluded.type, "
                "checkpoint = excluded.checkpoint, metadata = excluded.metadata"
            ),
            (
                c.thread_id,
                c.checkpoint_ns,
                c.checkpoint_id,
                c.parent_checkpoint_id,
                c.type,
                c.checkpoint,
                c.metadata,
            ),
        )
        if blobs:
            self.cur.executemany(
                self._q(
                    f"INSERT INTO checkpoint_blobs ({_BLOB_COLS}) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING"
                ),
                [
                    (b.thread_id, b.checkpoint_ns, b.channel, b.version, b.type, b.blob)
                    for b in blobs
                ],
            )

    def save_writes(self, writes: Sequence[WriteRow], *, replace: bool) -> None:
        action = (
            "DO UPDATE SET channel = excluded.channel, type = excluded.type, "
            "blob = excluded.blob, task_path = excluded.task_path"
            if replace
            else "DO NOTHING"
        )
        self.cur.executemany(
            self._q(
                f"INSERT INTO checkpoint_writes ({_WRITE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                f"ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) {action}"
            ),
            [
                (
                    w.thread_id,
                    w.checkpoint_ns,
                    w.checkpoint_id,
                    w.task_id,
                    w.task_path,
                    w.idx,
                    w.channel,
                    w.type,
                    w.blob,
                )
                for w in writes
            ],
        )

    def checkpoint(
        self, thread_id: str, ns: str, checkpoint_id: str | None
    ) -> CheckpointRow | None:
        where = "thread_id = ? AND checkpoint_ns = ?"
        params: list[Any] = [thread_id, ns]
        if checkpoint_id is not None:
            where += " AND checkpoint_id = ?"
            params.append(checkpoint_id)
        self.cur.execute(
            self._q(
                f"SELECT {_CHECKPOINT_COLS} FROM checkpoints WHERE {where} "
                "ORDER BY checkpoint_id DESC LIMIT 1"
            ),
            params,
        )
        found = self.cur.fetchone()
        return None if found is None else _checkpoint_row(found)

    def search(
        self,
        thread_id: str | None,
        ns: str | None,
        checkpoint_id: str | None,
        before: str | None,
    ) -> Iterator[CheckpointRow]:
        clauses, params = [], []
        for column, op, value in (
            ("thread_id", "=", thread_id),
            ("checkpoint_ns", "=", ns),
            ("checkpoint_id", "=", checkpoint_id),
            ("checkpoint_id", "<", before),
        ):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        self.cur.execute(
            self._q(
                f"SELECT {_CHECKPOINT_COLS} FROM checkpoints {where} "
                "ORDER BY checkpoint_id DESC, thread_id, checkpoint_ns"
            ),
            params,
        )
        return iter([_checkpoint_row(r) for r in self.cur.fetchall()])

    def blobs(self, thread_id: str, ns: str, keys: Sequence[BlobKey]) -> dict[BlobKey, BlobRow]:
        out: dict[BlobKey, BlobRow] = {}
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), 200):
            chunk = keys[start : start + 200]
            pairs = ", ".join(["(?, ?)"] * len(chunk))
            params: list[Any] = [thread_id, ns]
            for channel, version in chunk:
                params += [channel, version]
            self.cur.execute(
                self._q(
                    f"SELECT {_BLOB_COLS} FROM checkpoint_blobs WHERE thread_id = ? "
                    f"AND checkpoint_ns = ? AND (channel, version) IN (VALUES {pairs})"
                ),
                params,
            )
            for r in self.cur.fetchall():
                row = _blob_row(r)
                out[(row.channel, row.version)] = row
        return out

    def blob_history(
        self, thread_id: str, ns: str, channel: str, upto: str, limit: int
    ) -> list[BlobRow]:
        self.cur.execute(
            self._q(
                f"SELECT {_BLOB_COLS} FROM checkpoint_blobs WHERE thread_id = ? "
                "AND checkpoint_ns = ? AND channel = ? AND version <= ? "
                "ORDER BY version DESC LIMIT ?"
            ),
            (thread_id, ns, channel, upto, limit),
        )
        return [_blob_row(r) for r in self.cur.fetchall()]

    def writes(self, thread_id: str, ns: str, checkpoint_id: str) -> list[WriteRow]:
        self.cur.execute(
            self._q(
                f"SELECT {_WRITE_COLS} FROM checkpoint_writes WHERE thread_id = ? "
                "AND checkpoint_ns = ? AND checkpoint_id = ?"
            ),
            (thread_id, ns, checkpoint_id),
        )
        return [
            WriteRow(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6], r[7], bytes(r[8]))
            for r in self.cur.fetchall()
        ]

    def delete_thread(self, thread_id: str) -> None:
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
            self.cur.execute(self._q(f"DELETE FROM {table} WHERE thread_id = ?"), (thread_id,))


def _checkpoint_row(r: Sequence[Any]) -> CheckpointRow:
    return CheckpointRow(r[0], r[1], r[2], r[3], r[4], bytes(r[5]), bytes(r[6]))


def _blob_row(r: Sequence[Any]) -> BlobRow:
    return BlobRow(r[0], r[1], r[2], r[3], r[4], b"" if r[5] is None else bytes(r[5]))
