"""Contract §3, Tool calls and reasoning: how calls and thinking stream in ``messages`` mode."""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from streamgraph.messages import AIMessage, AIMessageChunk
from streamgraph.models import BaseChatModel, FakeChatModel
from streamgraph.testing import MockProviderServer, Reply, Text, Thinking, ToolCall
from tests.contract.helpers import (
    INPUTS,
    calling_node,
    collect,
    last_ai,
    one_node_graph,
    tagged,
)

WEATHER = {"name": "get_weather", "args": {"city": "Paris", "unit": "celsius"}, "id": "call_w"}
TIME = {"name": "get_time", "args": {"timezone": "Europe/Paris"}, "id": "call_t"}


def _tool_reply(text: str = "") -> AIMessage:
    return AIMessage(text, tool_calls=[WEATHER, TIME])  # type: ignore[list-item]


async def _stream_call(
    model: BaseChatModel, door: str, kind: str = "sync"
) -> tuple[list[AIMessageChunk], AIMessage]:
    """The chunks a node calling ``model`` once streams, and the message that lands in state."""
    graph = one_node_graph(calling_node(model, kind))
    items = await collect(graph, INPUTS, door, stream_mode=["messages", "values"])
    parts = [c for c, _ in tagged(items, "messages")]
    assert all(isinstance(c, AIMessageChunk) for c in parts), parts
    return parts, last_ai(tagged(items, "values")[-1])


async def _stream_reply(
    reply: AIMessage | str, door: str, kind: str = "sync"
) -> tuple[list[AIMessageChunk], AIMessage]:
    """The chunks one scripted reply streams as, and the message that lands in state."""
    return await _stream_call(FakeChatModel(responses=[reply]), door, kind)


def _print_as_the_reference_loop(messages: Iterable[AIMessageChunk]) -> None:
    """The reference printing loop: text as it streams, a line per tool call at its first chunk."""
    for msg in messages:
        if msg.content:
            print(msg.content, end="")
        elif msg.tool_calls:
            for tc in msg.tool_calls:
                print(f"\n[Calling tool: {tc['name']}]")


async def test_a_tool_call_starts_with_an_empty_content_chunk_carrying_its_name(
    door: str, kind: str
) -> None:
    parts, _ = await _stream_reply(_tool_reply(), door, kind)
    starts = [c for c in parts if c.tool_calls]
    assert len(starts) == 2
    for start, call in zip(starts, (WEATHER, TIME), strict=True):
        assert start.content == ""
        assert [tc["name"] for tc in start.tool_calls] == [call["name"]]
        assert [tc["id"] for tc in start.tool_calls] == [call["id"]]
        assert isinstance(start.tool_calls[0]["args"], dict)
        [piece] = start.tool_call_chunks
        assert piece["name"] == call["name"] and piece["id"] == call["id"]
        assert isinstance(piece["index"], int)
        assert isinstance(piece["args"], str)


async def test_later_chunks_of_a_call_carry_only_tool_call_chunks_with_args_pieces(
    door: str, kind: str
) -> None:
    parts, _ = await _stream_reply(_tool_reply(), door, kind)
    by_index: dict[int | None, list[AIMessageChunk]] = {}
    for chunk in parts:
        for piece in chunk.tool_call_chunks:
            by_index.setdefault(piece["index"], []).append(chunk)
    indexes = [i for i in by_index if i is not None]
    assert len(indexes) == len(by_index) == 2
    for index, call in zip(sorted(indexes), (WEATHER, TIME), strict=True):
        mine = by_index[index]
        start, *rest = mine
        assert start.tool_calls
        assert len(rest) >= 2
        for later in rest:
            assert later.tool_calls == []
            assert later.content == ""
            assert [p["name"] for p in later.tool_call_chunks] == [None]
        pieces = "".join(str(p["args"]) for c in mine for p in c.tool_call_chunks)
        assert json.loads(pieces) == call["args"]


