"""Contract §3, Metadata: the dict that comes with every item of ``messages`` mode."""

from __future__ import annotations

import copy
import itertools
import json
import pickle
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from streamgraph import END, START, Command, MessagesState, Send, StateGraph
from streamgraph.graph import CompiledStateGraph
from streamgraph.messages import AIMessage
from streamgraph.models import FakeChatModel
from streamgraph.tools import tool
from tests.contract.helpers import (
    INPUTS,
    Meta,
    calling_node,
    chunks,
    collect,
    one_node_graph,
    returning_node,
    tagged,
    tool_calling_graph,
    wholes,
)


def _talker(reply: str = "a b") -> Callable[[MessagesState], dict[str, Any]]:
    model = FakeChatModel(responses=[reply])

    def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke([("user", "go")])]}

    return node


async def _metas(graph: CompiledStateGraph, door: str, config: Any = None) -> list[Meta]:
    """The metadata of every chunk of one ``messages`` run."""
    items = await collect(graph, INPUTS, door, config, stream_mode="messages")
    found = [meta for _, meta in chunks(items)]
    assert found, "the run streamed no tokens"
    return found


def _by_node(metas: list[Meta]) -> dict[str, list[Meta]]:
    out: dict[str, list[Meta]] = {}
    for meta in metas:
        out.setdefault(meta["langgraph_node"], []).append(meta)
    return out


def _chain(*names: str) -> CompiledStateGraph:
    builder = StateGraph(MessagesState)
    for name in names:
        builder.add_node(name, _talker())
    builder.add_edge(START, names[0])
    for a, b in itertools.pairwise(names):
        builder.add_edge(a, b)
    return builder.compile()


# -- node, step, triggers, path ---------------------------------------------------------------
async def test_metadata_names_the_calling_node_and_the_first_step_is_one(
    door: str, kind: str
) -> None:
    graph = one_node_graph(calling_node(FakeChatModel(responses=["x y"]), kind), "writer")
    metas = await _metas(graph, door)
    assert {m["langgraph_node"] for m in metas} == {"writer"}
    assert {m["langgraph_step"] for m in metas} == {1}


async def test_langgraph_step_increases_by_one_along_a_chain(door: str) -> None:
    steps = {
        n: {m["langgraph_step"] for m in ms}
        for n, ms in _by_node(await _metas(_chain("first", "second", "third"), door)).items()
    }
    assert steps == {"first": {1}, "second": {2}, "third": {3}}


def _routing_graph() -> CompiledStateGraph:
    """START -> a -> (plain) b -> (conditional) c -> (Command) d; [d, x] join -> f -> 2 Sends."""
    builder = StateGraph(MessagesState)
    for name in ("a", "b", "x", "f", "g"):
        builder.add_node(name, _talker())
    command_model = FakeChatModel(responses=["c c"])

    def c(state: MessagesState) -> Command[Any]:
        return Command(update={"messages": [command_model.invoke([("user", "c")])]}, goto="d")

    builder.add_node("c", c)
    builder.add_node("d", _talker())
    builder.add_edge(START, "a")
    builder.add_edge(START, "x")
    builder.add_edge("a", "b")
    builder.add_conditional_edges("b", lambda state: "c", ["c"])
    builder.add_edge(["d", "x"], "f")
    builder.add_conditional_edges(
        "f", lambda state: [Send("g", {"messages": []}), Send("g", {"messages": []})]
    )
    builder.add_edge("g", END)
    return builder.compile()


async def test_triggers_name_the_edge_kind_that_reached_the_node(door: str) -> None:
    nodes = _by_node(await _metas(_routing_graph(), door))
    triggers = {name: {m["langgraph_triggers"] for m in ms} for name, ms in nodes.items()}
    assert triggers == {
        "a": {("branch:to:a",)},
        "x": {("branch:to:x",)},
        "b": {("branch:to:b",)},
        "c": {("branch:to:c",)},
        "d": {("branch:to:d",)},
        "f": {("branch:to:f", "join:d+x:f")},
        "g": {("__pregel_push",)},
    }
    for ms in nodes.values():
        assert all(type(m["langgraph_triggers"]) is tuple for m in ms)


