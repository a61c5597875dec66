"""AnthropicStreamTranslator on recorded streams and hand-made events, without a network."""

from __future__ import annotations

from typing import Any

from streamgraph.messages import AIMessageChunk, merge_chunks
from streamgraph.models._anthropic_wire import AnthropicStreamTranslator

from .wire_events import fixture_payloads, obj


def translate(payloads: list[dict[str, Any]]) -> list[AIMessageChunk]:
    translator = AnthropicStreamTranslator()
    chunks = [translator.feed(obj(p)) for p in payloads]
    assert translator.finished
    return [c for c in chunks if c is not None]


def test_text_fixture_streams_text_and_ends_with_usage() -> None:
    chunks = translate(fixture_payloads("anthropic_text.sse"))
    assert [c.content for c in chunks] == ["Hello", "!", ""]
    assert {c.id for c in chunks} == {"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY"}
    assert [c.usage_metadata for c in chunks[:-1]] == [None, None]
    assert chunks[-1].usage_metadata == {
        "input_tokens": 25,
        "output_tokens": 15,
        "total_tokens": 40,
    }
    assert chunks[-1].response_metadata["stop_reason"] == "end_turn"
    assert chunks[-1].response_metadata["model_name"] == "claude-opus-4-6"


def test_tool_use_fixture_starts_the_call_once_then_streams_arguments() -> None:
    chunks = translate(fixture_payloads("anthropic_tool_use.sse"))
    starts = [c for c in chunks if c.tool_calls]
    assert len(starts) == 1
    start = starts[0]
    assert start.content == ""
    assert start.tool_calls == [
        {
            "name": "get_weather",
            "args": {},
            "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
            "type": "tool_call",
        }
    ]
    assert start.tool_call_chunks[0]["index"] == 1
    pieces = [c for c in chunks if c.tool_call_chunks and not c.tool_calls]
    assert all(p.tool_call_chunks[0]["name"] is None for p in pieces)
    assert all(p.tool_call_chunks[0]["id"] is None for p in pieces)
    message = merge_chunks(chunks).to_message()
    assert message.tool_calls[0]["args"] == {"location": "San Francisco, CA", "unit": "fahrenheit"}
    assert message.content == "Okay, let's check the weather for San Francisco, CA:"


def test_thinking_fixture_keeps_block_and_signature_when_merged() -> None:
    chunks = translate(fixture_payloads("anthropic_thinking.sse"))
    thinking = [c for c in chunks if "reasoning_content" in c.additional_kwargs]
    assert thinking and all(c.content == "" for c in thinking)
    message = merge_chunks(chunks).to_message()
    [block] = message.additional_kwargs["thinking_blocks"]
    assert block["type"] == "thinking"
    assert block["signature"].startswith("EqQBCgIYAhIM")
    assert block["thinking"].endswith("GCD(1071, 462) = 21.")
    assert message.reasoning == block["thinking"]
    # the docs' example carries no usage at all: none is invented
    assert message.usage_metadata is None


def test_cache_counts_are_part_of_input_tokens() -> None:
    chunks = translate(fixture_payloads("anthropic_tool_use_sdkfixture.sse"))
    assert chunks[-1].usage_metadata == {
        "input_tokens": 377,
        "output_tokens": 65,
        "total_tokens": 442,
        "input_token_details": {"cache_read": 0, "cache_creation": 0},
    }


def test_redacted_thinking_is_kept_whole() -> None:
    payloads: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "msg_r", "model": "m", "usage": None}},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "redacted_thinking", "data": "opaque"},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}},
        {"type": "message_stop"},
    ]
    chunks = translate(payloads)
    assert chunks[0].additional_kwargs == {
        "thinking_blocks": [{"index": 0, "type": "redacted_thinking", "data": "opaque"}]
    }


def test_unknown_events_and_pings_are_ignored() -> None:
    translator = AnthropicStreamTranslator()
    assert translator.feed(obj({"type": "ping"})) is None
    assert translator.feed(obj({"type": "brand_new_event", "x": 1})) is None
    unknown_delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "new_delta"}}
    assert translator.feed(obj(unknown_delta)) is None
    assert not translator.finished


def test_server_tool_blocks_are_not_reported_as_tool_calls() -> None:
    start = {"id": "msg_s", "model": "m", "usage": {"input_tokens": 3, "output_tokens": 1}}
    server_tool = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    payloads: list[dict[str, Any]] = [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": server_tool},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": '{"query": "x"}'},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": None},
        {"type": "message_stop"},
    ]
    chunks = translate(payloads)
    assert all(not c.tool_call_chunks and not c.tool_calls for c in chunks)