async def test_reference_loop_prints_each_tool_call_once(
    door: str, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = one_node_graph(
        calling_node(FakeChatModel(responses=[_tool_reply("Checking.")]), "sync")
    )
    items = await collect(graph, INPUTS, door, stream_mode="messages")
    _print_as_the_reference_loop(msg for msg, _meta in items)
    out = capsys.readouterr().out
    assert out == "Checking.\n[Calling tool: get_weather]\n\n[Calling tool: get_time]\n"
    assert out.count("[Calling tool:") == 2


async def test_merging_all_chunks_with_plus_gives_complete_tool_calls(door: str, kind: str) -> None:
    parts, in_state = await _stream_reply(_tool_reply("Let me look."), door, kind)
    merged = functools.reduce(operator.add, parts)
    assert merged.content == "Let me look."
    expected = [
        {"name": c["name"], "args": c["args"], "id": c["id"], "type": "tool_call"}
        for c in (WEATHER, TIME)
    ]
    assert merged.tool_calls == expected
    assert merged.to_message().tool_calls == expected
    assert in_state.tool_calls == expected
    assert in_state.id == merged.id
    assert {c.id for c in parts} == {in_state.id}


async def test_tool_calls_in_state_are_the_same_as_in_a_plain_invoke(door: str) -> None:
    direct = FakeChatModel(responses=[_tool_reply()]).invoke("hi")
    _, in_state = await _stream_reply(_tool_reply(), door)
    assert in_state.tool_calls == direct.tool_calls


THINKING = AIMessage(
    "The answer is 4.",
    additional_kwargs={"reasoning_content": "two plus two makes four"},
)


async def test_reasoning_streams_first_on_empty_content_chunks(door: str, kind: str) -> None:
    parts, _ = await _stream_reply(THINKING, door, kind)
    thinking = [c for c in parts if c.additional_kwargs.get("reasoning_content")]
    assert thinking and parts[: len(thinking)] == thinking
    for chunk in thinking:
        assert chunk.content == ""
        assert chunk.reasoning == chunk.additional_kwargs["reasoning_content"]
    assert "".join(c.reasoning for c in thinking) == "two plus two makes four"
    text = parts[len(thinking) :]
    assert "".join(str(c.content) for c in text) == "The answer is 4."
    assert all(not c.reasoning for c in text)


async def test_reference_text_filter_skips_reasoning_chunks(door: str) -> None:
    parts, _ = await _stream_reply(THINKING, door)
    printed = "".join(str(c.content) for c in parts if c.content)
    assert printed == "The answer is 4."


async def test_merged_reasoning_is_kept_on_the_message_in_state(door: str, kind: str) -> None:
    parts, in_state = await _stream_reply(THINKING, door, kind)
    merged = functools.reduce(operator.add, parts)
    assert merged.reasoning == "two plus two makes four"
    assert in_state.reasoning == "two plus two makes four"
    assert in_state.content == "The answer is 4."


async def test_reasoning_then_tool_call_streams_both_in_order(door: str) -> None:
    reply = AIMessage(
        "",
        additional_kwargs={"reasoning_content": "I need the weather"},
        tool_calls=[WEATHER],  # type: ignore[list-item]
    )
    parts, in_state = await _stream_reply(reply, door)
    kinds = ["reasoning" if c.reasoning else "call" for c in parts]
    first_call = kinds.index("call")
    assert set(kinds[:first_call]) == {"reasoning"} and set(kinds[first_call:]) == {"call"}
    assert all(c.content == "" for c in parts)
    assert [tc["name"] for c in parts for tc in c.tool_calls] == ["get_weather"]
    assert in_state.tool_calls[0]["args"] == WEATHER["args"]


# -- the same rules with real provider wire formats -----------------------------------------
@pytest.fixture(params=["anthropic", "openai"])
def provider_model(request: pytest.FixtureRequest) -> Iterator[tuple[MockProviderServer, Any]]:
    """A provider chat model pointed at a local server speaking its real stream format."""
    pytest.importorskip(request.param)
    with MockProviderServer(api_key="test-key") as server:
        if request.param == "anthropic":
            from streamgraph.models.anthropic import ChatAnthropic

            model: Any = ChatAnthropic(
                base_url=server.base_url_anthropic,
                api_key="test-key",
                max_retries=0,
                model="claude-test",
            )
        else:
            from streamgraph.models.openai import ChatOpenAI

            model = ChatOpenAI(
                base_url=server.base_url_openai, api_key="test-key", max_retries=0, model="gpt-test"
            )
        try:
            yield server, model
        finally:
            model.close()


async def _provider_run(
    provider_model: tuple[MockProviderServer, Any], door: str, *parts: Any
) -> tuple[list[AIMessageChunk], AIMessage]:
    server, model = provider_model
    server.enqueue(Reply(*parts))
    chunks, in_state = await _stream_call(model, door)
    assert chunks, "the provider streamed no chunks"
    assert all(isinstance(c.content, str) for c in chunks), "text is always a str"
    return chunks, in_state


async def test_provider_chunks_share_the_state_id_with_no_trailing_odd_chunk(
    door: str, provider_model: tuple[MockProviderServer, Any]
) -> None:
    parts, in_state = await _provider_run(provider_model, door, Text("Hello from the wire."))
    assert in_state.id
    assert {c.id for c in parts} == {in_state.id}
    assert "".join(str(c.content) for c in parts) == "Hello from the wire." == in_state.content
    with_usage = [i for i, c in enumerate(parts) if c.usage_metadata]
    assert with_usage == [len(parts) - 1]
    assert functools.reduce(operator.add, parts).usage_metadata == in_state.usage_metadata


async def test_provider_tool_calls_start_once_then_stream_args_pieces(
    door: str, provider_model: tuple[MockProviderServer, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    parts, in_state = await _provider_run(
        provider_model,
        door,
        Text("Checking."),
        ToolCall("get_weather", {"city": "Paris"}, id="call_w"),
        ToolCall("get_time", {"timezone": "UTC"}, id="call_t"),
    )
    _print_as_the_reference_loop(parts)
    out = capsys.readouterr().out
    assert out == "Checking.\n[Calling tool: get_weather]\n\n[Calling tool: get_time]\n"
    for start in (c for c in parts if c.tool_calls):
        assert start.content == "" and start.tool_call_chunks[0]["name"]
    expected = [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_w", "type": "tool_call"},
        {"name": "get_time", "args": {"timezone": "UTC"}, "id": "call_t", "type": "tool_call"},
    ]
    assert functools.reduce(operator.add, parts).tool_calls == expected
    assert in_state.tool_calls == expected
    assert {c.id for c in parts} == {in_state.id}


async def test_provider_reasoning_streams_on_empty_chunks_and_merges_whole(
    door: str, provider_model: tuple[MockProviderServer, Any]
) -> None:
    parts, in_state = await _provider_run(
        provider_model, door, Thinking("weigh the options", signature="sig-123"), Text("Done.")
    )
    thinking = [c for c in parts if c.reasoning]
    assert "".join(c.reasoning for c in thinking) == "weigh the options"
    assert all(c.content == "" for c in thinking)
    assert all(c.additional_kwargs["reasoning_content"] == c.reasoning for c in thinking)
    assert in_state.reasoning == "weigh the options"
    assert in_state.content == "Done."
    blocks = in_state.additional_kwargs.get("thinking_blocks")
    if blocks is not None:  # a provider with signed thinking blocks keeps them whole
        assert [(b["thinking"], b["signature"]) for b in blocks] == [
            ("weigh the options", "sig-123")
        ]
