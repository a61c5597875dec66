"""The rows every backend stores, and the small storage interface the savers share.

Each backend (memory, SQLite, PostgreSQL) implements :class:`RowStore` over its own
connection; the contract logic (what a put writes, how a checkpoint is rebuilt) lives once,
in :mod:`streamgraph.checkpoint.stored`. The tables follow LangGraph's PostgreSQL saver:
``checkpoints``, ``checkpoint_blobs`` (one row per channel version) and ``checkpoint_writes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["BlobKey", "BlobRow", "CheckpointRow", "RowStore", "WriteRow"]

BlobKey = tuple[str, str]
"""``(channel, version)``."""


@dataclass(slots=True, frozen=True)
class CheckpointRow:
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    type: str
    checkpoint: bytes
    metadata: bytes


@dataclass(slots=True, frozen=True)
class BlobRow:
    """One version of one channel. ``type`` is the serializer's, ``"empty"`` (the channel had
    no value at that version) or ``"delta/<base version>/<serializer type>"`` (items
    appended to the list stored at the base version)."""

    thread_id: str
    checkpoint_ns: str
    channel: str
    version: str
    type: str
    blob: bytes


@dataclass(slots=True, frozen=True)
class WriteRow:
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    task_id: str
    task_path: str
    idx: int
    channel: str
    type: str
    blob: bytes


class RowStore(Protocol):
    """What a backend does, inside one of its sessions (a transaction where it has one)."""

    def save(self, checkpoint: CheckpointRow, blobs: Sequence[BlobRow]) -> None:
        """Insert the checkpoint (replacing one with the same key) and the blobs (keeping
        a blob already stored under the same channel and version)."""

    def save_writes(self, writes: Sequence[WriteRow], *, replace: bool) -> None:
        """Insert writes; on a key already stored, replace it or keep the old one."""

    def checkpoint(
        self, thread_id: str, ns: str, checkpoint_id: str | None
    ) -> CheckpointRow | None:
        """The named checkpoint, or the newest of the thread and namespace."""

    def search(
        self,
        thread_id: str | None,
        ns: str | None,
        checkpoint_id: str | None,
        before: str | None,
    ) -> Iterator[CheckpointRow]:
        """Checkpoints matching the arguments given (None: any), newest id first."""

    def blobs(self, thread_id: str, ns: str, keys: Sequence[BlobKey]) -> dict[BlobKey, BlobRow]:
        """The blobs stored under ``keys`` (missing keys are left out)."""

    def blob_history(
        self, thread_id: str, ns: str, channel: str, upto: str, limit: int
    ) -> list[BlobRow]:
        """Up to ``limit`` versions of ``channel`` at or below ``upto``, newest first."""

    def writes(self, thread_id: str, ns: str, checkpoint_id: str) -> list[WriteRow]:
        """The writes attached to a checkpoint, in any order."""

    def delete_thread(self, thread_id: str) -> None:
        """Remove every row of a thread."""
