"""Contract §1 (what stream/astream yield, invoke's result) and §2 (the stream modes)."""

from __future__ import annotations

import dataclasses
import operator
import threading
from datetime import datetime
from typing import Annotated, Any

import pydantic
import pytest
from typing_extensions import TypedDict

from streamgraph import END, START, Command, MessagesState, StateGraph, get_stream_writer
from streamgraph.errors import InvalidStreamModeError
from streamgraph.graph import CompiledStateGraph
from streamgraph.messages import AIMessageChunk, HumanMessage
from streamgraph.models import FakeChatModel
from streamgraph.runtime import Runtime
from streamgraph.types import STREAM_MODES, StreamWriter
from tests.contract.helpers import (
    INPUTS,
    GatedModel,
    calling_node,
    collect,
    consume,
    one_node_graph,
    opening,
    run_invoke,
    tagged,
    wait_in_thread,
)


class Counter(TypedDict):
    count: int
    log: Annotated[list[str], operator.add]


def _counter_chain() -> CompiledStateGraph:
    """START -> a -> b: each adds one to ``count`` and logs its name."""

    def a(state: Counter) -> dict[str, Any]:
        return {"count": state["count"] + 1, "log": ["a"]}

    def b(state: Counter) -> dict[str, Any]:
        return {"count": state["count"] + 1, "log": ["b"]}

    builder = StateGraph(Counter)
    builder.add_node("a", a)
    builder.add_node("b", b)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", END)
    return builder.compile()


def _chat_graph(text: str = "one two three") -> CompiledStateGraph:
    return one_node_graph(calling_node(FakeChatModel(responses=[text]), "sync"))


def _nested_graph() -> CompiledStateGraph:
    """Root node ``outer`` is a compiled graph whose single node ``inner`` calls a model."""
    inner = one_node_graph(calling_node(FakeChatModel(responses=["deep reply"]), "sync"), "inner")
    return one_node_graph(inner, "outer")


def inner_ns(items: list[Any]) -> tuple[str, ...]:
    """The one non-root namespace among v2 items."""
    found = {item["ns"] for item in items if item["ns"] != ()}
    assert len(found) == 1, found
    ns: tuple[str, ...] = found.pop()
    assert len(ns) == 1 and ns[0].startswith("outer:")
    return ns


# -- §1 shapes --------------------------------------------------------------------------------
async def test_single_mode_string_yields_bare_updates_payloads(door: str) -> None:
    items = await collect(_counter_chain(), {"count": 0, "log": []}, door, stream_mode="updates")
    assert items == [{"a": {"count": 1, "log": ["a"]}}, {"b": {"count": 2, "log": ["b"]}}]


async def test_single_messages_mode_yields_bare_chunk_metadata_pairs(door: str) -> None:
    items = await collect(_chat_graph("one two"), INPUTS, door, stream_mode="messages")
    assert len(items) == 2
    for item in items:
        assert isinstance(item, tuple) and len(item) == 2
        assert isinstance(item[0], AIMessageChunk)
        assert isinstance(item[1], dict)


@pytest.mark.parametrize("container", [list, tuple], ids=["list", "tuple"])
async def test_several_modes_as_list_or_tuple_yield_mode_payload_pairs(
    door: str, container: type[Any]
) -> None:
    items = await collect(
        _chat_graph("one two"), INPUTS, door, stream_mode=container(["messages", "updates"])
    )
    assert [mode for mode, _ in items] == ["messages", "messages", "updates"]
    chunk, meta = items[0][1]
    assert isinstance(chunk, AIMessageChunk) and chunk.content == "one"
    assert meta["langgraph_node"] == "agent"
    assert list(items[2][1]) == ["agent"]


@pytest.mark.parametrize("container", [list, tuple], ids=["list", "tuple"])
async def test_one_mode_in_a_list_or_tuple_is_still_tagged_with_its_mode(
    door: str, container: type[Any]
) -> None:
    items = await collect(
        _counter_chain(), {"count": 0, "log": []}, door, stream_mode=container(["updates"])
    )
    assert items == [
        ("updates", {"a": {"count": 1, "log": ["a"]}}),
        ("updates", {"b": {"count": 2, "log": ["b"]}}),
    ]


async def test_subgraphs_with_one_mode_yield_namespace_payload_pairs(door: str) -> None:
    items = await collect(_nested_graph(), INPUTS, door, stream_mode="updates", subgraphs=True)
    assert [len(item) for item in items] == [2, 2]
    (inner_ns, inner_update), (root_ns, root_update) = items
    assert isinstance(inner_ns, tuple) and len(inner_ns) == 1
    assert inner_ns[0].startswith("outer:")
    assert list(inner_update) == ["inner"]
    assert root_ns == ()
    assert list(root_update) == ["outer"]


