"""The saver contract, once, over any :class:`~streamgraph.checkpoint.rows.RowStore`.

A backend says how to run a function inside one of its sessions, sync (``_session``) and
async (``_asession``); everything else (serialising channel values per version, deltas
for lists that only grow, pending writes, listing and filtering) is here.

Lists that only grow (a ``messages`` channel under ``add_messages``) are stored as deltas:
a new version whose list starts with the previous version's items stores only the new
items and the previous version it extends, and every ``snapshot_every``-th version stores
the whole list, so reading one back applies at most that many deltas. The previous list is
remembered per thread in this process (a bounded cache); after a restart the first version
written is a whole list again.
"""

from __future__ import annotations

import builtins
import re
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from streamgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_checkpoint_metadata,
    thread_and_ns,
)
from streamgraph.checkpoint.rows import BlobKey, BlobRow, CheckpointRow, RowStore, WriteRow
from streamgraph.checkpoint.serde.base import SerializerProtocol
from streamgraph.errors import ConfigurationError, SerializationError

__all__ = ["StoredSaver"]

T = TypeVar("T")

_DELTA = "delta/"
_EMPTY = "empty"
_CACHE_SIZE = 4096
_LEADING_INDEX = re.compile(r"^\[(\d+)\]")


@dataclass(slots=True)
class _Last:
    version: str
    items: list[Any]
    depth: int  # deltas since the last whole list


@dataclass(slots=True)
class _Loaded:
    row: CheckpointRow
    checkpoint: dict[str, Any]
    metadata: dict[str, Any]
    blobs: dict[BlobKey, BlobRow]
    writes: list[WriteRow]


