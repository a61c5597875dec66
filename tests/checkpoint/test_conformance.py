"""The saver contract, on every backend, through the sync methods and the async ones.

One test per case of the contract: put, put_writes, get_tuple, list and delete_thread.
"""

from __future__ import annotations

from typing import Any

import pytest

from streamgraph.checkpoint.base import (
    Checkpoint,
    CheckpointMetadata,
    create_checkpoint_id,
    empty_checkpoint,
)
from tests.checkpoint.conftest import Door


def cfg(
    thread: str = "t1", ns: str | None = "", checkpoint_id: str | None = None
) -> dict[str, Any]:
    configurable: dict[str, Any] = {"thread_id": thread}
    if ns is not None:
        configurable["checkpoint_ns"] = ns
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def cp(values: dict[str, Any] | None = None, *, step: int = 0, **versions: str) -> Checkpoint:
    checkpoint = empty_checkpoint()
    checkpoint["id"] = create_checkpoint_id(step)
    checkpoint["channel_values"] = dict(values or {})
    checkpoint["channel_versions"] = {
        ch: versions.get(ch, "00000000000000000000000000000001.1")
        for ch in checkpoint["channel_values"]
    }
    return checkpoint


def meta(step: int = 0, **extra: Any) -> CheckpointMetadata:
    return {"source": "loop", "step": step, "parents": {}, **extra}  # type: ignore[typeddict-item]


async def put(
    door: Door, config: dict[str, Any], checkpoint: Checkpoint, **kw: Any
) -> dict[str, Any]:
    return await door.put(
        config, checkpoint, kw.pop("metadata", meta()), dict(checkpoint["channel_versions"])
    )


async def chain(door: Door, n: int, thread: str = "t1", ns: str = "") -> list[dict[str, Any]]:
    configs, config = [], cfg(thread, ns)
    for step in range(n):
        version = f"{step + 1:032}.1"
        config = await door.put(
            config, cp({"n": step}, step=step, n=version), meta(step), {"n": version}
        )
        configs.append(config)
    return configs


# -- put --------------------------------------------------------------------------------


async def test_put_returns_config_of_the_new_checkpoint(door: Door) -> None:
    checkpoint = cp({"a": 1})
    saved = await put(door, cfg(), checkpoint)
    assert saved == {
        "configurable": {"thread_id": "t1", "checkpoint_ns": "", "checkpoint_id": checkpoint["id"]}
    }


async def test_put_then_get_round_trips_the_checkpoint(door: Door) -> None:
    checkpoint = cp({"a": 1, "b": "x"})
    checkpoint["updated_channels"] = ["a"]
    saved = await put(door, cfg(), checkpoint)
    got = await door.get(saved)
    assert got == checkpoint


@pytest.mark.parametrize(
    "value", ["text", 42, 3.5, [1, [2, "x"]], {"k": {"nested": [1]}}, b"\x00\xffbytes", None, True]
)
async def test_put_preserves_channel_values(door: Door, value: Any) -> None:
    checkpoint = cp({"ch": value})
    got = await door.get(await put(door, cfg(), checkpoint))
    assert got is not None and got["channel_values"] == {"ch": value}
    assert type(got["channel_values"]["ch"]) is type(value)


async def test_put_preserves_channel_versions(door: Door) -> None:
    checkpoint = cp(
        {"a": 1, "b": 2},
        a="00000000000000000000000000000003.5",
        b="00000000000000000000000000000007.2",
    )
    got = await door.get(await put(door, cfg(), checkpoint))
    assert got is not None and got["channel_versions"] == checkpoint["channel_versions"]


async def test_put_preserves_versions_seen(door: Door) -> None:
    checkpoint = cp({"a": 1})
    checkpoint["versions_seen"] = {
        "node": {"a": "00000000000000000000000000000001.1"},
        "__input__": {},
    }
    got = await door.get(await put(door, cfg(), checkpoint))
    assert got is not None and got["versions_seen"] == checkpoint["versions_seen"]


async def test_put_preserves_versions_seen_values_exactly(door: Door) -> None:
    checkpoint = cp({"a": 1})
    checkpoint["versions_seen"] = {
        "n1": {"a": "00000000000000000000000000000002.3", "b": "x"},
        "n2": {"c": 5},
    }
    got = await door.get(await put(door, cfg(), checkpoint))
    assert got is not None and got["versions_seen"] == {
        "n1": {"a": "00000000000000000000000000000002.3", "b": "x"},
        "n2": {"c": 5},
    }


