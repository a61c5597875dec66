"""Contract §3 Capture and Subgraphs, §4 Stream writer: parallel nodes, nested graphs, helpers."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest

from streamgraph import START, MessagesState, StateGraph, get_stream_writer
from streamgraph.graph import CompiledStateGraph
from streamgraph.messages import AIMessage, AIMessageChunk
from streamgraph.models import FakeChatModel
from streamgraph.tools import tool
from tests.contract.helpers import (
    INPUTS,
    HandshakeModel,
    calling_node,
    chunks,
    collect,
    one_node_graph,
    tagged,
    tool_calling_graph,
    wholes,
)

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


HISTORY_INPUT: dict[str, Any] = {
    "messages": [("user", "first"), AIMessage("old answer", id="old-1"), ("user", "again")]
}


def _task_ids(payloads: list[Any], name: str) -> list[str]:
    """Ids of the task-start payloads of node ``name``."""
    return [p["id"] for p in payloads if "input" in p and p["name"] == name]


# -- parallel nodes ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("left_kind", "right_kind"),
    [("sync", "sync"), ("async", "async"), ("sync", "async")],
    ids=["sync-sync", "async-async", "sync-async"],
)
async def test_two_parallel_nodes_stream_at_once_each_under_its_own_node(
    door: str, left_kind: str, right_kind: str
) -> None:
    left_said, right_said = threading.Event(), threading.Event()
    left = HandshakeModel(["L1 L2 L3 L4"], mine=left_said, theirs=right_said)
    right = HandshakeModel(["R1 R2 R3 R4"], mine=right_said, theirs=left_said)
    builder = StateGraph(MessagesState)
    builder.add_node("left", calling_node(left, left_kind))
    builder.add_node("right", calling_node(right, right_kind))
    builder.add_edge(START, "left")
    builder.add_edge(START, "right")
    items = await collect(builder.compile(), INPUTS, door, stream_mode="messages")
    assert left.passed == [True] and right.passed == [True]
    pieces = [(str(c.content).strip(), meta["langgraph_node"]) for c, meta in chunks(items)]
    assert wholes(items) == []
    for text, node in pieces:
        assert node == {"L": "left", "R": "right"}[text[0]], (text, node)
    order = [node for _, node in pieces]
    positions = {n: [i for i, o in enumerate(order) if o == n] for n in ("left", "right")}
    assert max(p[0] for p in positions.values()) < min(p[-1] for p in positions.values())
    assert [t for t, n in pieces if n == "left"] == ["L1", "L2", "L3", "L4"]
    assert [t for t, n in pieces if n == "right"] == ["R1", "R2", "R3", "R4"]


async def test_parallel_nodes_with_paced_models_keep_their_tokens_apart(
    door: str, kind: str
) -> None:
    builder = StateGraph(MessagesState)
    texts = {"one": "alpha beta gamma delta", "two": "epsilon zeta eta theta"}
    for name, text in texts.items():
        builder.add_node(name, calling_node(FakeChatModel(responses=[text], delay=0.002), kind))
        builder.add_edge(START, name)
    items = await collect(builder.compile(), INPUTS, door, stream_mode=["messages", "values"])
    got: dict[str, str] = {}
    ids: dict[str, set[str | None]] = {}
    for chunk, meta in tagged(items, "messages"):
        node = meta["langgraph_node"]
        got[node] = got.get(node, "") + str(chunk.content)
        ids.setdefault(node, set()).add(chunk.id)
    assert got == texts
    final = {m.content: m.id for m in tagged(items, "values")[-1]["messages"][1:]}
    assert {node: ids[node] for node in texts} == {n: {final[t]} for n, t in texts.items()}


# -- capture inside a node ------------------------------------------------------------------------
def _capturing_node(how: str, first: FakeChatModel, second: FakeChatModel) -> Any:
    async def gathered(state: MessagesState) -> dict[str, Any]:
        a, b = await asyncio.gather(first.ainvoke("one"), second.ainvoke("two"))
        return {"messages": [a, b]}

    async def in_tasks(state: MessagesState) -> dict[str, Any]:
        a = asyncio.create_task(first.ainvoke("one"))
        b = asyncio.create_task(second.ainvoke("two"))
        return {"messages": [await a, await b]}

    async def in_thread(state: MessagesState) -> dict[str, Any]:
        a = await asyncio.to_thread(first.invoke, "one")
        b = await asyncio.to_thread(second.invoke, "two")
        return {"messages": [a, b]}

    def helper(model: FakeChatModel) -> AIMessage:
        return model.invoke("helped")

    def via_helper(state: MessagesState) -> dict[str, Any]:
        return {"messages": [helper(first), helper(second)]}

    return {
        "gather": gathered,
        "create_task": in_tasks,
        "to_thread": in_thread,
        "helper": via_helper,
    }[how]


@pytest.mark.parametrize("how", ["gather", "create_task", "to_thread", "helper"])
async def test_calls_made_in_tasks_threads_and_helpers_of_a_node_are_captured(
    door: str, how: str
) -> None:
    first = FakeChatModel(responses=["first model speaks"])
    second = FakeChatModel(responses=["second model answers"])
    graph = one_node_graph(_capturing_node(how, first, second), "worker")
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    payloads = tagged(items, "messages")
    assert wholes(payloads) == []
    assert {meta["langgraph_node"] for _, meta in payloads} == {"worker"}
    by_id: dict[str | None, str] = {}
    for chunk, _ in payloads:
        by_id[chunk.id] = by_id.get(chunk.id, "") + str(chunk.content)
    final = tagged(items, "values")[-1]["messages"][1:]
    assert by_id == {m.id: m.content for m in final}
    assert sorted(by_id.values()) == ["first model speaks", "second model answers"]


def _writing_node(how: str) -> Any:
    def report(step: str) -> None:
        get_stream_writer()({"step": step})

    async def gathered(state: MessagesState) -> dict[str, Any]:
        async def part(name: str) -> None:
            report(name)

        await asyncio.gather(part("a"), part("b"))
        return {}

    async def in_task(state: MessagesState) -> dict[str, Any]:
        async def part(name: str) -> None:
            report(name)

        await asyncio.create_task(part("a"))
        await asyncio.create_task(part("b"))
        return {}

    async def in_thread(state: MessagesState) -> dict[str, Any]:
        await asyncio.to_thread(report, "a")
        await asyncio.to_thread(report, "b")
        return {}

    def sync_helper(state: MessagesState) -> dict[str, Any]:
        report("a")
        report("b")
        return {}

    async def async_helper(state: MessagesState) -> dict[str, Any]:
        report("a")
        report("b")
        return {}

    return {
        "gather": gathered,
        "create_task": in_task,
        "to_thread": in_thread,
        "sync-helper": sync_helper,
        "async-helper": async_helper,
    }[how]


@pytest.mark.parametrize(
    "how", ["gather", "create_task", "to_thread", "sync-helper", "async-helper"]
)
async def test_stream_writer_works_in_helpers_tasks_and_threads_of_a_node(
    door: str, how: str
) -> None:
    graph = one_node_graph(_writing_node(how), "worker")
    items = await collect(graph, INPUTS, door, stream_mode="custom")
    assert sorted(i["step"] for i in items) == ["a", "b"]
    if how != "gather":
        assert items == [{"step": "a"}, {"step": "b"}]


# -- a compiled graph used as a node -------------------------------------------------------------
def _inner(kind: str, text: str = "from the inner graph", extra: bool = False) -> Any:
    model = FakeChatModel(responses=[text])
    if kind == "sync":

        def inner(state: MessagesState) -> dict[str, Any]:
            get_stream_writer()({"inner": "wrote"})
            made = [AIMessage("inner note", id="note-1")] if extra else []
            return {"messages": [model.invoke(state["messages"]), *made]}

        return inner

    async def ainner(state: MessagesState) -> dict[str, Any]:
        get_stream_writer()({"inner": "wrote"})
        made = [AIMessage("inner note", id="note-1")] if extra else []
        return {"messages": [await model.ainvoke(state["messages"]), *made]}

    return ainner


def _outer_with(node: Any) -> CompiledStateGraph:
    """START -> prep -> outer, so ``outer`` runs at step 2 of the root graph."""

    def prep(state: MessagesState) -> dict[str, Any]:
        get_stream_writer()({"root": "prep"})
        return {}

    builder = StateGraph(MessagesState)
    builder.add_node("prep", prep)
    builder.add_node("outer", node)
    builder.add_edge(START, "prep")
    builder.add_edge("prep", "outer")
    return builder.compile()


def _subgraph_node(kind: str, extra: bool = False) -> CompiledStateGraph:
    return one_node_graph(_inner(kind, extra=extra), "inner")


async def _with_subgraphs(node: Any, door: str, stream_mode: list[str]) -> tuple[list[Any], str]:
    """The items of a ``subgraphs=True`` run of ``_outer_with(node)``, and its outer task's id."""
    items = await collect(_outer_with(node), INPUTS, door, stream_mode=stream_mode, subgraphs=True)
    [outer_id] = _task_ids([p for ns, m, p in items if m == "tasks" and ns == ()], "outer")
    return items, outer_id