class StoredSaver(BaseCheckpointSaver):
    """Base of the memory, SQLite and PostgreSQL savers."""

    def __init__(
        self, *, serde: SerializerProtocol | None = None, snapshot_every: int = 32
    ) -> None:
        super().__init__(serde=serde)
        if snapshot_every < 1:
            raise ConfigurationError(f"snapshot_every must be 1 or more, not {snapshot_every}")
        self.snapshot_every = snapshot_every
        self._last: OrderedDict[tuple[str, str, str], _Last] = OrderedDict()
        self._last_lock = threading.Lock()

    # -- what a backend provides -------------------------------------------------------
    def _session(self, fn: Callable[[RowStore], T], *, write: bool) -> T:
        """Run ``fn`` in one session (one transaction) of the backend, from any thread."""
        raise NotImplementedError

    def _asession(self, fn: Callable[[RowStore], T], *, write: bool) -> Awaitable[T]:
        """:meth:`_session` for async callers: the event loop is never blocked on I/O."""
        raise NotImplementedError

    # -- put ---------------------------------------------------------------------------
    def put(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict[str, Any]:
        row, blobs, remember = self._encode_put(config, checkpoint, metadata, new_versions)
        self._session(lambda rows: rows.save(row, blobs), write=True)
        self._remember(remember)
        return _config(row.thread_id, row.checkpoint_ns, row.checkpoint_id)

    async def aput(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict[str, Any]:
        row, blobs, remember = self._encode_put(config, checkpoint, metadata, new_versions)
        await self._asession(lambda rows: rows.save(row, blobs), write=True)
        self._remember(remember)
        return _config(row.thread_id, row.checkpoint_ns, row.checkpoint_id)

    def put_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        rows, replace = self._encode_writes(config, writes, task_id, task_path)
        if rows:
            self._session(lambda store: store.save_writes(rows, replace=replace), write=True)

    async def aput_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        rows, replace = self._encode_writes(config, writes, task_id, task_path)
        if rows:
            await self._asession(lambda store: store.save_writes(rows, replace=replace), write=True)

    def _encode_put(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> tuple[CheckpointRow, list[BlobRow], list[tuple[tuple[str, str, str], _Last]]]:
        thread, ns = thread_and_ns(config)
        head = {k: v for k, v in checkpoint.items() if k != "channel_values"}
        kind, raw = self._dump(head, "checkpoint")
        meta = get_checkpoint_metadata(config, metadata)
        _, meta_raw = self._dump_json(dict(meta), "metadata")
        values = checkpoint["channel_values"]
        blobs: list[BlobRow] = []
        remember: list[tuple[tuple[str, str, str], _Last]] = []
        for channel, version in new_versions.items():
            version = str(version)
            if channel not in values:
                blobs.append(BlobRow(thread, ns, channel, version, _EMPTY, b""))
                continue
            value = values[channel]
            key = (thread, ns, channel)
            btype, blob, last = self._encode_value(key, version, value)
            blobs.append(BlobRow(thread, ns, channel, version, btype, blob))
            if last is not None:
                remember.append((key, last))
        row = CheckpointRow(
            thread, ns, checkpoint["id"], get_checkpoint_id(config), kind, raw, meta_raw
        )
        return row, blobs, remember

    def _encode_value(
        self, key: tuple[str, str, str], version: str, value: Any
    ) -> tuple[str, bytes, _Last | None]:
        channel = key[2]
        if type(value) is not list:
            kind, raw = self._dump(value, channel)
            return kind, raw, None
        with self._last_lock:
            prev = self._last.get(key)
        if (
            prev is not None
            and prev.depth + 1 < self.snapshot_every
            and _extends(prev.items, value)
        ):
            start = len(prev.items)
            try:
                kind, raw = self.serde.dumps_typed(value[start:])
            except SerializationError as exc:
                raise exc.moved(channel + _shift_index(exc.path, start)) from None
            except Exception as exc:
                raise _wrap(exc, channel) from exc
            last = _Last(version, list(value), prev.depth + 1)
            return f"{_DELTA}{prev.version}/{kind}", raw, last
        kind, raw = self._dump(value, channel)
        return kind, raw, _Last(version, list(value), 0)

    def _remember(self, entries: list[tuple[tuple[str, str, str], _Last]]) -> None:
        if not entries:
            return
        with self._last_lock:
            for key, last in entries:
                self._last[key] = last
                self._last.move_to_end(key)
            while len(self._last) > _CACHE_SIZE:
                self._last.popitem(last=False)

    def _forget_thread(self, thread_id: str) -> None:
        with self._last_lock:
            for key in [k for k in self._last if k[0] == thread_id]:
                del self._last[key]

    def _encode_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> tuple[list[WriteRow], bool]:
        thread, ns = thread_and_ns(config)
        checkpoint_id = get_checkpoint_id(config)
        if checkpoint_id is None:
            raise ConfigurationError(
                'put_writes needs config["configurable"]["checkpoint_id"]: the checkpoint '
                "the task ran from (the config put() returned)"
            )
        rows = []
        for i, (channel, value) in enumerate(writes):
            kind, raw = self._dump(value, channel)
            idx = WRITES_IDX_MAP.get(channel, i)
            rows.append(
                WriteRow(thread, ns, checkpoint_id, task_id, task_path, idx, channel, kind, raw)
            )
        replace = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        return rows, replace

    def _dump(self, value: Any, path: str) -> tuple[str, bytes]:
        try:
            return self.serde.dumps_typed(value)
        except SerializationError as exc:
            raise exc.at(path) from None
        except Exception as exc:
            raise _wrap(exc, path) from exc

    def _dump_json(self, value: Any, path: str) -> tuple[str, bytes]:
        # metadata stays readable (and filterable) without the serializer's key
        try:
            return "json", _PLAIN_SERDE.dumps(value)
        except SerializationError as exc:
            raise exc.at(path) from None

    # -- get ---------------------------------------------------------------------------
    def get_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        thread, ns = thread_and_ns(config)
        wanted = get_checkpoint_id(config)
        loaded = self._session(lambda rows: self._load_one(rows, thread, ns, wanted), write=False)
        return None if loaded is None else self._tuple(loaded)

    async def aget_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        thread, ns = thread_and_ns(config)
        wanted = get_checkpoint_id(config)
        loaded = await self._asession(
            lambda rows: self._load_one(rows, thread, ns, wanted), write=False
        )
        return None if loaded is None else self._tuple(loaded)

    def list(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        search = _search_args(config, before)
        found = self._session(
            lambda rows: self._load_many(rows, search, filter, limit), write=False
        )
        return iter([self._tuple(item) for item in found])

    async def alist(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        search = _search_args(config, before)
        found = await self._asession(
            lambda rows: self._load_many(rows, search, filter, limit), write=False
        )
        for item in found:
            yield self._tuple(item)

    def delete_thread(self, thread_id: str) -> None:
        self._session(lambda rows: rows.delete_thread(str(thread_id)), write=True)
        self._forget_thread(str(thread_id))

    async def adelete_thread(self, thread_id: str) -> None:
        await self._asession(lambda rows: rows.delete_thread(str(thread_id)), write=True)
        self._forget_thread(str(thread_id))

    def _load_one(
        self, rows: RowStore, thread: str, ns: str, checkpoint_id: str | None
    ) -> _Loaded | None:
        row = rows.checkpoint(thread, ns, checkpoint_id)
        return None if row is None else self._load_row(rows, row)

    def _load_many(
        self,
        rows: RowStore,
        search: tuple[str | None, str | None, str | None, str | None],
        filter: Mapping[str, Any] | None,
        limit: int | None,
    ) -> builtins.list[_Loaded]:
        out: builtins.list[_Loaded] = []
        if limit is not None and limit <= 0:
            return out
        for row in rows.search(*search):
            if filter:
                metadata = _PLAIN_SERDE.loads(row.metadata)
                if any(k not in metadata or metadata[k] != v for k, v in filter.items()):
                    continue
            out.append(self._load_row(rows, row))
            if limit is not None and len(out) >= limit:
                break
        return out

    def _load_row(self, rows: RowStore, row: CheckpointRow) -> _Loaded:
        checkpoint = self.serde.loads_typed((row.type, row.checkpoint))
        metadata = _PLAIN_SERDE.loads(row.metadata)
        keys = [(ch, str(v)) for ch, v in checkpoint["channel_versions"].items()]
        blobs = rows.blobs(row.thread_id, row.checkpoint_ns, keys)
        self._fetch_bases(rows, row, blobs)
        writes = rows.writes(row.thread_id, row.checkpoint_ns, row.checkpoint_id)
        return _Loaded(row, checkpoint, metadata, blobs, writes)

    def _fetch_bases(
        self, rows: RowStore, row: CheckpointRow, blobs: dict[BlobKey, BlobRow]
    ) -> None:
        """Add to ``blobs`` every earlier version the deltas among them build on."""
        missing = [b for b in blobs.values() if b.type.startswith(_DELTA)]
        for blob in missing:  # one range read per delta channel covers a linear history
            history = rows.blob_history(
                row.thread_id, row.checkpoint_ns, blob.channel, blob.version, self.snapshot_every
            )
            for found in history:
                blobs.setdefault((found.channel, found.version), found)
        while True:
            need = [
                (b.channel, _delta_base(b.type))
                for b in list(blobs.values())
                if b.type.startswith(_DELTA) and (b.channel, _delta_base(b.type)) not in blobs
            ]
            if not need:
                return
            found_now = rows.blobs(row.thread_id, row.checkpoint_ns, need)
            if len(found_now) < len(set(need)):
                lost = sorted(set(need) - set(found_now))
                raise SerializationError(
                    f"checkpoint {row.checkpoint_id} of thread {row.thread_id!r}: the stored "
                    f"versions {lost} that its channels build on are missing"
                )
            blobs.update(found_now)

    def _tuple(self, loaded: _Loaded) -> CheckpointTuple:
        row, checkpoint = loaded.row, loaded.checkpoint
        values: dict[str, Any] = {}
        resolved: dict[BlobKey, Any] = {}
        for channel, version in checkpoint["channel_versions"].items():
            blob = loaded.blobs.get((channel, str(version)))
            if blob is None or blob.type == _EMPTY:
                continue
            values[channel] = self._value(blob, loaded.blobs, resolved)
        checkpoint["channel_values"] = values
        writes = sorted(loaded.writes, key=lambda w: (w.task_path, w.task_id, w.idx))
        pending = [(w.task_id, w.channel, self.serde.loads_typed((w.type, w.blob))) for w in writes]
        parent = row.parent_checkpoint_id
        return CheckpointTuple(
            config=_config(row.thread_id, row.checkpoint_ns, row.checkpoint_id),
            checkpoint=checkpoint,  # type: ignore[arg-type]
            metadata=loaded.metadata,  # type: ignore[arg-type]
            parent_config=None
            if parent is None
            else _config(row.thread_id, row.checkpoint_ns, parent),
            pending_writes=pending,
        )

    def _value(
        self, blob: BlobRow, blobs: dict[BlobKey, BlobRow], resolved: dict[BlobKey, Any]
    ) -> Any:
        chain: builtins.list[BlobRow] = []
        while blob.type.startswith(_DELTA):
            chain.append(blob)
            blob = blobs[(blob.channel, _delta_base(blob.type))]
        items = self.serde.loads_typed((blob.type, blob.blob))
        if not chain:
            return items
        items = list(items)
        for delta in reversed(chain):
            inner = delta.type.rsplit("/", 1)[1]
            items.extend(self.serde.loads_typed((inner, delta.blob)))
        return items


def _extends(old: list[Any], new: list[Any]) -> bool:
    if len(new) < len(old):
        return False
    try:
        return all(a is b or bool(a == b) for a, b in zip(old, new, strict=False))
    except Exception:  # a value whose == cannot answer: store the whole list
        return False


def _shift_index(path: str, start: int) -> str:
    match = _LEADING_INDEX.match(path)
    if match is None:
        return path
    return f"[{int(match.group(1)) + start}]{path[match.end() :]}"


def _delta_base(kind: str) -> str:
    return kind[len(_DELTA) :].rsplit("/", 1)[0]


def _wrap(exc: Exception, path: str) -> SerializationError:
    return SerializationError(f"cannot store {path}: {exc}", path=path)


def _config(thread: str, ns: str, checkpoint_id: str) -> dict[str, Any]:
    return {
        "configurable": {"thread_id": thread, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}
    }


def _search_args(
    config: Mapping[str, Any] | None, before: Mapping[str, Any] | None
) -> tuple[str | None, str | None, str | None, str | None]:
    before_id = get_checkpoint_id(before) if before is not None else None
    if config is None:
        return None, None, None, before_id
    configurable = config.get("configurable", {})
    thread = configurable.get("thread_id")
    ns = configurable.get("checkpoint_ns")
    return (
        None if thread is None else str(thread),
        None if ns is None else str(ns),
        get_checkpoint_id(config),
        before_id,
    )


def _plain_serde() -> Any:
    from streamgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return JsonPlusSerializer()


_PLAIN_SERDE = _plain_serde()