async def test_put_preserves_metadata(door: Door) -> None:
    saved = await put(
        door, cfg(), cp(), metadata=meta(3, source="update", parents={"": "p1"}, score=0.5)
    )
    found = await door.get_tuple(saved)
    assert found is not None
    assert found.metadata == {"source": "update", "step": 3, "parents": {"": "p1"}, "score": 0.5}


async def test_put_preserves_run_id(door: Door) -> None:
    saved = await put(door, cfg(), cp(), metadata=meta(0, run_id="run-42"))
    found = await door.get_tuple(saved)
    assert found is not None and found.metadata["run_id"] == "run-42"


async def test_put_in_the_root_namespace(door: Door) -> None:
    saved = await put(door, cfg(ns=""), cp({"a": 1}))
    assert saved["configurable"]["checkpoint_ns"] == ""
    assert await door.get(cfg(ns="")) is not None


async def test_put_in_a_child_namespace_is_apart_from_the_root(door: Door) -> None:
    saved = await put(door, cfg(ns="child:abc"), cp({"a": "child"}))
    assert saved["configurable"]["checkpoint_ns"] == "child:abc"
    assert await door.get(cfg(ns="")) is None
    got = await door.get(cfg(ns="child:abc"))
    assert got is not None and got["channel_values"] == {"a": "child"}


async def test_put_without_a_namespace_uses_the_root_one(door: Door) -> None:
    saved = await put(door, cfg(ns=None), cp({"a": 1}))
    assert saved["configurable"]["checkpoint_ns"] == ""
    assert await door.get(cfg(ns="")) is not None


async def test_put_several_checkpoints_on_one_thread(door: Door) -> None:
    configs = await chain(door, 3)
    latest = await door.get_tuple(cfg())
    assert latest is not None and latest.config == configs[-1]
    assert len(await door.list(cfg())) == 3


async def test_put_keeps_threads_apart(door: Door) -> None:
    await put(door, cfg("a"), cp({"who": "a"}))
    await put(door, cfg("b"), cp({"who": "b"}))
    got_a, got_b = await door.get(cfg("a")), await door.get(cfg("b"))
    assert got_a is not None and got_a["channel_values"] == {"who": "a"}
    assert got_b is not None and got_b["channel_values"] == {"who": "b"}


async def test_put_records_the_parent(door: Door) -> None:
    first = await put(door, cfg(), cp({"a": 1}, step=0))
    second = await put(door, first, cp({"a": 2}, step=1))
    found = await door.get_tuple(second)
    assert found is not None and found.parent_config == first
    root = await door.get_tuple(first)
    assert root is not None and root.parent_config is None


async def test_put_unchanged_channels_load_from_their_earlier_version(door: Door) -> None:
    v1, v2 = "00000000000000000000000000000001.1", "00000000000000000000000000000002.1"
    first = cp({"big": "unchanged", "n": 1}, big=v1, n=v1)
    config = await door.put(cfg(), first, meta(0), {"big": v1, "n": v1})
    second = cp({"big": "unchanged", "n": 2}, step=1, big=v1, n=v2)
    config = await door.put(config, second, meta(1), {"n": v2})  # only n is new
    got = await door.get(config)
    assert got is not None and got["channel_values"] == {"big": "unchanged", "n": 2}


async def test_put_a_channel_added_later(door: Door) -> None:
    v1, v2 = "00000000000000000000000000000001.1", "00000000000000000000000000000002.1"
    config = await door.put(cfg(), cp({"a": 1}, a=v1), meta(0), {"a": v1})
    second = cp({"a": 1, "b": "new"}, step=1, a=v1, b=v2)
    config = await door.put(config, second, meta(1), {"b": v2})
    got = await door.get(config)
    assert got is not None and got["channel_values"] == {"a": 1, "b": "new"}


async def test_put_a_channel_removed_later(door: Door) -> None:
    v1 = "00000000000000000000000000000001.1"
    config = await door.put(cfg(), cp({"a": 1, "b": 2}, a=v1, b=v1), meta(0), {"a": v1, "b": v1})
    second = cp({"a": 1}, step=1, a=v1)
    config = await door.put(config, second, meta(1), {})
    got = await door.get(config)
    assert got is not None and got["channel_values"] == {"a": 1}
    assert "b" not in got["channel_versions"]


async def test_put_a_channel_with_a_version_but_no_value(door: Door) -> None:
    checkpoint = cp({"a": 1})
    checkpoint["channel_versions"]["empty"] = "00000000000000000000000000000001.1"
    config = await door.put(cfg(), checkpoint, meta(), dict(checkpoint["channel_versions"]))
    got = await door.get(config)
    assert got is not None and got["channel_values"] == {"a": 1}
    assert "empty" in got["channel_versions"]