async def test_subgraphs_with_several_modes_yield_namespace_mode_payload_triples(
    door: str,
) -> None:
    items = await collect(
        _nested_graph(), INPUTS, door, stream_mode=["updates", "messages"], subgraphs=True
    )
    assert items and all(isinstance(item, tuple) and len(item) == 3 for item in items)
    shapes = [(ns == (), mode) for ns, mode, _ in items]
    assert shapes == [
        (False, "messages"),
        (False, "messages"),
        (False, "updates"),
        (True, "updates"),
    ]
    ns, _, (chunk, meta) = items[0]
    assert isinstance(chunk, AIMessageChunk) and chunk.content == "deep"
    assert ns[0].startswith("outer:") and meta["langgraph_node"] == "inner"


@pytest.mark.parametrize(
    ("stream_mode", "subgraphs"),
    [("updates", False), (["updates", "messages"], False), ("updates", True), (["values"], True)],
    ids=["one-mode", "several-modes", "subgraphs-one-mode", "subgraphs-list"],
)
async def test_version_v2_always_yields_type_ns_data_dicts(
    door: str, stream_mode: Any, subgraphs: bool
) -> None:
    items = await collect(
        _nested_graph(),
        INPUTS,
        door,
        stream_mode=stream_mode,
        subgraphs=subgraphs,
        version="v2",
    )
    assert items
    modes = [stream_mode] if isinstance(stream_mode, str) else stream_mode
    for item in items:
        assert isinstance(item, dict) and set(item) == {"type", "ns", "data"}
        assert item["type"] in modes
        assert isinstance(item["ns"], tuple)
    namespaces = {item["ns"] for item in items if item["type"] != "messages"}
    assert namespaces == ({(), inner_ns(items)} if subgraphs else {()})
    root_updates = [i["data"] for i in items if i["type"] == "updates" and i["ns"] == ()]
    if "updates" in modes:
        assert [list(u) for u in root_updates] == [["outer"]]


async def test_default_stream_mode_is_updates(door: str) -> None:
    items = await collect(_counter_chain(), {"count": 0, "log": []}, door)
    assert items == [{"a": {"count": 1, "log": ["a"]}}, {"b": {"count": 2, "log": ["b"]}}]


@pytest.mark.parametrize(
    "stream_mode", ["bogus", ["updates", "bogus"], ("messages", "bogus")], ids=str
)
async def test_unknown_stream_mode_raises_invalid_stream_mode_error_naming_valid_modes(
    door: str, stream_mode: Any
) -> None:
    with pytest.raises(InvalidStreamModeError) as info:
        await collect(_counter_chain(), {"count": 0, "log": []}, door, stream_mode=stream_mode)
    assert isinstance(info.value, ValueError)
    text = str(info.value)
    assert "bogus" in text
    for mode in STREAM_MODES:
        assert repr(mode) in text or mode in text


def test_invoke_with_unknown_stream_mode_raises_invalid_stream_mode_error() -> None:
    with pytest.raises(ValueError, match="valid modes"):
        _counter_chain().invoke({"count": 0, "log": []}, stream_mode="bogus")


async def test_invoke_returns_a_dict_for_a_typeddict_state(door: str) -> None:
    result = await run_invoke(_counter_chain(), {"count": 0, "log": []}, door)
    assert type(result) is dict
    assert result == {"count": 2, "log": ["a", "b"]}


@dataclasses.dataclass
class DataState:
    count: int = 0
    note: str = ""


class ModelState(pydantic.BaseModel):
    count: int = 0
    note: str = ""


@pytest.mark.parametrize("schema", [DataState, ModelState], ids=["dataclass", "pydantic"])
async def test_invoke_returns_a_dict_for_dataclass_and_pydantic_states(
    door: str, schema: Any
) -> None:
    # LangGraph 1.2.22: {'count': 42, 'note': 'bumped'} for both
    def bump(state: Any) -> dict[str, Any]:
        return {"count": state.count + 1, "note": "bumped"}

    builder = StateGraph(schema)
    builder.add_node("bump", bump)
    builder.add_edge(START, "bump")
    result = await run_invoke(builder.compile(), schema(count=41), door)
    assert type(result) is dict
    assert result == {"count": 42, "note": "bumped"}