async def test_path_is_pull_for_edges_and_push_with_index_for_sends(door: str) -> None:
    nodes = _by_node(await _metas(_routing_graph(), door))
    for name in ("a", "b", "c", "d", "f", "x"):
        assert {m["langgraph_path"] for m in nodes[name]} == {("__pregel_pull", name)}
    assert {m["langgraph_path"] for m in nodes["g"]} == {
        ("__pregel_push", 0, False),
        ("__pregel_push", 1, False),
    }


async def test_send_from_command_goto_is_a_push_task(door: str) -> None:
    def fan(state: MessagesState) -> Command[Any]:
        return Command(goto=[Send("worker", {"messages": []})])

    builder = StateGraph(MessagesState)
    builder.add_node("fan", fan)
    builder.add_node("worker", _talker())
    builder.add_edge(START, "fan")
    metas = await _metas(builder.compile(), door)
    assert {(m["langgraph_triggers"], m["langgraph_path"]) for m in metas} == {
        (("__pregel_push",), ("__pregel_push", 0, False))
    }
    assert {m["langgraph_step"] for m in metas} == {2}


# -- checkpoint namespace, task ids -----------------------------------------------------------
async def test_checkpoint_ns_is_node_and_its_own_task_id_in_every_step(door: str) -> None:
    items = await collect(
        _chain("first", "second"), INPUTS, door, stream_mode=["messages", "tasks"]
    )
    task_ids = {p["name"]: p["id"] for p in tagged(items, "tasks") if "input" in p}
    metas = [meta for _, meta in tagged(items, "messages")]
    assert {m["langgraph_node"] for m in metas} == {"first", "second"}
    for meta in metas:
        own = f"{meta['langgraph_node']}:{task_ids[meta['langgraph_node']]}"
        assert meta["langgraph_checkpoint_ns"] == own
        assert meta["checkpoint_ns"] == own


async def test_every_send_task_gets_its_own_task_id(door: str) -> None:
    builder = StateGraph(MessagesState)
    builder.add_node("fan", lambda state: {"messages": []})
    builder.add_node("worker", _talker())
    builder.add_edge(START, "fan")
    builder.add_conditional_edges(
        "fan", lambda state: [Send("worker", {"messages": []}) for _ in range(3)]
    )
    items = await collect(builder.compile(), INPUTS, door, stream_mode=["messages", "tasks"])
    starts = [p for p in tagged(items, "tasks") if "input" in p and p["name"] == "worker"]
    ids = [p["id"] for p in starts]
    assert len(set(ids)) == 3
    namespaces = {meta["checkpoint_ns"] for _, meta in tagged(items, "messages")}
    assert namespaces == {f"worker:{i}" for i in ids}


# -- run id and configurable ------------------------------------------------------------------
async def test_run_id_is_one_uuid_string_per_run(door: str) -> None:
    graph = _chain("first", "second")
    first_run = {m["run_id"] for m in await _metas(graph, door)}
    second_run = {m["run_id"] for m in await _metas(graph, door)}
    assert len(first_run) == 1 and len(second_run) == 1
    run_id = first_run.pop()
    assert isinstance(run_id, str)
    uuid.UUID(run_id)
    assert run_id not in second_run


@pytest.mark.parametrize("as_uuid", [True, False], ids=["uuid", "str"])
async def test_config_run_id_sets_the_run_id(door: str, as_uuid: bool) -> None:
    chosen = uuid.uuid4()
    config = {"run_id": chosen if as_uuid else str(chosen)}
    metas = await _metas(_chain("first", "second"), door, config)
    assert {m["run_id"] for m in metas} == {str(chosen)}
    assert all(type(m["run_id"]) is str for m in metas)