# -- put_writes -------------------------------------------------------------------------


async def test_put_writes_basic(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("ch", "value")], "task-1")
    found = await door.get_tuple(config)
    assert found is not None and found.pending_writes == [("task-1", "ch", "value")]


async def test_put_writes_several_writes_of_one_task_keep_their_order(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("a", 1), ("b", 2), ("a", 3)], "task-1")
    found = await door.get_tuple(config)
    assert found is not None and found.pending_writes == [
        ("task-1", "a", 1),
        ("task-1", "b", 2),
        ("task-1", "a", 3),
    ]


async def test_put_writes_of_several_tasks(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("a", 1)], "task-b")
    await door.put_writes(config, [("a", 2)], "task-a")
    found = await door.get_tuple(config)
    assert found is not None
    assert sorted(found.pending_writes or []) == [("task-a", "a", 2), ("task-b", "a", 1)]


async def test_put_writes_come_back_in_task_path_then_task_id_order(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("x", "late")], "task-a", task_path="~2")
    await door.put_writes(config, [("x", "early-b")], "task-b", task_path="~1")
    await door.put_writes(config, [("x", "early-a")], "task-a2", task_path="~1")
    found = await door.get_tuple(config)
    assert found is not None
    assert [w[2] for w in found.pending_writes or []] == ["early-a", "early-b", "late"]


async def test_put_writes_preserve_task_id(door: Door) -> None:
    config = await put(door, cfg(), cp())
    task_id = "0c8a0b53-1f47-8f4e-2a9e-3d7b5a3c1e99"
    await door.put_writes(config, [("a", 1)], task_id)
    found = await door.get_tuple(config)
    assert found is not None and (found.pending_writes or [])[0][0] == task_id


@pytest.mark.parametrize("value", [{"k": [1, (2, 3)]}, b"raw", None, 0, "", [None]])
async def test_put_writes_preserve_channel_and_value(door: Door, value: Any) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("my_channel", value)], "t")
    found = await door.get_tuple(config)
    assert found is not None and found.pending_writes == [("t", "my_channel", value)]


async def test_put_writes_with_a_task_path(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("a", 1)], "task", task_path="~__pregel_pull, node")
    found = await door.get_tuple(config)
    assert found is not None and found.pending_writes == [("task", "a", 1)]


async def test_put_writes_twice_with_the_same_task_and_index_keeps_one(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("a", "first")], "task")
    await door.put_writes(config, [("a", "second")], "task")
    found = await door.get_tuple(config)
    assert found is not None and found.pending_writes == [("task", "a", "first")]


async def test_put_writes_special_channels_round_trip_and_replace(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("__error__", "ValueError('boom')")], "bad")
    await door.put_writes(config, [("__interrupt__", [{"value": "ask", "id": "i1"}])], "asks")
    await door.put_writes(config, [("__error__", "ValueError('again')")], "bad")  # upsert
    found = await door.get_tuple(config)
    assert found is not None
    assert sorted(found.pending_writes or []) == [
        ("asks", "__interrupt__", [{"value": "ask", "id": "i1"}]),
        ("bad", "__error__", "ValueError('again')"),
    ]


async def test_put_writes_stay_in_their_namespace(door: Door) -> None:
    root = await put(door, cfg(ns=""), cp())
    child = await put(door, cfg(ns="child:1"), cp())
    await door.put_writes(root, [("a", "root")], "t")
    await door.put_writes(child, [("a", "child")], "t")
    found_root, found_child = await door.get_tuple(root), await door.get_tuple(child)
    assert found_root is not None and found_root.pending_writes == [("t", "a", "root")]
    assert found_child is not None and found_child.pending_writes == [("t", "a", "child")]


async def test_put_writes_are_not_carried_to_the_next_checkpoint(door: Door) -> None:
    first = await put(door, cfg(), cp(step=0))
    await door.put_writes(first, [("a", 1)], "t")
    second = await put(door, first, cp(step=1))
    found = await door.get_tuple(second)
    assert found is not None and found.pending_writes == []
    earlier = await door.get_tuple(first)
    assert earlier is not None and earlier.pending_writes == [("t", "a", 1)]


# -- get_tuple --------------------------------------------------------------------------


async def test_get_tuple_of_an_unknown_thread_is_none(door: Door) -> None:
    assert await door.get_tuple(cfg("nobody")) is None
    assert await door.get(cfg("nobody")) is None