def _assert_inner_events_under_the_outer_task(items: list[Any], outer_id: str) -> None:
    """Updates, custom and tasks items of ``inner`` carry the outer task's namespace, the root's
    carry ``()``."""
    inner_ns = (f"outer:{outer_id}",)
    assert {ns for ns, _, _ in items} == {(), inner_ns}
    inner = [(m, p) for ns, m, p in items if ns == inner_ns]
    assert [list(p) for m, p in inner if m == "updates"] == [["inner"]]
    assert [p for m, p in inner if m == "custom"] == [{"inner": "wrote"}]
    assert {p["name"] for m, p in inner if m == "tasks"} == {"inner"}
    root = [(m, p) for ns, m, p in items if ns == ()]
    assert [list(p) for m, p in root if m == "updates"] == [["prep"], ["outer"]]
    assert [p for m, p in root if m == "custom"] == [{"root": "prep"}]


def _assert_only_root_events(items: list[Any]) -> None:
    """Without ``subgraphs`` the updates, custom and tasks items are the root graph's only."""
    assert [list(u) for u in tagged(items, "updates")] == [["prep"], ["outer"]]
    assert tagged(items, "custom") == [{"root": "prep"}]
    assert {p["name"] for p in tagged(items, "tasks")} == {"prep", "outer"}


