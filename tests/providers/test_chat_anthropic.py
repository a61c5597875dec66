"""ChatAnthropic against the mock server, through the real anthropic SDK."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import pytest

from streamgraph.errors import ConfigurationError, MissingDependencyError
from streamgraph.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage, merge_chunks
from streamgraph.models.anthropic import ChatAnthropic
from streamgraph.testing import (
    Fixture,
    MockProviderServer,
    RedactedThinking,
    Reply,
    Text,
    Thinking,
    ToolCall,
    Usage,
)

from .streams import Via, collect, whole

pytest.importorskip("anthropic")

MakeModel = Callable[..., ChatAnthropic]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


# -- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["temperature", "top_p", "top_k"])
def test_sampling_options_are_refused_at_construction(option: str) -> None:
    options: dict[str, Any] = {option: 0.5}
    with pytest.raises(ConfigurationError, match=option) as info:
        ChatAnthropic(model="claude-test", **options)
    assert "2026-10-21" in str(info.value)


def test_sampling_options_in_model_kwargs_are_refused_too() -> None:
    with pytest.raises(ConfigurationError, match="top_k"):
        ChatAnthropic(model="claude-test", model_kwargs={"top_k": 5})


def test_sampling_option_per_call_is_refused_before_any_request(
    server: MockProviderServer, make_anthropic: MakeModel
) -> None:
    with pytest.raises(ConfigurationError, match="temperature"):
        make_anthropic().invoke("hi", temperature=0.2)
    assert server.requests == []


def test_construction_needs_no_key_and_no_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if the extra were not installed
    model = ChatAnthropic(model="claude-test")
    with pytest.raises(MissingDependencyError) as info:
        model.invoke("hi")
    assert info.value.extra == "anthropic"
    assert "streamgraph[anthropic]" in str(info.value)


def test_no_key_anywhere_is_a_configuration_error_at_first_use(
    server: MockProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("ANTHROPIC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", "/nonexistent")  # no profile file either
    model = ChatAnthropic(model="claude-test", base_url=server.base_url_anthropic)
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        model.invoke("hi")
    model.close()
    assert server.requests == []


def test_unknown_option_names_itself() -> None:
    with pytest.raises(ConfigurationError, match="max_token"):
        ChatAnthropic(model="claude-test", max_token=5)


async def test_request_carries_key_version_and_read_timeout(
    server: MockProviderServer, make_anthropic: MakeModel
) -> None:
    await collect(make_anthropic(), "hi", "sync")
    headers = server.last_request.headers
    assert headers["authorization"] == "Bearer test-key"
    assert headers["anthropic-version"] == "2026-10-21"
    assert float(headers["x-stainless-read-timeout"]) == 120  # default time between bytes
    assert server.last_request.body["max_tokens"] == 1024
    assert server.last_request.body["stream"] is True


# -- streaming ---------------------------------------------------------------------------


async def test_text_streams_with_one_id_and_usage_once_at_the_end(
    server: MockProviderServer, make_anthropic: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text("Hello there, friend!"), id="msg_fixed", usage=Usage(9, 4)))
    chunks, error = await collect(make_anthropic(), "hi", via)
    assert error is None
    assert [c.content for c in chunks] == ["Hello", " there,", " friend!", ""]
    assert {c.id for c in chunks} == {"msg_fixed"}
    assert [i for i, c in enumerate(chunks) if c.usage_metadata] == [len(chunks) - 1]
    assert [i for i, c in enumerate(chunks) if c.response_metadata] == [len(chunks) - 1]
    assert chunks[-1].usage_metadata == {"input_tokens": 9, "output_tokens": 4, "total_tokens": 13}
    assert chunks[-1].response_metadata == {
        "model_name": "claude-test",
        "model_provider": "anthropic",
        "stop_reason": "end_turn",
        "stop_sequence": None,
    }


async def test_stop_sequence_is_sent_and_reported(
    server: MockProviderServer, make_anthropic: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text("one two"), stop_reason="stop_sequence", stop_sequence="###"))
    chunks, _ = await collect(make_anthropic(stop=["END"]), "count", via, stop=["###"])
    assert server.last_request.body["stop_sequences"] == ["###"]
    assert chunks[-1].response_metadata["stop_reason"] == "stop_sequence"
    assert chunks[-1].response_metadata["stop_sequence"] == "###"


async def test_one_tool_call_starts_once_then_streams_arguments(
    server: MockProviderServer, make_anthropic: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text("Checking."), ToolCall("get_weather", {"city": "Paris"}, id="t1")))
    model = make_anthropic().bind_tools([WEATHER_TOOL], tool_choice="get_weather")
    chunks, _ = await collect(model, "weather?", via)
    body = server.last_request.body
    assert body["tools"] == [WEATHER_TOOL]
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}
    [start] = [c for c in chunks if c.tool_calls]
    assert start.content == ""
    assert start.tool_calls == [
        {"name": "get_weather", "args": {}, "id": "t1", "type": "tool_call"}
    ]
    assert start.tool_call_chunks == [
        {"name": "get_weather", "args": "", "id": "t1", "index": 1, "type": "tool_call_chunk"}
    ]
    pieces = [c for c in chunks if c.tool_call_chunks and c is not start]
    assert len(pieces) >= 2
    assert all(c.tool_calls == [] and c.tool_call_chunks[0]["index"] == 1 for c in pieces)
    message = merge_chunks(chunks).to_message()
    assert message.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "t1", "type": "tool_call"}
    ]
    assert message.response_metadata["stop_reason"] == "tool_use"


async def test_parallel_tool_calls(
    server: MockProviderServer, make_anthropic: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(ToolCall("get_weather", {"city": "Oslo"}), ToolCall("get_time", {})))
    chunks, _ = await collect(make_anthropic().bind_tools([WEATHER_TOOL]), "both", via)
    assert [c.tool_calls[0]["name"] for c in chunks if c.tool_calls] == ["get_weather", "get_time"]
    message = merge_chunks(chunks).to_message()
    assert [call["args"] for call in message.tool_calls] == [{"city": "Oslo"}, {}]
    assert "tool_choice" not in server.last_request.body


async def test_thinking_blocks_survive_merging_and_are_sent_back_first(
    server: MockProviderServer, make_anthropic: MakeModel, via: Via
) -> None:
    thinking = {"type": "enabled", "budget_tokens": 2048}
    model = make_anthropic(thinking=thinking)
    reply = Reply(
        Thinking(pieces=("Let me ", "think."), signature="sig-123"),
        Text("Calling the tool."),
        ToolCall("get_weather", {"city": "Rome"}, id="t9"),
        usage=Usage(20, 11),
    )
    server.enqueue(reply, Reply(Text("It is sunny.")))
    chunks, _ = await collect(model, "weather in Rome?", via)
    reasoning = [c for c in chunks if c.additional_kwargs.get("reasoning_content")]
    assert [c.additional_kwargs["reasoning_content"] for c in reasoning] == ["Let me ", "think."]
    assert all(c.content == "" for c in reasoning)
    assert chunks[-1].usage_metadata == {
        "input_tokens": 20,
        "output_tokens": 11,
        "total_tokens": 31,
    }
    message = merge_chunks(chunks).to_message()
    assert message.reasoning == "Let me think."
    assert message.additional_kwargs["thinking_blocks"] == [
        {"index": 0, "type": "thinking", "thinking": "Let me think.", "signature": "sig-123"}
    ]
    assert server.last_request.body["thinking"] == thinking

    history = [
        HumanMessage("weather in Rome?"),
        message,
        ToolMessage("sunny", tool_call_id="t9"),
    ]
    await whole(model, history, via)
    sent = server.last_request.body["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Let me think.", "signature": "sig-123"},
            {"type": "text", "text": "Calling the tool."},
            {"type": "tool_use", "id": "t9", "name": "get_weather", "input": {"city": "Rome"}},
        ],
    }
    assert sent[2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "t9", "content": "sunny"}],
    }


async def test_redacted_thinking_is_kept_and_sent_back(
    server: MockProviderServer, make_anthropic: MakeModel
) -> None:
    model = make_anthropic(thinking={"type": "adaptive"})
    server.enqueue(Reply(RedactedThinking("opaque=="), Text("Done.")))
    chunks, _ = await collect(model, "hi", "sync")
    message = merge_chunks(chunks).to_message()
    assert message.additional_kwargs["thinking_blocks"] == [
        {"index": 0, "type": "redacted_thinking", "data": "opaque=="}
    ]
    model.invoke([HumanMessage("hi"), message, HumanMessage("again")])
    assert server.last_request.body["messages"][1]["content"] == [
        {"type": "redacted_thinking", "data": "opaque=="},
        {"type": "text", "text": "Done."},
    ]


async def test_system_messages_go_to_the_top_level(
    server: MockProviderServer, make_anthropic: MakeModel
) -> None:
    make_anthropic().invoke([SystemMessage("Be brief."), HumanMessage("hi")])
    body = server.last_request.body
    assert body["system"] == "Be brief."
    assert body["messages"] == [{"role": "user", "content": "hi"}]


async def test_parallel_tool_results_share_one_user_turn(
    server: MockProviderServer, make_anthropic: MakeModel
) -> None:
    calls = [
        {"name": "a", "args": {}, "id": "c1", "type": "tool_call"},
        {"name": "b", "args": {"x": 1}, "id": "c2", "type": "tool_call"},
    ]
    history = [
        HumanMessage("go"),
        AIMessage("", tool_calls=calls),  # type: ignore[arg-type]
        ToolMessage("1", tool_call_id="c1"),
        ToolMessage("boom", tool_call_id="c2", status="error"),
    ]
    make_anthropic().invoke(history)
    sent = server.last_request.body["messages"]
    assert len(sent) == 3
    assert sent[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "c1", "content": "1"},
        {"type": "tool_result", "tool_use_id": "c2", "content": "boom", "is_error": True},
    ]


@pytest.mark.parametrize("name", ["anthropic_text.sse", "llamacpp_anthropic_messages.sse"])
async def test_recorded_streams_replay(
    server: MockProviderServer, make_anthropic: MakeModel, name: str
) -> None:
    server.enqueue(Fixture(name))
    chunks, error = await collect(make_anthropic(), "hi", "sync")
    assert error is None
    assert "".join(str(c.content) for c in chunks).startswith("Hello")
    assert chunks[-1].usage_metadata is not None


# -- whole replies -----------------------------------------------------------------------


@pytest.mark.parametrize("option", [{"streaming": False}, {"disable_streaming": True}])
async def test_streaming_off_makes_one_whole_call(
    server: MockProviderServer, make_anthropic: MakeModel, via: Via, option: dict[str, Any]
) -> None:
    server.enqueue(Reply(Thinking("hm"), Text("Whole reply."), ToolCall("f", {"a": 1}, id="t")))
    chunks, _ = await collect(make_anthropic(**option), "hi", via)
    assert "stream" not in server.last_request.body
    # a whole reply arrives only once it is complete: its default timeout is longer
    assert float(server.last_request.headers["x-stainless-read-timeout"]) == 600
    [chunk] = chunks
    assert chunk.content == "Whole reply."
    assert chunk.tool_calls == [{"name": "f", "args": {"a": 1}, "id": "t", "type": "tool_call"}]
    assert chunk.additional_kwargs["thinking_blocks"][0]["signature"] == "mock-signature"
    assert chunk.id is not None and chunk.id.startswith("msg_")
    assert chunk.usage_metadata is not None