async def test_sync_invoke_and_stream_work_inside_a_running_event_loop(kind: str) -> None:
    graph = one_node_graph(calling_node(FakeChatModel(responses=["inside a loop"]), kind))
    state = graph.invoke(INPUTS)
    assert state["messages"][-1].content == "inside a loop"
    items = list(graph.stream(INPUTS, stream_mode="messages"))
    assert "".join(str(c.content) for c, _ in items) == "inside a loop"


async def test_sync_invoke_of_another_graph_works_inside_an_async_node(door: str) -> None:
    other = _counter_chain()

    async def node(state: MessagesState) -> dict[str, Any]:
        result = other.invoke({"count": 0, "log": []})
        return {"messages": [("ai", f"count={result['count']}")]}

    state = await run_invoke(one_node_graph(node), INPUTS, door)
    assert state["messages"][-1].content == "count=2"


# -- §2 modes ---------------------------------------------------------------------------------
async def test_values_mode_first_item_is_the_input_applied_then_state_after_each_step(
    door: str,
) -> None:
    items = await collect(_counter_chain(), {"count": 5, "log": ["in"]}, door, stream_mode="values")
    assert items == [
        {"count": 5, "log": ["in"]},
        {"count": 6, "log": ["in", "a"]},
        {"count": 7, "log": ["in", "a", "b"]},
    ]


async def test_values_mode_first_item_holds_input_messages_coerced(door: str) -> None:
    items = await collect(_chat_graph("ok"), INPUTS, door, stream_mode="values")
    first = items[0]["messages"]
    assert len(first) == 1 and isinstance(first[0], HumanMessage) and first[0].content == "hi"
    assert [m.content for m in items[-1]["messages"]] == ["hi", "ok"]


async def test_updates_mode_gives_none_for_a_node_that_wrote_nothing(door: str) -> None:
    def quiet(state: Counter) -> None:
        return None

    builder = StateGraph(Counter)
    builder.add_node("quiet", quiet)
    builder.add_edge(START, "quiet")
    items = await collect(builder.compile(), {"count": 0, "log": []}, door, stream_mode="updates")
    assert items == [{"quiet": None}]


async def test_updates_mode_gives_the_update_of_a_returned_command(door: str) -> None:
    def route(state: Counter) -> Command[Any]:
        return Command(update={"count": 10, "log": ["route"]}, goto="after")

    def after(state: Counter) -> dict[str, Any]:
        return {"log": ["after"]}

    builder = StateGraph(Counter)
    builder.add_node("route", route)
    builder.add_node("after", after)
    builder.add_edge(START, "route")
    items = await collect(builder.compile(), {"count": 0, "log": []}, door, stream_mode="updates")
    assert items == [{"route": {"count": 10, "log": ["route"]}}, {"after": {"log": ["after"]}}]


async def test_updates_mode_follows_completion_order_not_node_order(door: str, kind: str) -> None:
    gate = threading.Event()
    passed: list[bool] = []
    if kind == "sync":

        def slow(state: Counter) -> dict[str, Any]:
            passed.append(gate.wait(10))
            return {"log": ["slow"]}

    else:

        async def slow(state: Counter) -> dict[str, Any]:  # type: ignore[misc]
            passed.append(await wait_in_thread(gate))
            return {"log": ["slow"]}

    def fast(state: Counter) -> dict[str, Any]:
        return {"log": ["fast"]}

    builder = StateGraph(Counter)
    builder.add_node("slow", slow)
    builder.add_node("fast", fast)
    builder.add_edge(START, "slow")
    builder.add_edge(START, "fast")

    fast_seen = opening(gate, lambda item: item == ("updates", {"fast": {"log": ["fast"]}}))
    items = await consume(
        builder.compile(),
        {"count": 0, "log": []},
        door,
        fast_seen,
        stream_mode=["updates", "values"],
    )
    assert passed == [True], "slow finished only after fast's update was delivered"
    assert tagged(items, "updates") == [{"fast": {"log": ["fast"]}}, {"slow": {"log": ["slow"]}}]
    assert sorted(tagged(items, "values")[-1]["log"]) == ["fast", "slow"]


async def test_checkpoints_mode_yields_nothing_without_a_checkpointer(door: str) -> None:
    items = await collect(
        _counter_chain(), {"count": 0, "log": []}, door, stream_mode=["checkpoints", "updates"]
    )
    assert [mode for mode, _ in items] == ["updates", "updates"]