async def test_subgraph_node_tokens_reach_the_parent_with_inner_node_and_full_namespace(
    door: str, kind: str
) -> None:
    graph = _outer_with(_subgraph_node(kind))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "tasks", "values"])
    [outer_id] = _task_ids(tagged(items, "tasks"), "outer")
    payloads = tagged(items, "messages")
    assert wholes(payloads) == []
    assert "".join(str(c.content) for c, _ in payloads) == "from the inner graph"
    for _, meta in payloads:
        assert meta["langgraph_node"] == "inner"
        assert meta["langgraph_step"] == 1
        assert meta["langgraph_triggers"] == ("branch:to:inner",)
        assert re.fullmatch(f"outer:{outer_id}\\|inner:{UUID}", meta["checkpoint_ns"])
        assert meta["langgraph_checkpoint_ns"] == meta["checkpoint_ns"]
    final = tagged(items, "values")[-1]["messages"]
    assert {c.id for c, _ in payloads} == {final[-1].id}


async def test_subgraph_namespace_in_messages_is_the_outer_task_with_subgraphs_true(
    door: str,
) -> None:
    items, outer_id = await _with_subgraphs(_subgraph_node("sync"), door, ["messages", "tasks"])
    inner_starts = [(ns, p) for ns, m, p in items if m == "tasks" and "input" in p and ns != ()]
    [(inner_ns, inner_start)] = inner_starts
    assert inner_ns == (f"outer:{outer_id}",)
    messages = [(ns, payload) for ns, m, payload in items if m == "messages"]
    assert messages
    for ns, (_, meta) in messages:
        assert ns == (f"outer:{outer_id}",)
        assert meta["checkpoint_ns"] == f"outer:{outer_id}|inner:{inner_start['id']}"


_OTHER_MODES = ["updates", "values", "custom", "tasks", "debug"]


async def test_other_modes_show_no_subgraph_events_without_subgraphs(door: str) -> None:
    items = await collect(
        _outer_with(_subgraph_node("sync")), INPUTS, door, stream_mode=_OTHER_MODES
    )
    _assert_only_root_events(items)
    assert {e["payload"]["name"] for e in tagged(items, "debug")} == {"prep", "outer"}
    assert len(tagged(items, "values")) == 3


async def test_other_modes_show_subgraph_events_under_the_outer_task_namespace(
    door: str,
) -> None:
    items, outer_id = await _with_subgraphs(_subgraph_node("sync"), door, _OTHER_MODES)
    assert all(isinstance(ns, tuple) for ns, _, _ in items)
    _assert_inner_events_under_the_outer_task(items, outer_id)
    inner = [(m, p) for ns, m, p in items if ns == (f"outer:{outer_id}",)]
    assert {p["payload"]["name"] for m, p in inner if m == "debug"} == {"inner"}
    assert len([p for m, p in inner if m == "values"]) == 2


async def test_a_message_made_inside_a_subgraph_is_emitted_once(door: str, kind: str) -> None:
    graph = _outer_with(_subgraph_node(kind, extra=True))
    items = await collect(graph, HISTORY_INPUT, door, stream_mode="messages")
    assert [(m.id, meta["langgraph_node"]) for m, meta in wholes(items)] == [("note-1", "inner")]
    assert "".join(str(c.content) for c, _ in chunks(items)) == "from the inner graph"