async def test_only_known_configurable_keys_are_copied(door: str) -> None:
    configurable = {
        "thread_id": "t-1",
        "checkpoint_id": "c-1",
        "assistant_id": "a-1",
        "graph_id": "g-1",
        "user_id": "u-1",
        "api_key": "secret",
        "model": "big",
    }
    metas = await _metas(_chain("first"), door, {"configurable": configurable})
    for meta in metas:
        assert meta["thread_id"] == "t-1"
        assert meta["checkpoint_id"] == "c-1"
        assert meta["assistant_id"] == "a-1"
        assert meta["graph_id"] == "g-1"
        assert "user_id" not in meta and "api_key" not in meta and "model" not in meta
        assert "secret" not in json.dumps(meta)


async def test_configurable_keys_are_absent_when_not_configured(door: str) -> None:
    metas = await _metas(_chain("first"), door, {"configurable": {"thread_id": "only"}})
    for meta in metas:
        assert meta["thread_id"] == "only"
        assert not {"checkpoint_id", "assistant_id", "graph_id"} & set(meta)


# -- tags -------------------------------------------------------------------------------------
async def test_tags_are_run_node_model_and_call_tags_in_order_without_duplicates(
    door: str, kind: str
) -> None:
    model = FakeChatModel(responses=["t t"], tags=["model", "run"])
    call_config: Any = {"tags": ["call", "node", "model"]}
    if kind == "sync":

        def node(state: MessagesState) -> dict[str, Any]:
            return {"messages": [model.invoke(state["messages"], call_config)]}

        graph = one_node_graph(node, tags=["node", "shared"])
    else:

        async def anode(state: MessagesState) -> dict[str, Any]:
            return {"messages": [await model.ainvoke(state["messages"], call_config)]}

        graph = one_node_graph(anode, tags=["node", "shared"])
    metas = await _metas(graph, door, {"tags": ["run", "shared"]})
    for meta in metas:
        assert meta["tags"] == ["run", "shared", "node", "model", "call"]


async def test_with_config_tags_count_as_model_tags(door: str) -> None:
    model = FakeChatModel(responses=["w w"], tags=["base"]).with_config(tags=["extra"])
    graph = one_node_graph(calling_node(model, "sync"), tags=["node"])
    metas = await _metas(graph, door, {"tags": ["run"]})
    assert [m["tags"] for m in metas] == [["run", "node", "base", "extra"]] * len(metas)


async def test_tags_are_an_empty_list_when_nothing_is_tagged(door: str) -> None:
    graph = one_node_graph(returning_node("sync", lambda: AIMessage("made by hand")))
    items = await collect(graph, INPUTS, door, stream_mode="messages")
    assert len(items) == 1
    assert items[0][1]["tags"] == []
    metas = await _metas(one_node_graph(calling_node(FakeChatModel(responses=["u"]), "sync")), door)
    assert [m["tags"] for m in metas] == [[]]


async def test_whole_messages_carry_run_and_node_tags_as_a_list(door: str) -> None:
    graph = one_node_graph(returning_node("sync", lambda: AIMessage("by hand")), tags=["node"])
    items = await collect(graph, INPUTS, door, {"tags": ["run"]}, stream_mode="messages")
    assert [meta["tags"] for _, meta in items] == [["run", "node"]]
    assert all(isinstance(meta["tags"], list) for _, meta in items)


async def test_reference_tag_filter_selects_the_tagged_model(door: str) -> None:
    main = FakeChatModel(responses=["main reply"], tags=["main_response"])
    side = FakeChatModel(responses=["side note"])

    def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [side.invoke(state["messages"]), main.invoke(state["messages"])]}

    shown: list[str] = []
    for msg, meta in await collect(one_node_graph(node), INPUTS, door, stream_mode="messages"):
        if "main_response" in meta.get("tags", []):
            shown.append(msg.content)
    assert "".join(shown) == "main reply"