def _writing_node(kind: str, how: str, gate: threading.Event, passed: list[bool]) -> Any:
    """A node that writes {"at": "start"} with the writer obtained ``how``, then waits."""
    if kind == "sync":
        if how == "writer-param":

            def with_param(state: Counter, writer: StreamWriter) -> dict[str, Any]:
                writer({"at": "start"})
                passed.append(gate.wait(10))
                return {"log": ["done"]}

            return with_param
        if how == "runtime":

            def with_runtime(state: Counter, runtime: Runtime[Any]) -> dict[str, Any]:
                runtime.stream_writer({"at": "start"})
                passed.append(gate.wait(10))
                return {"log": ["done"]}

            return with_runtime

        def with_getter(state: Counter) -> dict[str, Any]:
            get_stream_writer()({"at": "start"})
            passed.append(gate.wait(10))
            return {"log": ["done"]}

        return with_getter

    if how == "writer-param":

        async def a_with_param(state: Counter, writer: StreamWriter) -> dict[str, Any]:
            writer({"at": "start"})
            passed.append(await wait_in_thread(gate))
            return {"log": ["done"]}

        return a_with_param
    if how == "runtime":

        async def a_with_runtime(state: Counter, runtime: Runtime[Any]) -> dict[str, Any]:
            runtime.stream_writer({"at": "start"})
            passed.append(await wait_in_thread(gate))
            return {"log": ["done"]}

        return a_with_runtime

    async def a_with_getter(state: Counter) -> dict[str, Any]:
        get_stream_writer()({"at": "start"})
        passed.append(await wait_in_thread(gate))
        return {"log": ["done"]}

    return a_with_getter


@pytest.mark.parametrize("how", ["get_stream_writer", "writer-param", "runtime"])
async def test_custom_mode_delivers_a_written_value_before_the_node_returns(
    door: str, kind: str, how: str
) -> None:
    gate = threading.Event()
    passed: list[bool] = []
    builder = StateGraph(Counter)
    builder.add_node("work", _writing_node(kind, how, gate, passed))
    builder.add_edge(START, "work")

    write_seen = opening(gate, lambda item: item == ("custom", {"at": "start"}))
    items = await consume(
        builder.compile(),
        {"count": 0, "log": []},
        door,
        write_seen,
        stream_mode=["custom", "updates"],
    )
    assert passed == [True], "the node finished waiting only because its write was seen"
    assert items == [("custom", {"at": "start"}), ("updates", {"work": {"log": ["done"]}})]


async def test_writer_is_a_silent_no_op_when_custom_mode_was_not_requested(
    door: str, kind: str
) -> None:
    gate = threading.Event()
    gate.set()
    passed: list[bool] = []
    builder = StateGraph(Counter)
    builder.add_node("work", _writing_node(kind, "get_stream_writer", gate, passed))
    builder.add_edge(START, "work")
    items = await collect(builder.compile(), {"count": 0, "log": []}, door, stream_mode="updates")
    assert items == [{"work": {"log": ["done"]}}]


async def test_first_token_reaches_the_consumer_while_the_node_is_still_running(
    door: str, kind: str
) -> None:
    gate = threading.Event()
    model = GatedModel(["first second third"], gate)

    first_seen = opening(gate, lambda item: item[0].content == "first")
    items = await consume(
        one_node_graph(calling_node(model, kind)), INPUTS, door, first_seen, stream_mode="messages"
    )
    assert model.passed == [True], "the model went on only after the consumer saw token one"
    assert [c.content for c, _ in items] == ["first", " second", " third"]


async def test_custom_and_message_items_keep_the_order_they_happened_in(
    door: str, kind: str
) -> None:
    model = FakeChatModel(responses=["two tokens"])
    if kind == "sync":

        def node(state: MessagesState) -> dict[str, Any]:
            write = get_stream_writer()
            write("before")
            reply = model.invoke(state["messages"])
            write("after")
            return {"messages": [reply]}

    else:

        async def node(state: MessagesState) -> dict[str, Any]:  # type: ignore[misc]
            write = get_stream_writer()
            write("before")
            reply = await model.ainvoke(state["messages"])
            write("after")
            return {"messages": [reply]}

    items = await collect(
        one_node_graph(node), INPUTS, door, stream_mode=["custom", "messages", "updates"]
    )
    seen = [p if m == "custom" else (m if m == "updates" else p[0].content) for m, p in items]
    assert seen == ["before", "two", " tokens", "after", "updates"]


