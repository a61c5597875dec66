"""Contract §3, Items / Exactly once / Opting out: every token and message arrives once."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from streamgraph import START, Command, MessagesState, RetryPolicy, StateGraph, get_stream_writer
from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
    add_messages,
)
from streamgraph.models import FakeChatModel
from tests.contract.helpers import (
    INPUTS,
    calling_node,
    chunks,
    collect,
    last_ai,
    one_node_graph,
    returning_node,
    run_invoke,
    tagged,
    wholes,
)

HISTORY: dict[str, Any] = {
    "messages": [
        HumanMessage("earlier question", id="h-1"),
        AIMessage("earlier answer", id="a-1"),
        ("user", "and now?"),
    ]
}


# -- streamed replies are not repeated, input is not echoed ---------------------------------
async def test_a_streamed_reply_the_node_returns_is_not_repeated_as_a_whole_message(
    door: str, kind: str
) -> None:
    graph = one_node_graph(calling_node(FakeChatModel(responses=["just once please"]), kind))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    payloads = tagged(items, "messages")
    assert wholes(payloads) == []
    assert [c.content for c, _ in payloads] == ["just", " once", " please"]
    assert last_ai(tagged(items, "values")[-1]).content == "just once please"


async def test_a_reply_merged_from_model_stream_by_the_node_is_not_repeated(
    door: str, kind: str
) -> None:
    model = FakeChatModel(responses=["merged by hand"])
    if kind == "sync":

        def node(state: MessagesState) -> dict[str, Any]:
            parts = list(model.stream(state["messages"]))
            return {"messages": [functools.reduce(operator.add, parts)]}

    else:

        async def node(state: MessagesState) -> dict[str, Any]:  # type: ignore[misc]
            parts = [c async for c in model.astream(state["messages"])]
            return {"messages": [functools.reduce(operator.add, parts)]}

    items = await collect(one_node_graph(node), INPUTS, door, stream_mode="messages")
    assert wholes(items) == []
    assert "".join(str(c.content) for c, _ in items) == "merged by hand"


async def test_input_messages_are_not_echoed_when_a_node_returns_the_whole_history(
    door: str, kind: str
) -> None:
    model = FakeChatModel(responses=["fresh reply"])
    if kind == "sync":

        def node(state: MessagesState) -> dict[str, Any]:
            return {"messages": [*state["messages"], model.invoke(state["messages"])]}

    else:

        async def node(state: MessagesState) -> dict[str, Any]:  # type: ignore[misc]
            return {"messages": [*state["messages"], await model.ainvoke(state["messages"])]}

    items = await collect(one_node_graph(node), HISTORY, door, stream_mode="messages")
    assert wholes(items) == []
    assert "".join(str(c.content) for c, _ in items) == "fresh reply"


async def test_an_input_message_edited_in_place_by_a_node_is_not_emitted_again(
    door: str,
) -> None:
    def edit(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("earlier answer, corrected", id="a-1")]}

    graph = one_node_graph(edit)
    items = await collect(graph, HISTORY, door, stream_mode=["messages", "values"])
    assert tagged(items, "messages") == []
    assert tagged(items, "values")[-1]["messages"][1].content == "earlier answer, corrected"


async def test_a_message_returned_again_by_a_later_node_is_emitted_once(door: str) -> None:
    made = AIMessage("handed along", id="hand-1")

    def first(state: MessagesState) -> dict[str, Any]:
        return {"messages": [made]}

    def second(state: MessagesState) -> dict[str, Any]:
        return {"messages": [state["messages"][-1]]}

    builder = StateGraph(MessagesState)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_edge(START, "first")
    builder.add_edge("first", "second")
    items = await collect(builder.compile(), INPUTS, door, stream_mode="messages")
    assert [(m.id, meta["langgraph_node"]) for m, meta in items] == [("hand-1", "first")]


# -- whole messages a node returns ----------------------------------------------------------
_RETURNED: dict[str, tuple[Callable[[], Any], type[BaseMessage], str]] = {
    "ai-with-id": (lambda: AIMessage("hand made", id="mine-1"), AIMessage, "hand made"),
    "ai-without-id": (lambda: AIMessage("hand made"), AIMessage, "hand made"),
    "tool": (
        lambda: ToolMessage("42 degrees", tool_call_id="call_1"),
        ToolMessage,
        "42 degrees",
    ),
    "human": (lambda: HumanMessage("a follow-up"), HumanMessage, "a follow-up"),
    "ai-tuple": (lambda: ("ai", "from a tuple"), AIMessage, "from a tuple"),
    "role-dict": (
        lambda: {"role": "assistant", "content": "from a dict"},
        AIMessage,
        "from a dict",
    ),
    "user-dict": (lambda: {"role": "user", "content": "user dict"}, HumanMessage, "user dict"),
    "ai-chunk-made-by-hand": (
        lambda: AIMessageChunk("a chunk object", id="chunk-1"),
        AIMessage,
        "a chunk object",
    ),
}


@pytest.mark.parametrize("what", list(_RETURNED))
async def test_a_returned_message_that_was_not_streamed_arrives_once_whole_with_its_state_id(
    door: str, kind: str, what: str
) -> None:
    make, cls, text = _RETURNED[what]
    graph = one_node_graph(returning_node(kind, make), "maker")
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    payloads = tagged(items, "messages")
    assert len(payloads) == 1
    message, meta = payloads[0]
    assert isinstance(message, cls) and not isinstance(message, AIMessageChunk)
    assert message.content == text
    assert meta["langgraph_node"] == "maker"
    in_state = tagged(items, "values")[-1]["messages"][-1]
    assert message.id is not None and message.id == in_state.id
    assert in_state.content == text


async def test_a_returned_message_arrives_when_the_node_ends_before_its_update(
    door: str, kind: str
) -> None:
    if kind == "sync":

        def node(state: MessagesState) -> dict[str, Any]:
            get_stream_writer()("about to return")
            return {"messages": [AIMessage("the end")]}

    else:

        async def node(state: MessagesState) -> dict[str, Any]:  # type: ignore[misc]
            get_stream_writer()("about to return")
            return {"messages": [AIMessage("the end")]}

    items = await collect(
        one_node_graph(node), INPUTS, door, stream_mode=["custom", "messages", "updates"]
    )
    assert [mode for mode, _ in items] == ["custom", "messages", "updates"]
    assert items[1][1][0].content == "the end"


async def test_messages_returned_in_a_command_update_are_emitted(door: str) -> None:
    def route(state: MessagesState) -> Command[Any]:
        return Command(update={"messages": [("ai", "via command")]}, goto="__end__")

    items = await collect(one_node_graph(route), INPUTS, door, stream_mode="messages")
    assert [(m.type, m.content) for m, _ in items] == [("ai", "via command")]


class History(TypedDict):
    history: Annotated[list[Any], add_messages]
    notes: Annotated[list[str], operator.add]


async def test_messages_on_a_differently_named_message_key_are_emitted_once(door: str) -> None:
    model = FakeChatModel(responses=["on history"])

    def node(state: History) -> dict[str, Any]:
        reply = model.invoke(state["history"])
        return {"history": [reply, ToolMessage("tool out", tool_call_id="c1")], "notes": ["x"]}

    builder = StateGraph(History)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    items = await collect(
        builder.compile(),
        {"history": [("user", "hello")], "notes": []},
        door,
        stream_mode="messages",
    )
    assert [c.content for c, _ in chunks(items)] == ["on", " history"]
    assert [(m.type, m.content) for m, _ in wholes(items)] == [("tool", "tool out")]


async def test_a_remove_message_is_not_streamed(door: str) -> None:
    def prune(state: MessagesState) -> dict[str, Any]:
        return {"messages": [RemoveMessage(id="h-1")]}

    items = await collect(one_node_graph(prune), HISTORY, door, stream_mode=["messages", "values"])
    assert tagged(items, "messages") == []
    assert [m.id for m in tagged(items, "values")[-1]["messages"]][:1] == ["a-1"]


# -- opting out ---------------------------------------------------------------------------------
_WHOLE_MODELS: dict[str, Callable[[], FakeChatModel]] = {
    "disable_streaming": lambda: FakeChatModel(
        responses=["not streamed at all"], disable_streaming=True, model_name="whole-1"
    ),
    "streaming=False": lambda: FakeChatModel(
        responses=["not streamed at all"], streaming=False, model_name="whole-1"
    ),
}


def _node_using(model: FakeChatModel, kind: str, how: str) -> Any:
    if how == "invoke":
        return calling_node(model, kind)
    if kind == "sync":

        def via_stream(state: MessagesState) -> dict[str, Any]:
            parts = list(model.stream(state["messages"]))
            return {"messages": [functools.reduce(operator.add, parts)]}

        return via_stream

    async def via_astream(state: MessagesState) -> dict[str, Any]:
        parts = [c async for c in model.astream(state["messages"])]
        return {"messages": [functools.reduce(operator.add, parts)]}

    return via_astream


@pytest.mark.parametrize("how", ["invoke", "stream"])
@pytest.mark.parametrize("option", list(_WHOLE_MODELS))
async def test_a_model_with_streaming_disabled_yields_exactly_one_whole_ai_message(
    door: str, kind: str, option: str, how: str
) -> None:
    model = _WHOLE_MODELS[option]()
    graph = one_node_graph(_node_using(model, kind, how))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    payloads = tagged(items, "messages")
    assert len(payloads) == 1
    message, meta = payloads[0]
    assert type(message) is AIMessage
    assert message.content == "not streamed at all"
    assert meta["ls_model_name"] == "whole-1"
    assert meta["ls_provider"] == "fake" and meta["ls_model_type"] == "chat"
    assert meta["langgraph_node"] == "agent"
    assert message.id and message.id == last_ai(tagged(items, "values")[-1]).id


_TOOL = {
    "name": "lookup",
    "description": "Look something up.",
    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
}


@pytest.mark.parametrize("bound", [True, False], ids=["tools-bound", "no-tools"])
async def test_disable_streaming_tool_calling_streams_only_calls_without_tools(
    door: str, bound: bool
) -> None:
    model = FakeChatModel(responses=["maybe a tool"], disable_streaming="tool_calling")
    graph = one_node_graph(calling_node(model.bind_tools([_TOOL]) if bound else model, "sync"))
    items = await collect(graph, INPUTS, door, stream_mode="messages")
    if bound:
        assert [(type(m), m.content) for m, _ in items] == [(AIMessage, "maybe a tool")]
    else:
        assert [type(m) for m, _ in items] == [AIMessageChunk] * 3


_NOSTREAM: dict[str, Callable[[FakeChatModel], tuple[FakeChatModel, Any]]] = {
    "model-tag": lambda m: (FakeChatModel(responses=m.responses, tags=["nostream"]), None),
    "with_config": lambda m: (m.with_config(tags=["nostream"]), None),
    "call-tag": lambda m: (m, {"tags": ["nostream"]}),
}


@pytest.mark.parametrize("where", list(_NOSTREAM))
async def test_nostream_tag_hides_the_call_even_when_the_node_returns_its_message(
    door: str, kind: str, where: str
) -> None:
    hidden, call_config = _NOSTREAM[where](FakeChatModel(responses=["private thoughts"]))
    shown = FakeChatModel(responses=["public words"])
    if kind == "sync":

        def node(state: MessagesState) -> dict[str, Any]:
            secret = hidden.invoke(state["messages"], call_config)
            return {"messages": [secret, shown.invoke(state["messages"])]}

    else:

        async def node(state: MessagesState) -> dict[str, Any]:  # type: ignore[misc]
            secret = await hidden.ainvoke(state["messages"], call_config)
            return {"messages": [secret, await shown.ainvoke(state["messages"])]}

    items = await collect(one_node_graph(node), INPUTS, door, stream_mode=["messages", "values"])
    payloads = tagged(items, "messages")
    assert wholes(payloads) == []
    assert "".join(str(c.content) for c, _ in payloads) == "public words"
    final = tagged(items, "values")[-1]["messages"]
    assert [m.content for m in final] == ["hi", "private thoughts", "public words"]


async def test_nostream_model_called_with_stream_shows_nothing(door: str) -> None:
    hidden = FakeChatModel(responses=["quiet stream"]).with_config(tags=["nostream"])
    graph = one_node_graph(_node_using(hidden, "sync", "stream"))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    assert tagged(items, "messages") == []
    assert last_ai(tagged(items, "values")[-1]).content == "quiet stream"


# -- ids, order, completeness, usage --------------------------------------------------------------
async def test_all_chunks_of_one_call_share_one_non_empty_id_equal_to_the_state_id(
    door: str, kind: str
) -> None:
    graph = one_node_graph(calling_node(FakeChatModel(responses=["same id for all"]), kind))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    ids = {c.id for c, _ in tagged(items, "messages")}
    assert len(ids) == 1
    only = ids.pop()
    assert isinstance(only, str) and only
    assert last_ai(tagged(items, "values")[-1]).id == only


async def test_a_provider_message_id_is_kept_on_chunks_and_in_state(door: str, kind: str) -> None:
    model = FakeChatModel(responses=[AIMessage("provider named this", id="msg_provider_1")])
    graph = one_node_graph(calling_node(model, kind))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    assert {c.id for c, _ in tagged(items, "messages")} == {"msg_provider_1"}
    assert last_ai(tagged(items, "values")[-1]).id == "msg_provider_1"


async def test_two_calls_in_one_node_stream_under_two_ids_matching_state(door: str) -> None:
    model = FakeChatModel(responses=["first call", "second call"])

    def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"]), model.invoke(state["messages"])]}

    items = await collect(one_node_graph(node), INPUTS, door, stream_mode=["messages", "values"])
    texts: dict[str, str] = {}
    for chunk, _ in tagged(items, "messages"):
        assert isinstance(chunk, AIMessageChunk) and chunk.id
        texts[chunk.id] = texts.get(chunk.id, "") + str(chunk.content)
    final = tagged(items, "values")[-1]["messages"][1:]
    assert texts == {m.id: m.content for m in final}
    assert sorted(texts.values()) == ["first call", "second call"]


async def test_all_chunks_arrive_before_the_updates_item_of_their_node(
    door: str, kind: str
) -> None:
    builder = StateGraph(MessagesState)
    builder.add_node("one", calling_node(FakeChatModel(responses=["a b c d"]), kind))
    builder.add_node("two", calling_node(FakeChatModel(responses=["e f g h"]), kind))
    builder.add_edge(START, "one")
    builder.add_edge("one", "two")
    items = await collect(builder.compile(), INPUTS, door, stream_mode=["messages", "updates"])
    assert [
        mode if mode == "updates" else payload[1]["langgraph_node"] for mode, payload in items
    ] == ["one"] * 4 + ["updates"] + ["two"] * 4 + ["updates"]
    assert list(items[4][1]) == ["one"] and list(items[9][1]) == ["two"]


async def test_token_chunks_are_never_dropped_duplicated_or_reordered(door: str, kind: str) -> None:
    words = [f"w{i}" for i in range(400)]
    text = " ".join(words)
    graph = one_node_graph(calling_node(FakeChatModel(responses=[text]), kind))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    contents = [str(c.content) for c, _ in tagged(items, "messages")]
    assert len(contents) == len(words)
    assert [piece.strip() for piece in contents] == words
    assert "".join(contents) == text == last_ai(tagged(items, "values")[-1]).content


async def test_usage_arrives_once_on_the_last_chunk_and_sums_with_plus(
    door: str, kind: str
) -> None:
    graph = one_node_graph(calling_node(FakeChatModel(responses=["count these words"]), kind))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    parts = [c for c, _ in tagged(items, "messages")]
    assert isinstance(parts[-1], AIMessageChunk)
    with_usage = [i for i, c in enumerate(parts) if c.usage_metadata]
    assert with_usage == [len(parts) - 1]
    merged = functools.reduce(operator.add, parts)
    final = last_ai(tagged(items, "values")[-1])
    assert merged.usage_metadata == final.usage_metadata
    assert merged.usage_metadata is not None
    assert merged.usage_metadata["output_tokens"] == 3
    doubled = parts[-1] + AIMessageChunk("", id=parts[-1].id, usage_metadata=final.usage_metadata)
    assert doubled.usage_metadata is not None
    assert doubled.usage_metadata["total_tokens"] == 2 * merged.usage_metadata["total_tokens"]


# -- retries ---------------------------------------------------------------------------------------
class Flaky(Exception):
    """A transient failure the default retry policy retries."""


async def test_a_retried_node_keeps_failed_tokens_and_streams_the_retry_under_a_new_id(
    door: str, kind: str
) -> None:
    failing = FakeChatModel(responses=["lost in transit"], error=Flaky("cut"), error_after=2)
    working = FakeChatModel(responses=["second time lucky"])
    attempts: list[int] = []

    def pick() -> FakeChatModel:
        attempts.append(len(attempts) + 1)
        return failing if len(attempts) == 1 else working

    if kind == "sync":

        def node(state: MessagesState) -> dict[str, Any]:
            return {"messages": [pick().invoke(state["messages"])]}

    else:

        async def node(state: MessagesState) -> dict[str, Any]:  # type: ignore[misc]
            return {"messages": [await pick().ainvoke(state["messages"])]}

    graph = one_node_graph(
        node, retry_policy=RetryPolicy(initial_interval=0, jitter=False, max_attempts=3)
    )
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "updates", "values"])
    assert attempts == [1, 2]
    payloads = tagged(items, "messages")
    assert wholes(payloads) == []
    ids = list(dict.fromkeys(str(c.id) for c, _ in payloads))
    assert len(ids) == 2
    by_id = {i: "".join(str(c.content) for c, _ in payloads if c.id == i) for i in ids}
    assert by_id == {ids[0]: "lost in", ids[1]: "second time lucky"}
    assert len(tagged(items, "updates")) == 1
    final = tagged(items, "values")[-1]["messages"]
    assert [m.content for m in final] == ["hi", "second time lucky"]
    assert final[-1].id == ids[1]


async def test_invoke_state_matches_what_was_streamed(door: str) -> None:
    graph = one_node_graph(calling_node(FakeChatModel(responses=["stable result"]), "sync"))
    state = await run_invoke(graph, INPUTS, door)
    assert [m.content for m in state["messages"]] == ["hi", "stable result"]