async def test_nested_subgraphs_join_every_level_in_checkpoint_ns_and_namespace(
    door: str,
) -> None:
    mid = one_node_graph(_subgraph_node("sync"), "mid")
    items = await collect(
        one_node_graph(mid, "outer"),
        INPUTS,
        door,
        stream_mode=["messages", "tasks"],
        subgraphs=True,
    )
    starts = {(ns, p["name"]): p["id"] for ns, m, p in items if m == "tasks" and "input" in p}
    outer_id = starts[((), "outer")]
    mid_ns = (f"outer:{outer_id}",)
    mid_id = starts[(mid_ns, "mid")]
    inner_ns = (*mid_ns, f"mid:{mid_id}")
    inner_id = starts[(inner_ns, "inner")]
    messages = [(ns, payload) for ns, m, payload in items if m == "messages"]
    assert messages
    for ns, (chunk, meta) in messages:
        assert isinstance(chunk, AIMessageChunk)
        assert ns == inner_ns
        assert meta["langgraph_node"] == "inner"
        assert meta["checkpoint_ns"] == f"outer:{outer_id}|mid:{mid_id}|inner:{inner_id}"


# -- a graph run inside a node ------------------------------------------------------------------
def _nest(how: str, sub: CompiledStateGraph) -> Any:
    """The outer node that runs ``sub``: as the node itself, or by one of its four doors (the
    sync ``invoke`` also from an async node)."""
    if how == "as-node":
        return sub

    def by_invoke(state: MessagesState) -> dict[str, Any]:
        return {"messages": sub.invoke(state)["messages"]}

    async def by_invoke_in_async_node(state: MessagesState) -> dict[str, Any]:
        return {"messages": sub.invoke(state)["messages"]}

    async def by_ainvoke(state: MessagesState) -> dict[str, Any]:
        return {"messages": (await sub.ainvoke(state))["messages"]}

    def by_stream(state: MessagesState) -> dict[str, Any]:
        last = list(sub.stream(state, stream_mode="values"))[-1]
        return {"messages": last["messages"]}

    async def by_astream(state: MessagesState) -> dict[str, Any]:
        last = [v async for v in sub.astream(state, stream_mode="values")][-1]
        return {"messages": last["messages"]}

    return {
        "invoke": by_invoke,
        "invoke-in-async-node": by_invoke_in_async_node,
        "ainvoke": by_ainvoke,
        "stream": by_stream,
        "astream": by_astream,
    }[how]


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("invoke", id="invoke-in-sync-node"),
        pytest.param("ainvoke", id="ainvoke-in-async-node"),
        pytest.param("invoke-in-async-node", id="invoke-in-async-node"),
    ],
)
async def test_a_graph_invoked_inside_a_node_streams_into_the_parent(
    door: str, kind: str, how: str
) -> None:
    node = _nest(how, _subgraph_node(kind, extra=True))
    items, outer_id = await _with_subgraphs(node, door, ["messages", "tasks", "updates"])
    outer_ns = (f"outer:{outer_id}",)
    messages = [(ns, payload) for ns, m, payload in items if m == "messages"]
    tokens = [(ns, c, meta) for ns, (c, meta) in messages if isinstance(c, AIMessageChunk)]
    assert "".join(str(c.content) for _, c, _ in tokens) == "from the inner graph"
    for ns, _, meta in tokens:
        assert ns == outer_ns
        assert meta["langgraph_node"] == "inner"
        assert re.fullmatch(f"outer:{outer_id}\\|inner:{UUID}", meta["checkpoint_ns"])
    made = [(m.id, meta["langgraph_node"]) for _, (m, meta) in messages if m.id == "note-1"]
    assert made == [("note-1", "inner")]
    assert len(messages) == len(tokens) + 1
    inner_updates = [p for ns, m, p in items if m == "updates" and ns == outer_ns]
    assert [list(u) for u in inner_updates] == [["inner"]]
    root_updates = [p for ns, m, p in items if m == "updates" and ns == ()]
    assert [list(u) for u in root_updates] == [["prep"], ["outer"]]


@pytest.mark.parametrize("door_inside", ["stream", "astream"])
async def test_a_graph_streamed_inside_a_node_streams_its_tokens_into_the_parent(
    door: str, door_inside: str
) -> None:
    node = _nest(door_inside, _subgraph_node("sync"))
    items = await collect(_outer_with(node), INPUTS, door, stream_mode="messages")
    assert [type(m) for m, _ in items] == [AIMessageChunk] * 4
    assert "".join(str(c.content) for c, _ in items) == "from the inner graph"
    assert {meta["langgraph_node"] for _, meta in items} == {"inner"}