# -- model keys -------------------------------------------------------------------------------
async def test_ls_keys_describe_the_model(door: str, kind: str) -> None:
    model = FakeChatModel(
        responses=["l l"], model_name="scripted-7", temperature=0.3, max_tokens=77
    )
    metas = await _metas(one_node_graph(calling_node(model, kind)), door)
    for meta in metas:
        assert meta["ls_provider"] == "fake"
        assert meta["ls_model_name"] == "scripted-7"
        assert meta["ls_model_type"] == "chat"
        assert meta["ls_temperature"] == 0.3
        assert meta["ls_max_tokens"] == 77


async def test_whole_messages_returned_by_a_node_carry_the_node_keys(door: str) -> None:
    graph = one_node_graph(returning_node("sync", lambda: AIMessage("by hand")), "maker")
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "tasks"])
    [(message, meta)] = tagged(items, "messages")
    [task_id] = [p["id"] for p in tagged(items, "tasks") if "input" in p]
    assert message.content == "by hand"
    assert meta["langgraph_node"] == "maker"
    assert meta["langgraph_step"] == 1
    assert meta["langgraph_triggers"] == ("branch:to:maker",)
    assert meta["langgraph_path"] == ("__pregel_pull", "maker")
    assert meta["checkpoint_ns"] == meta["langgraph_checkpoint_ns"] == f"maker:{task_id}"
    assert isinstance(meta["run_id"], str)
    # no model made it: the only ls_ key is the one LangGraph sets on a node's messages
    assert [key for key in meta if key.startswith("ls_")] == ["ls_integration"]
    assert meta["ls_integration"] == "langgraph"


# -- user metadata ----------------------------------------------------------------------------
async def test_user_metadata_comes_in_config_node_model_call_order_later_ones_winning(
    door: str,
) -> None:
    model = FakeChatModel(responses=["m m"], metadata={"who": "model", "from_model": 3})

    def node(state: MessagesState) -> dict[str, Any]:
        call = {"metadata": {"who": "call", "from_call": 4}}
        return {"messages": [model.invoke(state["messages"], call)]}  # type: ignore[arg-type]

    graph = one_node_graph(node, metadata={"who": "node", "from_node": 2, "shared": "node"})
    config = {"metadata": {"who": "config", "from_config": 1, "shared": "config"}}
    for meta in await _metas(graph, door, config):
        assert meta["who"] == "call"
        assert meta["shared"] == "node"
        order = [k for k in meta if k.startswith("from_")]
        assert order == ["from_config", "from_node", "from_model", "from_call"]
        assert (meta["from_config"], meta["from_node"], meta["from_model"], meta["from_call"]) == (
            1,
            2,
            3,
            4,
        )


async def test_node_metadata_wins_over_config_metadata_for_whole_messages(door: str) -> None:
    graph = one_node_graph(
        returning_node("sync", lambda: AIMessage("hand")), metadata={"who": "node"}
    )
    items = await collect(
        graph, INPUTS, door, {"metadata": {"who": "config", "c": 1}}, stream_mode="messages"
    )
    [(_, meta)] = items
    assert meta["who"] == "node" and meta["c"] == 1


_BUILTIN = (
    "langgraph_node",
    "langgraph_step",
    "langgraph_triggers",
    "langgraph_path",
    "langgraph_checkpoint_ns",
    "checkpoint_ns",
    "run_id",
    "thread_id",
    "tags",
    "ls_provider",
    "ls_model_name",
    "ls_model_type",
    "ls_temperature",
    "ls_max_tokens",
)