async def test_get_tuple_without_an_id_gives_the_latest(door: Door) -> None:
    configs = await chain(door, 3)
    found = await door.get_tuple(cfg())
    assert found is not None and found.config == configs[-1]
    assert found.checkpoint["channel_values"] == {"n": 2}


async def test_get_tuple_with_an_id_gives_that_checkpoint(door: Door) -> None:
    configs = await chain(door, 3)
    found = await door.get_tuple(configs[1])
    assert found is not None and found.checkpoint["channel_values"] == {"n": 1}


async def test_get_tuple_config_has_thread_namespace_and_id(door: Door) -> None:
    saved = await put(door, cfg(ns="sub:1"), cp())
    found = await door.get_tuple(cfg(ns="sub:1"))
    assert found is not None
    assert found.config == saved
    assert set(found.config["configurable"]) == {"thread_id", "checkpoint_ns", "checkpoint_id"}


async def test_get_tuple_checkpoint_has_every_field(door: Door) -> None:
    checkpoint = cp({"a": 1})
    found = await door.get_tuple(await put(door, cfg(), checkpoint))
    assert found is not None
    assert set(found.checkpoint) == {
        "v",
        "id",
        "ts",
        "channel_values",
        "channel_versions",
        "versions_seen",
        "updated_channels",
    }
    assert found.checkpoint["id"] == checkpoint["id"] and found.checkpoint["ts"] == checkpoint["ts"]
    assert found.checkpoint["v"] == checkpoint["v"]


async def test_get_tuple_metadata(door: Door) -> None:
    found = await door.get_tuple(await put(door, cfg(), cp(), metadata=meta(-1, source="input")))
    assert (
        found is not None and found.metadata["source"] == "input" and found.metadata["step"] == -1
    )


async def test_get_tuple_parent_config(door: Door) -> None:
    configs = await chain(door, 2)
    found = await door.get_tuple(configs[1])
    assert found is not None and found.parent_config == configs[0]


async def test_get_tuple_pending_writes(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("a", 1), ("b", 2)], "t1")
    found = await door.get_tuple(cfg())
    assert found is not None and found.pending_writes == [("t1", "a", 1), ("t1", "b", 2)]


async def test_get_tuple_respects_the_namespace(door: Door) -> None:
    await put(door, cfg(ns=""), cp({"at": "root"}))
    await put(door, cfg(ns="inner"), cp({"at": "inner"}))
    root, inner = await door.get(cfg(ns="")), await door.get(cfg(ns="inner"))
    assert root is not None and root["channel_values"] == {"at": "root"}
    assert inner is not None and inner["channel_values"] == {"at": "inner"}


async def test_get_tuple_of_an_unknown_checkpoint_id_is_none(door: Door) -> None:
    await chain(door, 1)
    assert await door.get_tuple(cfg(checkpoint_id=create_checkpoint_id(5))) is None


# -- list -------------------------------------------------------------------------------


async def test_list_every_thread(door: Door) -> None:
    await chain(door, 2, "a")
    await chain(door, 1, "b")
    found = await door.list(None)
    assert sorted(t.config["configurable"]["thread_id"] for t in found) == ["a", "a", "b"]


async def test_list_one_thread(door: Door) -> None:
    await chain(door, 2, "a")
    await chain(door, 1, "b")
    found = await door.list(cfg("a", ns=None))
    assert [t.config["configurable"]["thread_id"] for t in found] == ["a", "a"]


async def test_list_one_namespace(door: Door) -> None:
    await chain(door, 2, "a", "")
    await chain(door, 1, "a", "sub")
    found = await door.list(cfg("a", ns="sub"))
    assert [t.config["configurable"]["checkpoint_ns"] for t in found] == ["sub"]


async def test_list_newest_first(door: Door) -> None:
    configs = await chain(door, 4)
    found = await door.list(cfg())
    assert [t.config for t in found] == list(reversed(configs))


async def test_list_filter_on_one_metadata_key(door: Door) -> None:
    await put(door, cfg(), cp(step=0), metadata=meta(0, source="input"))
    await put(door, cfg(), cp(step=1), metadata=meta(1, source="loop"))
    found = await door.list(cfg(), filter={"source": "input"})
    assert [t.metadata["source"] for t in found] == ["input"]


async def test_list_filter_on_step(door: Door) -> None:
    await chain(door, 3)
    found = await door.list(cfg(), filter={"step": 1})
    assert [t.metadata["step"] for t in found] == [1]


async def test_list_before(door: Door) -> None:
    configs = await chain(door, 4)
    found = await door.list(cfg(), before=configs[2])
    assert [t.config for t in found] == [configs[1], configs[0]]


