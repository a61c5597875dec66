"""Render provider-neutral scripts as Anthropic and OpenAI wire bytes and bodies."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .scripts import (
    Fixture,
    HttpError,
    RedactedThinking,
    Refusal,
    Reply,
    Text,
    Thinking,
    ToolCall,
)

_ids = itertools.count(1)

_OPENAI_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


@dataclass(frozen=True, slots=True)
class Frame:
    """One SSE event as bytes; ``delta`` marks a content piece (paced, counted)."""

    data: bytes
    delta: bool = False


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def fixture_bytes(name: str) -> bytes:
    return resources.files("streamgraph.testing").joinpath("fixtures").joinpath(name).read_bytes()


def fixture_frames(fixture: Fixture) -> list[Frame]:
    raw = fixture_bytes(fixture.name).replace(b"\r\n", b"\n")
    return [
        Frame(block.strip(b"\n") + b"\n\n", True) for block in raw.split(b"\n\n") if block.strip()
    ]


def _tool_id(call: ToolCall, index: int, prefix: str) -> str:
    return call.id or f"{prefix}{index:02d}mock{next(_ids):06d}"


def _output_tokens(reply: Reply) -> int:
    return reply.usage.output_tokens if reply.usage.output_tokens is not None else reply.delta_count


# -- Anthropic ---------------------------------------------------------------------------


def _sse(event: str, payload: dict[str, Any], *, delta: bool = False) -> Frame:
    return Frame(f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode(), delta)


def _anthropic_stop(reply: Reply) -> str:
    if reply.stop_reason:
        return reply.stop_reason
    return "tool_use" if any(isinstance(p, ToolCall) for p in reply.parts) else "end_turn"


def _anthropic_usage(reply: Reply) -> dict[str, Any]:
    usage: dict[str, Any] = {"input_tokens": reply.usage.input_tokens}
    if reply.usage.cache_read_input_tokens is not None:
        usage["cache_read_input_tokens"] = reply.usage.cache_read_input_tokens
    if reply.usage.cache_creation_input_tokens is not None:
        usage["cache_creation_input_tokens"] = reply.usage.cache_creation_input_tokens
    return usage


def anthropic_ids(reply: Reply, model: str) -> tuple[str, str]:
    return reply.id or f"msg_mock{next(_ids):08d}", reply.model or model


def anthropic_stream(reply: Reply, model: str) -> list[Frame]:
    msg_id, model = anthropic_ids(reply, model)
    start: dict[str, Any] = {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**_anthropic_usage(reply), "output_tokens": 1},
    }
    frames = [_sse("message_start", {"type": "message_start", "message": start})]
    frames.append(_sse("ping", {"type": "ping"}))
    for index, part in enumerate(reply.parts):
        frames.extend(_anthropic_block(part, index))
    frames.append(
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": _anthropic_stop(reply),
                    "stop_sequence": reply.stop_sequence,
                },
                "usage": {"output_tokens": _output_tokens(reply)},
            },
        )
    )
    frames.append(_sse("message_stop", {"type": "message_stop"}))
    return frames


def _anthropic_block(part: object, index: int) -> list[Frame]:
    def start(block: dict[str, Any]) -> Frame:
        return _sse(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )

    def delta(body: dict[str, Any]) -> Frame:
        event = {"type": "content_block_delta", "index": index, "delta": body}
        return _sse("content_block_delta", event, delta=True)

    frames: list[Frame] = []
    if isinstance(part, Text):
        frames.append(start({"type": "text", "text": ""}))
        frames.extend(delta({"type": "text_delta", "text": p}) for p in part.pieces)
    elif isinstance(part, Thinking):
        frames.append(start({"type": "thinking", "thinking": "", "signature": ""}))
        frames.extend(delta({"type": "thinking_delta", "thinking": p}) for p in part.pieces)
        sig = {"type": "content_block_delta", "index": index}
        sig["delta"] = {"type": "signature_delta", "signature": part.signature}
        frames.append(_sse("content_block_delta", sig))
    elif isinstance(part, RedactedThinking):
        frames.append(start({"type": "redacted_thinking", "data": part.data}))
    elif isinstance(part, ToolCall):
        block = {"type": "tool_use", "id": _tool_id(part, index, "toolu_"), "name": part.name}
        frames.append(start({**block, "input": {}}))
        frames.extend(delta({"type": "input_json_delta", "partial_json": p}) for p in part.pieces)
    elif isinstance(part, Refusal):  # Anthropic has no refusal block: a refusal is text
        frames.append(start({"type": "text", "text": ""}))
        frames.extend(delta({"type": "text_delta", "text": p}) for p in part.pieces)
    frames.append(_sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    return frames


def anthropic_message(reply: Reply, model: str) -> dict[str, Any]:
    msg_id, model = anthropic_ids(reply, model)
    content: list[dict[str, Any]] = []
    for index, part in enumerate(reply.parts):
        if isinstance(part, Text | Refusal):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, Thinking):
            content.append({"type": "thinking", "thinking": part.text, "signature": part.signature})
        elif isinstance(part, RedactedThinking):
            content.append({"type": "redacted_thinking", "data": part.data})
        else:
            tool_id = _tool_id(part, index, "toolu_")
            content.append(
                {"type": "tool_use", "id": tool_id, "name": part.name, "input": part.args}
            )
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _anthropic_stop(reply),
        "stop_sequence": reply.stop_sequence,
        "usage": {**_anthropic_usage(reply), "output_tokens": _output_tokens(reply)},
    }


def anthropic_error_frame(reply: Reply) -> Frame:
    kind = reply.error_type or "overloaded_error"
    message = "Overloaded" if kind == "overloaded_error" else f"mock {kind}"
    return _sse("error", {"type": "error", "error": {"type": kind, "message": message}})


_ANTHROPIC_ERRORS: dict[str, tuple[int, str, str]] = {
    "unauthorized": (401, "authentication_error", "invalid x-api-key"),
    "rate_limit": (
        429,
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit",
    ),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "bad_request": (400, "invalid_request_error", "mock bad request"),
    "server_error": (500, "api_error", "Internal server error"),
}


def anthropic_http_error(error: HttpError) -> ErrorAnswer:
    status, kind, message = _ANTHROPIC_ERRORS[error.kind]
    body = {
        "type": "error",
        "error": {"type": kind, "message": error.message or message},
        "request_id": f"req_mock{next(_ids):08d}",
    }
    return ErrorAnswer(error.status or status, body, _retry_headers(error))


def _retry_headers(error: HttpError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["retry-after"] = f"{error.retry_after:g}"
    return headers


# -- OpenAI ------------------------------------------------------------------------------


def _data(payload: dict[str, Any], *, delta: bool = False) -> Frame:
    return Frame(f"data: {json.dumps(payload)}\n\n".encode(), delta)


def _openai_finish(reply: Reply) -> str:
    if reply.stop_reason:
        return _OPENAI_FINISH.get(reply.stop_reason, reply.stop_reason)
    if any(isinstance(p, ToolCall) for p in reply.parts):
        return "tool_calls"
    return "content_filter" if any(isinstance(p, Refusal) for p in reply.parts) else "stop"


def _openai_usage(reply: Reply) -> dict[str, Any]:
    output = _output_tokens(reply)
    usage: dict[str, Any] = {
        "prompt_tokens": reply.usage.input_tokens,
        "completion_tokens": output,
        "total_tokens": reply.usage.input_tokens + output,
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    if reply.usage.cache_read_input_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": reply.usage.cache_read_input_tokens}
    return usage


def openai_stream(reply: Reply, model: str, *, include_usage: bool) -> list[Frame]:
    chunk_id = reply.id or f"chatcmpl-mock{next(_ids):08d}"
    head = {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": reply.model or model,
        "system_fingerprint": "fp_mock",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, *, paced: bool = True) -> Frame:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _data({**head, "choices": [choice]}, delta=paced)

    text_first = isinstance(reply.parts[0], Text | Thinking)
    first: dict[str, Any] = {"role": "assistant", "content": "" if text_first else None}
    frames = [chunk({**first, "refusal": None}, paced=False)]
    call_index = 0
    for index, part in enumerate(reply.parts):
        if isinstance(part, Text):
            frames.extend(chunk({"content": p}) for p in part.pieces)
        elif isinstance(part, Thinking):
            frames.extend(chunk({"reasoning_content": p}) for p in part.pieces)
        elif isinstance(part, Refusal):
            frames.extend(chunk({"refusal": p}) for p in part.pieces)
        elif isinstance(part, ToolCall):
            call = {"index": call_index, "id": _tool_id(part, index, "call_"), "type": "function"}
            call["function"] = {"name": part.name, "arguments": ""}
            frames.append(chunk({"tool_calls": [call]}))
            for piece in part.pieces:
                frag = {"index": call_index, "function": {"arguments": piece}}
                frames.append(chunk({"tool_calls": [frag]}))
            call_index += 1
    frames.append(chunk({}, _openai_finish(reply), paced=False))
    if include_usage:
        frames.append(_data({**head, "choices": [], "usage": _openai_usage(reply)}))
    frames.append(Frame(b"data: [DONE]\n\n"))
    return frames


def openai_completion(reply: Reply, model: str) -> dict[str, Any]:
    text = "".join(p.text for p in reply.parts if isinstance(p, Text))
    refusal = "".join(p.text for p in reply.parts if isinstance(p, Refusal)) or None
    reasoning = "".join(p.text for p in reply.parts if isinstance(p, Thinking)) or None
    calls = [
        {
            "id": _tool_id(p, i, "call_"),
            "type": "function",
            "function": {"name": p.name, "arguments": json.dumps(p.args)},
        }
        for i, p in enumerate(reply.parts)
        if isinstance(p, ToolCall)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": refusal}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = reasoning
    return {
        "id": reply.id or f"chatcmpl-mock{next(_ids):08d}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or model,
        "system_fingerprint": "fp_mock",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _openai_finish(reply),
            }
        ],
        "usage": _openai_usage(reply),
    }


def openai_error_frame(reply: Reply) -> Frame:
    error = {
        "message": "The server had an error while processing your request. Sorry about that!",
        "type": reply.error_type or "server_error",
        "param": None,
        "code": None,
    }
    return _data({"error": error})


_OPENAI_ERRORS: dict[str, tuple[int, str, str | None, str]] = {
    "unauthorized": (
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key in your account settings.",
    ),
    "rate_limit": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again later.",
    ),
    "overloaded": (503, "server_error", None, "The engine is currently overloaded."),
    "bad_request": (400, "invalid_request_error", None, "mock bad request"),
    "server_error": (500, "server_error", None, "The server had an error."),
}


def openai_http_error(error: HttpError) -> ErrorAnswer:
    status, kind, code, message = _OPENAI_ERRORS[error.kind]
    body = {
        "error": {"message": error.message or message, "type": kind, "param": None, "code": code}
    }
    return ErrorAnswer(error.status or status, body, _retry_headers(error))