@pytest.mark.parametrize("level", ["config", "node", "model", "call"])
async def test_user_metadata_never_overrides_the_builtin_keys(door: str, level: str) -> None:
    evil = {key: "evil" for key in _BUILTIN}
    model = FakeChatModel(
        responses=["e e"],
        temperature=0.5,
        max_tokens=9,
        metadata=evil if level == "model" else None,
    )

    def node(state: MessagesState) -> dict[str, Any]:
        call: Any = {"metadata": evil} if level == "call" else None
        return {"messages": [model.invoke(state["messages"], call)]}

    graph = one_node_graph(node, "honest", metadata=evil if level == "node" else None)
    config: dict[str, Any] = {"configurable": {"thread_id": "t-9"}, "run_id": "r-9"}
    if level == "config":
        config["metadata"] = evil
    for meta in await _metas(graph, door, config):
        assert meta["langgraph_node"] == "honest"
        assert meta["langgraph_step"] == 1
        assert meta["langgraph_triggers"] == ("branch:to:honest",)
        assert meta["langgraph_path"] == ("__pregel_pull", "honest")
        assert meta["checkpoint_ns"].startswith("honest:")
        assert meta["langgraph_checkpoint_ns"] == meta["checkpoint_ns"]
        assert meta["run_id"] == "r-9"
        assert meta["thread_id"] == "t-9"
        assert meta["tags"] == []
        assert (meta["ls_provider"], meta["ls_model_name"], meta["ls_model_type"]) == (
            "fake",
            "fake-chat-model",
            "chat",
        )
        assert (meta["ls_temperature"], meta["ls_max_tokens"]) == (0.5, 9)


# -- the dict itself --------------------------------------------------------------------------
_MUTATIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "setitem": lambda m: m.__setitem__("langgraph_node", "x"),
    "setitem-new": lambda m: m.__setitem__("new", 1),
    "delitem": lambda m: m.__delitem__("langgraph_node"),
    "update": lambda m: m.update({"langgraph_node": "x"}),
    "pop": lambda m: m.pop("langgraph_node"),
    "popitem": lambda m: m.popitem(),
    "clear": lambda m: m.clear(),
    "setdefault": lambda m: m.setdefault("new", 1),
    "ior": lambda m: m.__ior__({"new": 1}),
}


@pytest.mark.parametrize("mutation", list(_MUTATIONS))
async def test_metadata_is_read_only(door: str, mutation: str) -> None:
    graph = one_node_graph(calling_node(FakeChatModel(responses=["r"]), "sync"), "reader")
    items = await collect(graph, INPUTS, door, stream_mode="messages")
    [(_, meta)] = items
    before = dict(meta)
    with pytest.raises(TypeError):
        _MUTATIONS[mutation](meta)
    assert dict(meta) == before


async def test_whole_message_metadata_is_read_only_too(door: str) -> None:
    graph = one_node_graph(returning_node("sync", lambda: AIMessage("hand")))
    [(_, meta)] = await collect(graph, INPUTS, door, stream_mode="messages")
    with pytest.raises(TypeError):
        meta["langgraph_node"] = "x"
    with pytest.raises(TypeError):
        del meta["tags"]


_TAG_MUTATIONS: dict[str, Callable[[list[str]], Any]] = {
    "setitem": lambda t: t.__setitem__(0, "x"),
    "delitem": lambda t: t.__delitem__(0),
    "append": lambda t: t.append("x"),
    "extend": lambda t: t.extend(["x"]),
    "insert": lambda t: t.insert(0, "x"),
    "pop": lambda t: t.pop(),
    "remove": lambda t: t.remove("joke"),
    "clear": lambda t: t.clear(),
    "sort": lambda t: t.sort(),
    "reverse": lambda t: t.reverse(),
    "iadd": lambda t: t.__iadd__(["x"]),
    "imul": lambda t: t.__imul__(2),
}