async def test_list_limit(door: Door) -> None:
    configs = await chain(door, 4)
    found = await door.list(cfg(), limit=2)
    assert [t.config for t in found] == [configs[3], configs[2]]


async def test_list_limit_and_before(door: Door) -> None:
    configs = await chain(door, 5)
    found = await door.list(cfg(), before=configs[3], limit=2)
    assert [t.config for t in found] == [configs[2], configs[1]]


async def test_list_thread_and_filter_together(door: Door) -> None:
    await put(door, cfg("a"), cp(), metadata=meta(0, user="u1"))
    await put(door, cfg("b"), cp(), metadata=meta(0, user="u1"))
    await put(door, cfg("a"), cp(step=1), metadata=meta(1, user="u2"))
    found = await door.list(cfg("a", ns=None), filter={"user": "u1"})
    found_pairs = [(t.config["configurable"]["thread_id"], dict(t.metadata)["user"]) for t in found]
    assert found_pairs == [("a", "u1")]


async def test_list_of_nothing_is_empty(door: Door) -> None:
    assert await door.list(cfg("nobody")) == []
    assert await door.list(None) == []


async def test_list_includes_pending_writes(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("a", 1)], "t")
    found = await door.list(cfg())
    assert found[0].pending_writes == [("t", "a", 1)]


async def test_list_a_thread_across_namespaces(door: Door) -> None:
    await chain(door, 1, "a", "")
    await chain(door, 1, "a", "x")
    await chain(door, 1, "a", "y")
    found = await door.list(cfg("a", ns=None))
    assert sorted(t.config["configurable"]["checkpoint_ns"] for t in found) == ["", "x", "y"]


async def test_list_filter_on_several_metadata_keys(door: Door) -> None:
    await put(door, cfg(), cp(step=0), metadata=meta(0, source="loop", user="u1"))
    await put(door, cfg(), cp(step=1), metadata=meta(1, source="loop", user="u2"))
    await put(door, cfg(), cp(step=2), metadata=meta(2, source="input", user="u1"))
    found = await door.list(cfg(), filter={"source": "loop", "user": "u1"})
    assert [t.metadata["step"] for t in found] == [0]


async def test_list_filter_that_matches_nothing(door: Door) -> None:
    await chain(door, 2)
    assert await door.list(cfg(), filter={"source": "nope"}) == []
    assert await door.list(cfg(), filter={"missing_key": 1}) == []


async def test_list_filter_on_custom_metadata_keys(door: Door) -> None:
    await put(door, cfg(), cp(step=0), metadata=meta(0, tenant="acme", score=3))
    await put(door, cfg(), cp(step=1), metadata=meta(1, tenant="other", score=3))
    found = await door.list(cfg(), filter={"tenant": "acme", "score": 3})
    assert [dict(t.metadata)["tenant"] for t in found] == ["acme"]


# -- delete_thread ----------------------------------------------------------------------


async def test_delete_thread_removes_its_checkpoints(door: Door) -> None:
    await chain(door, 3)
    await door.delete_thread("t1")
    assert await door.get_tuple(cfg()) is None
    assert await door.list(cfg()) == []


async def test_delete_thread_removes_its_writes(door: Door) -> None:
    config = await put(door, cfg(), cp())
    await door.put_writes(config, [("a", 1)], "t")
    await door.delete_thread("t1")
    config = await door.put(cfg(), _with_id(cp(), config), meta(), {})
    found = await door.get_tuple(config)
    assert found is not None and found.pending_writes == []


async def test_delete_thread_removes_every_namespace(door: Door) -> None:
    await chain(door, 1, "t1", "")
    await chain(door, 1, "t1", "child")
    await door.delete_thread("t1")
    assert await door.list(cfg("t1", ns=None)) == []


async def test_delete_thread_keeps_other_threads(door: Door) -> None:
    await chain(door, 2, "gone")
    kept = await chain(door, 2, "kept")
    await door.delete_thread("gone")
    found = await door.get_tuple(cfg("kept"))
    assert found is not None and found.config == kept[-1]
    assert len(await door.list(cfg("kept"))) == 2


async def test_delete_thread_of_an_unknown_thread_does_nothing(door: Door) -> None:
    await chain(door, 1)
    await door.delete_thread("never-existed")
    assert len(await door.list(None)) == 1


def _with_id(checkpoint: Checkpoint, config: dict[str, Any]) -> Checkpoint:
    checkpoint["id"] = config["configurable"]["checkpoint_id"]
    return checkpoint
