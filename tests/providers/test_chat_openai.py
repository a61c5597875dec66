"""ChatOpenAI against the mock server, through the real openai SDK."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from streamgraph.errors import ConfigurationError, MissingDependencyError
from streamgraph.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage, merge_chunks
from streamgraph.models.openai import ChatOpenAI
from streamgraph.testing import (
    Fixture,
    MockProviderServer,
    Refusal,
    Reply,
    Text,
    Thinking,
    ToolCall,
)

from .streams import Via, collect

pytest.importorskip("openai")

MakeModel = Callable[..., ChatOpenAI]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_construction_needs_no_key_and_no_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setitem(sys.modules, "openai", None)  # as if the extra were not installed
    model = ChatOpenAI(model="gpt-test")
    with pytest.raises(MissingDependencyError, match=r"streamgraph\[openai\]"):
        model.invoke("hi")


def test_a_missing_key_is_a_configuration_error_at_first_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="api_key"):
        ChatOpenAI(model="gpt-test", base_url="http://127.0.0.1:9/v1").invoke("hi")


async def test_request_body(server: MockProviderServer, make_openai: MakeModel) -> None:
    model = make_openai(
        temperature=0.2,
        max_tokens=50,
        stop=["END"],
        model_kwargs={"seed": 7, "vendor_option": {"x": 1}},
    )
    await collect(model, [SystemMessage("Be brief."), HumanMessage("hi")], "sync")
    request = server.last_request
    assert request.headers["authorization"] == "Bearer test-key"
    assert float(request.headers["x-stainless-read-timeout"]) == 120
    body = request.body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.2
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    assert body["stop"] == ["END"]
    assert body["seed"] == 7
    assert body["vendor_option"] == {"x": 1}  # unknown to the SDK: passed through as is
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]


async def test_text_streams_with_the_completion_id(
    server: MockProviderServer, make_openai: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text("Hello there!"), id="chatcmpl-fixed"))
    chunks, error = await collect(make_openai(), "hi", via)
    assert error is None
    assert [c.content for c in chunks] == ["Hello", " there!", ""]
    assert {c.id for c in chunks} == {"chatcmpl-fixed"}
    assert [i for i, c in enumerate(chunks) if c.usage_metadata] == [len(chunks) - 1]
    assert chunks[-1].response_metadata["finish_reason"] == "stop"
    assert chunks[-1].response_metadata["model_name"] == "gpt-test"


async def test_parallel_tool_calls_and_tool_choice(
    server: MockProviderServer, make_openai: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(ToolCall("get_weather", {"city": "Oslo"}), ToolCall("get_weather", {})))
    model = make_openai().bind_tools([WEATHER_TOOL], tool_choice="any")
    chunks, _ = await collect(model, "weather?", via)
    body = server.last_request.body
    assert body["tools"] == [WEATHER_TOOL]
    assert body["tool_choice"] == "required"
    starts = [c for c in chunks if c.tool_calls]
    assert [s.tool_call_chunks[0]["index"] for s in starts] == [0, 1]
    assert all(s.content == "" and s.tool_calls[0]["args"] == {} for s in starts)
    message = merge_chunks(chunks).to_message()
    assert [call["args"] for call in message.tool_calls] == [{"city": "Oslo"}, {}]
    assert message.response_metadata["finish_reason"] == "tool_calls"


async def test_named_tool_choice(server: MockProviderServer, make_openai: MakeModel) -> None:
    make_openai().bind_tools([WEATHER_TOOL], tool_choice="get_weather").invoke("hi")
    assert server.last_request.body["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }


async def test_tool_history_is_sent_in_openai_form(
    server: MockProviderServer, make_openai: MakeModel
) -> None:
    call = {"name": "get_weather", "args": {"city": "Oslo"}, "id": "call_1", "type": "tool_call"}
    history = [
        HumanMessage("weather?"),
        AIMessage("", tool_calls=[call]),  # type: ignore[list-item]
        ToolMessage("cold", tool_call_id="call_1"),
    ]
    make_openai().invoke(history)
    assert server.last_request.body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "cold"},
    ]


async def test_refusal_streams_into_additional_kwargs(
    server: MockProviderServer, make_openai: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Refusal("I can't help with that.")))
    chunks, _ = await collect(make_openai(), "hi", via)
    message = merge_chunks(chunks).to_message()
    assert message.content == ""
    assert message.additional_kwargs["refusal"] == "I can't help with that."
    assert message.response_metadata["finish_reason"] == "content_filter"


async def test_reasoning_from_compatible_servers(
    server: MockProviderServer, make_openai: MakeModel
) -> None:
    server.enqueue(Reply(Thinking("Two plus two."), Text("4")))
    chunks, _ = await collect(make_openai(), "2+2?", "sync")
    reasoning = [c for c in chunks if c.additional_kwargs]
    assert reasoning and all(c.content == "" for c in reasoning)
    assert merge_chunks(chunks).to_message().reasoning == "Two plus two."


@pytest.mark.parametrize(
    "name", ["openai_text.sse", "openai_tool_calls.sse", "llamacpp_openai_chat.sse"]
)
async def test_recorded_streams_replay(
    server: MockProviderServer, make_openai: MakeModel, name: str
) -> None:
    server.enqueue(Fixture(name))
    chunks, error = await collect(make_openai(), "hi", "sync")
    assert error is None
    assert chunks[-1].usage_metadata is not None
    message = merge_chunks(chunks).to_message()
    assert message.text or message.tool_calls


@pytest.mark.parametrize("option", [{"streaming": False}, {"disable_streaming": True}])
async def test_streaming_off_makes_one_whole_call(
    server: MockProviderServer, make_openai: MakeModel, via: Via, option: dict[str, Any]
) -> None:
    server.enqueue(Reply(Text("Whole reply."), ToolCall("f", {"a": 1}, id="call_9")))
    chunks, _ = await collect(make_openai(**option), "hi", via)
    assert "stream" not in server.last_request.body
    assert "stream_options" not in server.last_request.body
    [chunk] = chunks
    assert chunk.content == "Whole reply."
    assert chunk.tool_calls == [
        {"name": "f", "args": {"a": 1}, "id": "call_9", "type": "tool_call"}
    ]
    assert chunk.usage_metadata is not None
