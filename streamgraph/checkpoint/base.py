"""The checkpoint saver interface and the shapes it stores.

A saver keeps, per thread and namespace, a chain of checkpoints (the channel values and
versions after a superstep) and, attached to each, the writes of the tasks that ran from it.
The engine talks to savers only through :class:`BaseCheckpointSaver`; every saver serves
both the sync methods and their ``a``-prefixed async twins.

>>> from streamgraph.checkpoint.memory import InMemorySaver
>>> saver = InMemorySaver()
>>> config = {"configurable": {"thread_id": "t1"}}
>>> cp = empty_checkpoint()
>>> cp["channel_values"] = {"x": 1}
>>> cp["channel_versions"] = {"x": saver.get_next_version(None, None)}
>>> saved = saver.put(config, cp, {"source": "input", "step": -1}, cp["channel_versions"])
>>> saver.get(saved)["channel_values"]
{'x': 1}
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple, TypedDict

from streamgraph.checkpoint.serde.base import SerializerProtocol
from streamgraph.errors import ConfigurationError

__all__ = [
    "WRITES_IDX_MAP",
    "BaseCheckpointSaver",
    "ChannelVersions",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointTuple",
    "PendingWrite",
    "copy_checkpoint",
    "create_checkpoint_id",
    "empty_checkpoint",
    "get_checkpoint_id",
    "get_checkpoint_metadata",
]

ChannelVersions = dict[str, "str | int | float"]
"""A channel's version per channel name."""

PendingWrite = tuple[str, str, Any]
"""``(task_id, channel, value)``: one write of a task that ran from a checkpoint."""

LATEST_VERSION = 4

ERROR = "__error__"
SCHEDULED = "__scheduled__"
INTERRUPT = "__interrupt__"
RESUME = "__resume__"
WRITES_IDX_MAP: dict[str, int] = {ERROR: -1, SCHEDULED: -2, INTERRUPT: -3, RESUME: -4}
"""Fixed ``idx`` of the special write channels: a task has at most one of each."""


class Checkpoint(TypedDict):
    """The state after a superstep."""

    v: int
    id: str
    ts: str
    channel_values: dict[str, Any]
    channel_versions: ChannelVersions
    versions_seen: dict[str, ChannelVersions]
    updated_channels: list[str] | None


class CheckpointMetadata(TypedDict, total=False):
    """What is known about how a checkpoint came to be; savers keep every key given."""

    source: Literal["input", "loop", "update", "fork"]
    step: int
    parents: dict[str, str]
    run_id: str


class CheckpointTuple(NamedTuple):
    """A checkpoint with its config, metadata, parent and pending writes."""

    config: dict[str, Any]
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    parent_config: dict[str, Any] | None = None
    pending_writes: list[PendingWrite] | None = None


_EXCLUDED_METADATA_KEYS = frozenset(
    {"checkpoint_id", "checkpoint_ns", "checkpoint_map", "thread_id", "task_id"}
)

_id_lock = threading.Lock()
_last_ticks = 0
_node = int.from_bytes(os.urandom(6), "big") | (1 << 40)  # multicast bit: not a MAC address


def create_checkpoint_id(step: int = -1) -> str:
    """A fresh id shaped like a version-6 UUID, with ``step`` in its clock sequence.

    Ids made later sort after ids made earlier (as strings), even within one clock tick.

    >>> a, b = create_checkpoint_id(0), create_checkpoint_id(1)
    >>> a < b and a[19:23] == "8000" and b[19:23] == "8001"
    True
    """
    global _last_ticks
    # 100 ns ticks since 1582-10-15, the UUID epoch
    ticks = time.time_ns() // 100 + 0x01B21DD213814000
    with _id_lock:
        ticks = max(ticks, _last_ticks + 1)
        _last_ticks = ticks
    high = (ticks >> 12) & 0xFFFFFFFFFFFF
    low = ticks & 0x0FFF
    seq = step & 0x3FFF
    h = f"{high:012x}"
    return f"{h[:8]}-{h[8:12]}-6{low:03x}-{0x8000 | seq:04x}-{_node:012x}"


def empty_checkpoint() -> Checkpoint:
    """A checkpoint with no channels, a fresh id and the current time."""
    return Checkpoint(
        v=LATEST_VERSION,
        id=create_checkpoint_id(),
        ts=datetime.now(timezone.utc).isoformat(),
        channel_values={},
        channel_versions={},
        versions_seen={},
        updated_channels=None,
    )


def copy_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """A copy whose dicts can be changed without touching the original."""
    return Checkpoint(
        v=checkpoint["v"],
        id=checkpoint["id"],
        ts=checkpoint["ts"],
        channel_values=dict(checkpoint["channel_values"]),
        channel_versions=dict(checkpoint["channel_versions"]),
        versions_seen={k: dict(v) for k, v in checkpoint["versions_seen"].items()},
        updated_channels=checkpoint.get("updated_channels"),
    )


