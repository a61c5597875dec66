"""A saver that keeps checkpoints in this process's memory: for tests, demos and short-lived apps.

Values are serialised on the way in, exactly as a database saver does, so what comes back
is a copy and a value that could not be stored fails here too.

>>> from streamgraph.checkpoint.memory import MemorySaver
>>> saver = MemorySaver()
>>> list(saver.list({"configurable": {"thread_id": "t"}}))
[]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from streamgraph.checkpoint.rows import BlobKey, BlobRow, CheckpointRow, WriteRow
from streamgraph.checkpoint.serde.base import SerializerProtocol
from streamgraph.checkpoint.stored import StoredSaver

__all__ = ["InMemorySaver", "MemorySaver"]

T = TypeVar("T")


class _MemoryRows:
    def __init__(self) -> None:
        # thread -> ns -> checkpoint id -> row
        self.checkpoints: dict[str, dict[str, dict[str, CheckpointRow]]] = {}
        self.blob_rows: dict[tuple[str, str, str, str], BlobRow] = {}
        # (thread, ns, checkpoint id) -> (task id, idx) -> row
        self.write_rows: dict[tuple[str, str, str], dict[tuple[str, int], WriteRow]] = {}
        self.latest: dict[tuple[str, str], str] = {}  # newest checkpoint id per thread and ns

    def save(self, checkpoint: CheckpointRow, blobs: Sequence[BlobRow]) -> None:
        by_ns = self.checkpoints.setdefault(checkpoint.thread_id, {})
        by_ns.setdefault(checkpoint.checkpoint_ns, {})[checkpoint.checkpoint_id] = checkpoint
        where = (checkpoint.thread_id, checkpoint.checkpoint_ns)
        if checkpoint.checkpoint_id > self.latest.get(where, ""):
            self.latest[where] = checkpoint.checkpoint_id
        for blob in blobs:
            key = (blob.thread_id, blob.checkpoint_ns, blob.channel, blob.version)
            self.blob_rows.setdefault(key, blob)

    def save_writes(self, writes: Sequence[WriteRow], *, replace: bool) -> None:
        for w in writes:
            stored = self.write_rows.setdefault((w.thread_id, w.checkpoint_ns, w.checkpoint_id), {})
            if replace or (w.task_id, w.idx) not in stored:
                stored[(w.task_id, w.idx)] = w

    def checkpoint(
        self, thread_id: str, ns: str, checkpoint_id: str | None
    ) -> CheckpointRow | None:
        rows = self.checkpoints.get(thread_id, {}).get(ns)
        if not rows:
            return None
        if checkpoint_id is not None:
            return rows.get(checkpoint_id)
        return rows[self.latest[(thread_id, ns)]]

    def search(
        self,
        thread_id: str | None,
        ns: str | None,
        checkpoint_id: str | None,
        before: str | None,
    ) -> Iterator[CheckpointRow]:
        found = [
            row
            for thread, by_ns in self.checkpoints.items()
            if thread_id is None or thread == thread_id
            for name, rows in by_ns.items()
            if ns is None or name == ns
            for cid, row in rows.items()
            if (checkpoint_id is None or cid == checkpoint_id) and (before is None or cid < before)
        ]
        found.sort(key=lambda r: r.checkpoint_id, reverse=True)
        return iter(found)

    def blobs(self, thread_id: str, ns: str, keys: Sequence[BlobKey]) -> dict[BlobKey, BlobRow]:
        out = {}
        for channel, version in keys:
            row = self.blob_rows.get((thread_id, ns, channel, version))
            if row is not None:
                out[(channel, version)] = row
        return out

    def blob_history(
        self, thread_id: str, ns: str, channel: str, upto: str, limit: int
    ) -> list[BlobRow]:
        return []  # point reads are free here

    def writes(self, thread_id: str, ns: str, checkpoint_id: str) -> list[WriteRow]:
        return list(self.write_rows.get((thread_id, ns, checkpoint_id), {}).values())

    def delete_thread(self, thread_id: str) -> None:
        self.checkpoints.pop(thread_id, None)
        for latest_key in [k for k in self.latest if k[0] == thread_id]:
            del self.latest[latest_key]
        for blob_key in [k for k in self.blob_rows if k[0] == thread_id]:
            del self.blob_rows[blob_key]
        for write_key in [k for k in self.write_rows if k[0] == thread_id]:
            del self.write_rows[write_key]


class InMemorySaver(StoredSaver):
    """Checkpoints in a dict, safe to share between threads and tasks.

    ``snapshot_every``: how often a growing list is stored whole (see
    :mod:`streamgraph.checkpoint.stored`).
    """

    def __init__(
        self, *, serde: SerializerProtocol | None = None, snapshot_every: int = 32
    ) -> None:
        super().__init__(serde=serde, snapshot_every=snapshot_every)
        self._rows = _MemoryRows()
        self._lock = threading.Lock()

    def _session(self, fn: Callable[[_MemoryRows], T], *, write: bool) -> T:
        with self._lock:
            return fn(self._rows)

    async def _asession(self, fn: Callable[[_MemoryRows], T], *, write: bool) -> T:
        with self._lock:  # held for microseconds, never across an await
            return fn(self._rows)


MemorySaver = InMemorySaver
"""The older name of :class:`InMemorySaver`."""
