"""Replies that break the wire format: a typed error naming provider, event and field, with
the tokens delivered before it kept. Served byte for byte by the mock, read by the SDKs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.errors import MalformedResponseError
from streamgraph.models.base import BaseChatModel
from streamgraph.testing import MockProviderServer, Raw


def _graph(model: BaseChatModel) -> Any:
    def call(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("call", call)
    builder.add_edge(START, "call")
    builder.add_edge("call", END)
    return builder.compile()


def _stream_through_graph(model: BaseChatModel) -> tuple[list[str], MalformedResponseError]:
    seen: list[str] = []
    with pytest.raises(MalformedResponseError) as info:
        for chunk, _ in _graph(model).stream(
            {"messages": [("user", "hi")]}, stream_mode="messages"
        ):
            seen.append(str(chunk.content))
    return seen, info.value


# -- Anthropic ---------------------------------------------------------------------------


def _event(name: str, payload: dict[str, Any] | bytes) -> bytes:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


_MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "content": [],
    "model": "claude-test",
    "stop_reason": None,
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}
_OPENING = [
    _event("message_start", {"type": "message_start", "message": _MESSAGE}),
    _event(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
]


def _text_delta(text: object) -> bytes:
    delta = {"type": "text_delta", "text": text}
    return _event(
        "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    )


_BAD_JSON = b'{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "'
_BAD_UTF8 = (
    b'{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "\xff"}}'
)

ANTHROPIC_STREAMS = {
    "invalid json": (
        [*_OPENING, _text_delta("Hel"), _event("content_block_delta", _BAD_JSON)],
        ("content_block_delta", "data"),
    ),
    "invalid utf-8": (
        [*_OPENING, _text_delta("Hel"), _event("content_block_delta", _BAD_UTF8)],
        ("content_block_delta", "data"),
    ),
    "message_start without message": (
        [_event("message_start", {"type": "message_start"})],
        ("message_start", "message"),
    ),
    "text of the wrong type": (
        [*_OPENING, _text_delta("Hel"), _text_delta(42)],
        ("content_block_delta", "delta.text"),
    ),
}


@pytest.mark.parametrize("case", list(ANTHROPIC_STREAMS))
def test_anthropic_malformed_stream_event_is_a_typed_error_after_the_earlier_tokens(
    server: MockProviderServer, make_anthropic: Callable[..., BaseChatModel], case: str
) -> None:
    pytest.importorskip("anthropic")
    chunks, (event, field) = ANTHROPIC_STREAMS[case]
    server.enqueue(Raw(*chunks))
    seen, error = _stream_through_graph(make_anthropic())
    assert (error.provider, error.event, error.field) == ("anthropic", event, field)
    assert event in str(error) and field in str(error)
    assert "".join(seen) == ("" if case == "message_start without message" else "Hel")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**_MESSAGE, "content": "hi", "stop_reason": "end_turn"}, "content"),
        ({**_MESSAGE, "content": [{"type": "text", "text": 42}]}, "content[0].text"),
        (b'{"id": "msg_1", "content": [', "data"),
    ],
    ids=["content not a list", "text of the wrong type", "invalid json"],
)
def test_anthropic_malformed_whole_reply_is_a_typed_error(
    server: MockProviderServer,
    make_anthropic: Callable[..., BaseChatModel],
    body: dict[str, Any] | bytes,
    field: str,
) -> None:
    pytest.importorskip("anthropic")
    server.enqueue(Raw(body if isinstance(body, bytes) else json.dumps(body).encode()))
    with pytest.raises(MalformedResponseError) as info:
        make_anthropic().invoke("hi")
    assert (info.value.provider, info.value.event, info.value.field) == (
        "anthropic",
        "response",
        field,
    )


# -- OpenAI ------------------------------------------------------------------------------


def _chunk(delta: dict[str, Any] | None = None, **fields: Any) -> bytes:
    payload: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": None}],
        **fields,
    }
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


_OPENAI_BAD_JSON = b'data: {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"content": "\n\n'
_OPENAI_BAD_UTF8 = (
    b'data: {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"content": "\xff"}}]}\n\n'
)
_NO_CHOICES = b'data: {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m"}\n\n'

OPENAI_STREAMS = {
    "invalid json": ([_chunk({"content": "Hel"}), _OPENAI_BAD_JSON], ("chunk", "data")),
    "invalid utf-8": ([_chunk({"content": "Hel"}), _OPENAI_BAD_UTF8], ("chunk", "data")),
    "chunk without choices": ([_chunk({"content": "Hel"}), _NO_CHOICES], ("chunk", "choices")),
    "content of the wrong type": (
        [_chunk({"content": "Hel"}), _chunk({"content": 42})],
        ("chunk", "choices[0].delta.content"),
    ),
}


@pytest.mark.parametrize("case", list(OPENAI_STREAMS))
def test_openai_malformed_stream_chunk_is_a_typed_error_after_the_earlier_tokens(
    server: MockProviderServer, make_openai: Callable[..., BaseChatModel], case: str
) -> None:
    pytest.importorskip("openai")
    chunks, (event, field) = OPENAI_STREAMS[case]
    server.enqueue(Raw(*chunks))
    seen, error = _stream_through_graph(make_openai())
    assert (error.provider, error.event, error.field) == ("openai", event, field)
    assert field in str(error)
    assert "".join(seen) == "Hel"


_COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-test",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**_COMPLETION, "choices": "hi"}, "choices"),
        (
            {**_COMPLETION, "choices": [{"index": 0, "message": {"content": 42}}]},
            "choices[0].message.content",
        ),
        (b'{"id": "chatcmpl-1", "choices": [', "data"),
    ],
    ids=["choices not a list", "content of the wrong type", "invalid json"],
)
def test_openai_malformed_whole_reply_is_a_typed_error(
    server: MockProviderServer,
    make_openai: Callable[..., BaseChatModel],
    body: dict[str, Any] | bytes,
    field: str,
) -> None:
    pytest.importorskip("openai")
    server.enqueue(Raw(body if isinstance(body, bytes) else json.dumps(body).encode()))
    with pytest.raises(MalformedResponseError) as info:
        make_openai().invoke("hi")
    assert (info.value.provider, info.value.event, info.value.field) == (
        "openai",
        "response",
        field,
    )