def get_checkpoint_id(config: Mapping[str, Any]) -> str | None:
    """The ``checkpoint_id`` a config names, if any."""
    value = config.get("configurable", {}).get("checkpoint_id")
    return value if isinstance(value, str) else None


def get_checkpoint_metadata(
    config: Mapping[str, Any], metadata: Mapping[str, Any]
) -> CheckpointMetadata:
    """``metadata`` plus the plain values of ``config["metadata"]`` and ``configurable``.

    Keys starting with ``__`` and the saver's own keys (``thread_id``...) are left out;
    the metadata given wins over the config's.
    """
    out: dict[str, Any] = {}
    for source in (config.get("configurable", {}), config.get("metadata", {})):
        for key, value in source.items():
            if key.startswith("__") or key in _EXCLUDED_METADATA_KEYS:
                continue
            if isinstance(value, (str, int, float, bool)):
                out[key] = value.replace("\x00", "") if isinstance(value, str) else value
    for key, value in metadata.items():
        out[key] = value.replace("\x00", "") if isinstance(value, str) else value
    return out  # type: ignore[return-value]


def thread_and_ns(config: Mapping[str, Any]) -> tuple[str, str]:
    """``thread_id`` (required) and ``checkpoint_ns`` (default ``""``) of a config."""
    configurable = config.get("configurable")
    thread = configurable.get("thread_id") if isinstance(configurable, Mapping) else None
    if thread is None or thread == "":
        raise ConfigurationError(
            'a checkpointer needs config["configurable"]["thread_id"]; pass e.g. '
            '{"configurable": {"thread_id": "chat-1"}}'
        )
    ns = configurable.get("checkpoint_ns", "") if isinstance(configurable, Mapping) else ""
    return str(thread), str(ns or "")


class BaseCheckpointSaver:
    """The interface every saver implements, sync and async.

    ``serde`` turns values into bytes and back; each saver defaults to a
    :class:`~streamgraph.checkpoint.serde.JsonPlusSerializer`.
    """

    serde: SerializerProtocol

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        if serde is None:
            from streamgraph.checkpoint.serde import JsonPlusSerializer

            serde = JsonPlusSerializer()
        self.serde = serde

    # -- sync ---------------------------------------------------------------------------
    def get(self, config: Mapping[str, Any]) -> Checkpoint | None:
        """The checkpoint ``config`` names (the latest of its thread without an id)."""
        found = self.get_tuple(config)
        return found.checkpoint if found is not None else None

    def get_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        """The checkpoint ``config`` names with its metadata, parent and pending writes."""
        raise NotImplementedError

    def list(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints, newest first, of one thread (or every thread when ``config`` is None)."""
        raise NotImplementedError

    def put(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict[str, Any]:
        """Store ``checkpoint`` as the child of the one ``config`` names; return its config."""
        raise NotImplementedError

    def put_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store one task's writes, attached to the checkpoint ``config`` names."""
        raise NotImplementedError

    def delete_thread(self, thread_id: str) -> None:
        """Remove every checkpoint and write of a thread, in every namespace."""
        raise NotImplementedError

    # -- async --------------------------------------------------------------------------
    async def aget(self, config: Mapping[str, Any]) -> Checkpoint | None:
        """Async :meth:`get`."""
        found = await self.aget_tuple(config)
        return found.checkpoint if found is not None else None

    async def aget_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        """Async :meth:`get_tuple`."""
        raise NotImplementedError

    def alist(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Async :meth:`list`."""
        raise NotImplementedError

    async def aput(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict[str, Any]:
        """Async :meth:`put`."""
        raise NotImplementedError

    async def aput_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Async :meth:`put_writes`."""
        raise NotImplementedError

    async def adelete_thread(self, thread_id: str) -> None:
        """Async :meth:`delete_thread`."""
        raise NotImplementedError

    # -- versions -----------------------------------------------------------------------
    def get_next_version(self, current: str | int | float | None, channel: object) -> str:
        """The version after ``current``: a zero-padded counter and a random tie-breaker.

        Versions of one channel sort as strings in the order they were made.

        >>> v1 = BaseCheckpointSaver().get_next_version(None, None)
        >>> v1.startswith("0" * 31 + "1.")
        True
        """
        if current is None:
            n = 0
        elif isinstance(current, str):
            n = int(current.split(".", 1)[0])
        else:
            n = int(current)
        return f"{n + 1:032}.{random.random():.16f}"

    def with_allowlist(self, extra: Sequence[type]) -> BaseCheckpointSaver:
        """A shallow copy whose serializer may also load the types in ``extra``."""
        widen = getattr(self.serde, "with_allowed_types", None)
        if widen is None:
            return self
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.serde = widen(extra)
        return clone