async def test_tasks_mode_gives_start_and_result_payloads_per_task(door: str) -> None:
    items = await collect(_counter_chain(), {"count": 0, "log": []}, door, stream_mode="tasks")
    assert len(items) == 4
    start_a, result_a, start_b, result_b = items
    assert set(start_a) >= {"id", "name", "input", "triggers"}
    assert start_a["name"] == "a" and start_a["input"] == {"count": 0, "log": []}
    assert tuple(start_a["triggers"]) == ("branch:to:a",)
    assert isinstance(start_a["id"], str) and start_a["id"]
    assert set(result_a) >= {"id", "name", "result", "error"}
    assert result_a["id"] == start_a["id"] and result_a["name"] == "a"
    assert result_a["error"] is None
    assert dict(result_a["result"]) == {"count": 1, "log": ["a"]}
    assert start_b["name"] == "b" and start_b["input"] == {"count": 1, "log": ["a"]}
    assert result_b["id"] == start_b["id"] != start_a["id"]


async def test_tasks_mode_result_of_a_failing_task_carries_its_error(door: str) -> None:
    class Broken(Exception):
        pass

    def fail(state: Counter) -> dict[str, Any]:
        raise Broken("the node broke")

    builder = StateGraph(Counter)
    builder.add_node("fail", fail)
    builder.add_edge(START, "fail")
    seen: list[Any] = []
    with pytest.raises(Broken):
        await consume(
            builder.compile(), {"count": 0, "log": []}, door, seen.append, stream_mode="tasks"
        )
    assert [p["name"] for p in seen] == ["fail", "fail"]
    start, result = seen
    assert result["id"] == start["id"]
    assert result["error"] is not None and "the node broke" in str(result["error"])


async def test_debug_mode_wraps_task_payloads_with_step_type_and_timestamp(door: str) -> None:
    items = await collect(_counter_chain(), {"count": 0, "log": []}, door, stream_mode="debug")
    assert [(e["step"], e["type"]) for e in items] == [
        (1, "task"),
        (1, "task_result"),
        (2, "task"),
        (2, "task_result"),
    ]
    for event in items:
        assert {"step", "type", "timestamp", "payload"} <= set(event)
        datetime.fromisoformat(event["timestamp"])
    assert items[0]["payload"]["name"] == "a"
    assert items[1]["payload"]["id"] == items[0]["payload"]["id"]
    assert dict(items[3]["payload"]["result"]) == {"count": 2, "log": ["b"]}


class Story(TypedDict):
    messages: Annotated[list[Any], operator.add]
    log: Annotated[list[str], operator.add]


async def test_within_a_superstep_task_starts_then_custom_and_messages_then_updates_then_values(
    door: str,
) -> None:
    """Two parallel talkers, then a closer: check each step's items against §2's order."""

    def talker(name: str) -> Any:
        model = FakeChatModel(responses=[f"{name} says hi"])

        def node(state: Story) -> dict[str, Any]:
            get_stream_writer()({"from": name})
            reply = model.invoke([("user", "go")])
            return {"log": [f"{name}:{reply.content}"]}

        return node

    builder = StateGraph(Story)
    builder.add_node("left", talker("left"))
    builder.add_node("right", talker("right"))
    builder.add_node("close", talker("close"))
    builder.add_edge(START, "left")
    builder.add_edge(START, "right")
    builder.add_edge(["left", "right"], "close")
    items = await collect(
        builder.compile(),
        {"messages": [], "log": []},
        door,
        stream_mode=["tasks", "custom", "messages", "updates", "values"],
    )
    assert items[0][0] == "values"
    steps: list[list[Any]] = [[]]
    for item in items[1:]:
        steps[-1].append(item)
        if item[0] == "values":
            steps.append([])
    assert steps[-1] == []
    steps.pop()
    assert len(steps) == 2
    for step, names in zip(steps, [{"left", "right"}, {"close"}], strict=True):
        starts = [p for mode, p in step if mode == "tasks" and "input" in p]
        assert {p["name"] for p in starts} == names
        assert all(mode == "tasks" and "input" in p for mode, p in step[: len(names)])
        assert step[-1][0] == "values"
        for name in names:

            def owner(item: Any, name: str = name) -> bool:
                mode, payload = item
                if mode == "custom":
                    return bool(payload == {"from": name})
                if mode == "messages":
                    return bool(payload[1]["langgraph_node"] == name)
                return mode == "updates" and name in payload

            own = [mode for mode, payload in step if owner((mode, payload))]
            assert own[0] == "custom" and own[-1] == "updates"
            assert own.count("updates") == 1 and own.count("messages") == 3


async def test_stream_ends_after_the_last_values_item(door: str) -> None:
    items = await collect(_counter_chain(), {"count": 0, "log": []}, door, stream_mode=["values"])
    assert tagged(items, "values")[-1] == {"count": 2, "log": ["a", "b"]}
    assert items[-1][0] == "values"