# -- tools and batches -------------------------------------------------------------------------
async def test_model_batches_inside_a_node_are_captured(door: str, kind: str) -> None:
    model = FakeChatModel(responses=["batch one", "batch two"])
    if kind == "sync":

        def node(state: MessagesState) -> dict[str, Any]:
            return {"messages": model.batch(["a", "b"])}

    else:

        async def node(state: MessagesState) -> dict[str, Any]:  # type: ignore[misc]
            return {"messages": await model.abatch(["a", "b"])}

    items = await collect(one_node_graph(node), INPUTS, door, stream_mode=["messages", "values"])
    payloads = tagged(items, "messages")
    assert wholes(payloads) == []
    texts: dict[str | None, str] = {}
    for chunk, _ in payloads:
        texts[chunk.id] = texts.get(chunk.id, "") + str(chunk.content)
    final = tagged(items, "values")[-1]["messages"][1:]
    assert texts == {m.id: m.content for m in final}


async def test_tools_run_by_tool_node_reach_the_stream_writer(door: str, kind: str) -> None:
    if kind == "sync":

        @tool
        def probe(x: int) -> str:
            """Report progress, then answer."""
            get_stream_writer()({"tool": "probe", "x": x})
            return f"x={x}"

    else:

        @tool
        async def probe(x: int) -> str:
            """Report progress, then answer."""
            get_stream_writer()({"tool": "probe", "x": x})
            return f"x={x}"

    calls = [{"name": "probe", "args": {"x": 1}, "id": "c1"}]

    graph = tool_calling_graph(probe, calls)
    items = await collect(graph, INPUTS, door, stream_mode=["custom", "messages"])
    assert tagged(items, "custom") == [{"tool": "probe", "x": 1}]
    assert [(m.type, m.content) for m, _ in tagged(items, "messages")] == [
        ("ai", ""),
        ("tool", "x=1"),
    ]


# -- every way of nesting a graph behaves the same ------------------------------------------
_NESTINGS = ["as-node", "invoke", "ainvoke", "stream", "astream"]


@pytest.mark.parametrize("how", _NESTINGS)
async def test_tokens_of_a_nested_graph_carry_the_run_tags_metadata_and_configurable(
    door: str, how: str
) -> None:
    sub = one_node_graph(_inner("sync"), "inner", tags=["inner-node"], metadata={"from_inner": 3})
    builder = StateGraph(MessagesState)
    builder.add_node("outer", _nest(how, sub), tags=["outer-node"], metadata={"from_outer": 2})
    builder.add_edge(START, "outer")
    config = {
        "tags": ["run"],
        "metadata": {"from_config": 1},
        "configurable": {"thread_id": "T-1", "user_id": "not copied"},
        "run_id": "R-1",
    }
    items = await collect(builder.compile(), INPUTS, door, config, stream_mode="messages")
    tokens = chunks(items)
    assert "".join(str(c.content) for c, _ in tokens) == "from the inner graph"
    for _, meta in tokens:
        assert meta["langgraph_node"] == "inner"
        assert re.fullmatch(f"outer:{UUID}\\|inner:{UUID}", meta["checkpoint_ns"])
        assert meta["tags"] == ["run", "outer-node", "inner-node"]
        assert (meta["from_config"], meta["from_outer"], meta["from_inner"]) == (1, 2, 3)
        assert meta["thread_id"] == "T-1" and "user_id" not in meta
        assert meta["run_id"] == "R-1"


@pytest.mark.parametrize("how", _NESTINGS)
async def test_other_modes_of_a_nested_graph_appear_under_the_outer_task_with_subgraphs(
    door: str, how: str
) -> None:
    sub = one_node_graph(_inner("sync"), "inner")
    items, outer_id = await _with_subgraphs(_nest(how, sub), door, ["updates", "custom", "tasks"])
    _assert_inner_events_under_the_outer_task(items, outer_id)


@pytest.mark.parametrize("how", _NESTINGS)
async def test_other_modes_of_a_nested_graph_stay_hidden_without_subgraphs(
    door: str, how: str
) -> None:
    sub = one_node_graph(_inner("sync"), "inner")
    items = await collect(
        _outer_with(_nest(how, sub)), INPUTS, door, stream_mode=["updates", "custom", "tasks"]
    )
    _assert_only_root_events(items)