@pytest.mark.parametrize("mutation", list(_TAG_MUTATIONS))
async def test_tags_are_a_read_only_list_shared_by_the_call(door: str, mutation: str) -> None:
    # LangGraph's docs filter with `metadata["tags"] == ["joke"]`: a list compares equal
    model = FakeChatModel(responses=["a b c"], tags=["joke"])
    metas = await _metas(one_node_graph(calling_node(model, "sync")), door)
    assert len(metas) == 3
    tags = metas[0]["tags"]
    assert isinstance(tags, list)
    assert tags == ["joke"]
    assert all(m["tags"] is tags for m in metas)
    with pytest.raises(TypeError, match="read-only"):
        _TAG_MUTATIONS[mutation](tags)
    assert tags == ["joke"]
    assert [*list(tags), "x"] == ["joke", "x"]
    assert copy.deepcopy(tags) == ["joke"]
    assert pickle.loads(pickle.dumps(tags)) == ["joke"]


async def test_ls_integration_is_set_as_langgraph_sets_it(door: str) -> None:
    def node(state: MessagesState) -> dict[str, Any]:
        model = FakeChatModel(responses=["a"])
        return {"messages": [model.invoke(state["messages"]), AIMessage("whole", id="w1")]}

    items = await collect(one_node_graph(node), INPUTS, door, stream_mode="messages")
    assert [(m.content, meta["ls_integration"]) for m, meta in items] == [
        ("a", "langchain_chat_model"),
        ("whole", "langgraph"),
    ]


async def test_metadata_is_a_json_serialisable_dict(door: str) -> None:
    config = {"configurable": {"thread_id": "t"}, "metadata": {"user": "u"}, "tags": ["run"]}
    metas = await _metas(_routing_graph(), door, config)
    for meta in metas:
        assert isinstance(meta, dict)
        decoded = json.loads(json.dumps(meta))
        assert decoded["langgraph_node"] == meta["langgraph_node"]
        assert decoded["tags"] == list(meta["tags"])
        assert decoded["user"] == "u"
        assert dict(meta) == {**meta}


async def test_chunks_of_one_call_share_one_metadata_dict(door: str, kind: str) -> None:
    model = FakeChatModel(responses=["one two three four"])
    metas = await _metas(one_node_graph(calling_node(model, kind)), door)
    assert len(metas) == 4
    assert all(meta is metas[0] for meta in metas)


async def test_reference_node_and_step_filters_select_the_right_tokens(door: str) -> None:
    graph = _chain("planner", "writer")
    items = await collect(graph, INPUTS, door, stream_mode="messages")
    by_node = [msg.content for msg, meta in items if meta["langgraph_node"] == "writer"]
    late = [msg.content for msg, meta in items if meta["langgraph_step"] > 1]
    assert by_node == late == ["a", " b"]


async def test_tool_call_id_is_stamped_on_tokens_of_a_model_called_by_a_tool(
    door: str, kind: str
) -> None:
    inner_model = FakeChatModel(responses=["tool thinks"])
    if kind == "sync":

        @tool
        def ask(question: str) -> str:
            """Ask the inner model."""
            return str(inner_model.invoke(question).content)

    else:

        @tool
        async def ask(question: str) -> str:
            """Ask the inner model."""
            return str((await inner_model.ainvoke(question)).content)

    calls = [
        {"name": "ask", "args": {"question": "q1"}, "id": "call_A"},
        {"name": "ask", "args": {"question": "q2"}, "id": "call_B"},
    ]

    items = await collect(
        tool_calling_graph(ask, calls),
        INPUTS,
        door,
        {"metadata": {"tool_call_id": "evil"}},
        stream_mode="messages",
    )
    tool_chunks = [(c, m) for c, m in chunks(items) if m["langgraph_node"] == "tools"]
    per_call: dict[str, str] = {}
    for chunk, meta in tool_chunks:
        per_call[meta["tool_call_id"]] = per_call.get(meta["tool_call_id"], "") + str(chunk.content)
    assert per_call == {"call_A": "tool thinks", "call_B": "tool thinks"}
    tool_messages = [m for m, _ in wholes(items) if m.type == "tool"]
    assert len(tool_messages) == 2
