"""OpenAIStreamTranslator on recorded streams, without a network."""

from __future__ import annotations

from streamgraph.messages import AIMessageChunk, merge_chunks
from streamgraph.models._openai_wire import OpenAIStreamTranslator

from .wire_events import fixture_payloads, obj


def translate(name: str) -> list[AIMessageChunk]:
    translator = OpenAIStreamTranslator()
    chunks = [c for p in fixture_payloads(name) for c in translator.feed(obj(p))]
    assert translator.finished
    return [*chunks, translator.end()]


def test_text_stream_has_one_id_and_usage_on_the_last_chunk() -> None:
    chunks = translate("openai_text.sse")
    assert {c.id for c in chunks} == {"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL"}
    assert all(isinstance(c.content, str) for c in chunks)
    assert [i for i, c in enumerate(chunks) if c.usage_metadata] == [len(chunks) - 1]
    assert [i for i, c in enumerate(chunks) if c.response_metadata] == [len(chunks) - 1]
    assert chunks[-1].usage_metadata == {
        "input_tokens": 14,
        "output_tokens": 30,
        "total_tokens": 44,
        "output_token_details": {"reasoning": 0},
    }
    assert chunks[-1].response_metadata["finish_reason"] == "stop"
    assert "".join(str(c.content) for c in chunks).startswith("I'm unable to provide real-time")


def test_parallel_tool_calls_each_start_once() -> None:
    chunks = translate("openai_parallel_tool_calls.sse")
    starts = [c for c in chunks if c.tool_calls]
    assert [s.tool_calls[0]["name"] for s in starts] == ["GetWeatherArgs", "get_stock_price"]
    assert [s.tool_call_chunks[0]["index"] for s in starts] == [0, 1]
    assert all(s.content == "" for s in starts)
    later = [c for c in chunks if c.tool_call_chunks and not c.tool_calls]
    assert later and all(c.tool_call_chunks[0]["id"] is None for c in later)
    message = merge_chunks(chunks).to_message()
    assert [call["name"] for call in message.tool_calls] == ["GetWeatherArgs", "get_stock_price"]
    assert message.tool_calls[0]["args"]["city"] == "Edinburgh"
    assert message.response_metadata["finish_reason"] == "tool_calls"


def test_refusal_pieces_land_in_additional_kwargs() -> None:
    message = merge_chunks(translate("openai_refusal.sse")).to_message()
    assert message.content == ""
    assert message.additional_kwargs["refusal"] == "I'm sorry, I can't assist with that request."


def test_llamacpp_stream_with_null_content_and_timings() -> None:
    chunks = translate("llamacpp_openai_chat.sse")
    message = merge_chunks(chunks).to_message()
    assert message.text.startswith("Hello")
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 36
