"""Anthropic Messages wire format: messages out, stream events and whole replies in.

Everything here is pure: no client, no network. :class:`AnthropicStreamTranslator` turns the
SDK's stream events into :class:`AIMessageChunk` objects following the streaming contract
(text as ``str`` content, tool calls started once then continued by argument pieces, thinking in
``additional_kwargs``, usage and stop reason once on the last chunk).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from streamgraph.errors import MalformedResponseError
from streamgraph.messages.ai import AIMessage, AIMessageChunk, UsageMetadata
from streamgraph.messages.base import BaseMessage
from streamgraph.messages.tool_calls import ToolCall

__all__ = [
    "AnthropicStreamTranslator",
    "message_from_response",
    "to_anthropic_messages",
    "usage_metadata",
]

PROVIDER = "anthropic"
_DATA_URL = re.compile(r"^data:(?P<mime>[\w/+.-]+);base64,(?P<data>.*)$", re.DOTALL)


# -- messages out ------------------------------------------------------------------------


def to_anthropic_messages(
    messages: Sequence[BaseMessage],
) -> tuple[str | list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """Split ``messages`` into the top-level ``system`` and the ``messages`` list.

    Consecutive tool results are sent in one user turn, as the API requires for parallel calls.
    """
    system: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for message in messages:
        kind = _role(message)
        if kind == "system":
            system.extend(_blocks(message.content))
        elif kind == "assistant":
            out.append({"role": "assistant", "content": _assistant_content(message)})
        elif kind == "tool":
            block = _tool_result(message)
            if out and out[-1]["role"] == "user" and _all_tool_results(out[-1]["content"]):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        else:
            content = message.content
            out.append(
                {
                    "role": "user",
                    "content": content if isinstance(content, str) else _blocks(content),
                }
            )
    if not system:
        return None, out
    if all(set(b) == {"type", "text"} for b in system):
        return "\n\n".join(b["text"] for b in system), out
    return system, out


def _role(message: BaseMessage) -> str:
    if isinstance(message, AIMessage):
        return "assistant"
    kind = message.type
    if kind == "chat":
        role = str(getattr(message, "role", "user"))
        return {"ai": "assistant", "human": "user"}.get(role, role)
    return {"system": "system", "developer": "system", "tool": "tool"}.get(kind, "user")


def _all_tool_results(content: object) -> bool:
    return isinstance(content, list) and all(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def _blocks(content: str | Sequence[Any]) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, str):
            if item:
                blocks.append({"type": "text", "text": item})
        elif isinstance(item, dict):
            blocks.append(_block(item))
    return blocks


def _block(block: dict[str, Any]) -> dict[str, Any]:
    kind = block.get("type")
    if kind == "image_url":
        url = (
            block["image_url"]["url"]
            if isinstance(block["image_url"], dict)
            else block["image_url"]
        )
        return {"type": "image", "source": _image_source(str(url))}
    if kind == "image" and "source" not in block:  # the provider-neutral image block
        if "base64" in block:
            media = block.get("mime_type", "image/png")
            source = {"type": "base64", "media_type": media, "data": block["base64"]}
            return {"type": "image", "source": source}
        if "url" in block:
            return {"type": "image", "source": _image_source(str(block["url"]))}
    return block


def _image_source(url: str) -> dict[str, Any]:
    match = _DATA_URL.match(url)
    if match:
        return {"type": "base64", "media_type": match["mime"], "data": match["data"]}
    return {"type": "url", "url": url}


def _assistant_content(message: BaseMessage) -> str | list[dict[str, Any]]:
    calls: list[ToolCall] = message.tool_calls
    thinking = _thinking_blocks(message.additional_kwargs.get("thinking_blocks"))
    if isinstance(message.content, str) and not calls and not thinking:
        return message.content
    call_ids = {call["id"] for call in calls}
    blocks = list(thinking)
    for block in _blocks(message.content):
        kind = block.get("type")
        if kind in ("thinking", "redacted_thinking") and thinking:
            continue  # already sent from additional_kwargs
        if kind == "tool_use" and block.get("id") in call_ids:
            continue  # sent from tool_calls below
        if kind == "text" and not block.get("text"):
            continue  # the API rejects empty text blocks
        blocks.append({k: v for k, v in block.items() if k != "index"})
    for call in calls:
        blocks.append(
            {"type": "tool_use", "id": call["id"], "name": call["name"], "input": call["args"]}
        )
    return blocks


def _thinking_blocks(raw: object) -> list[dict[str, Any]]:
    """The thinking blocks a reply carried, as the API wants them back: unmodified, signed."""
    if not isinstance(raw, list):
        return []
    ordered = sorted((b for b in raw if isinstance(b, dict)), key=_block_index)
    blocks: list[dict[str, Any]] = []
    for block in ordered:
        if block.get("type") == "redacted_thinking":
            blocks.append({"type": "redacted_thinking", "data": block.get("data", "")})
        else:
            thinking = {"type": "thinking", "thinking": block.get("thinking", "")}
            blocks.append({**thinking, "signature": block.get("signature", "")})
    return blocks


def _block_index(block: dict[str, Any]) -> int:
    index = block.get("index")
    return index if isinstance(index, int) else 0


def _tool_result(message: BaseMessage) -> dict[str, Any]:
    content = message.content
    result: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": getattr(message, "tool_call_id", None),
        "content": content if isinstance(content, str) else _blocks(content),
    }
    if getattr(message, "status", "success") == "error":
        result["is_error"] = True
    return result


# -- replies in --------------------------------------------------------------------------


def _bad(event: str, field: str, value: object) -> MalformedResponseError:
    """The error for ``field`` of ``event`` holding ``value`` (None: it is missing)."""
    if value is None:
        what = "missing"
    else:
        what = f"{type(value).__name__} {repr(value)[:60]}, where the format has a string"
    return MalformedResponseError(f"{field} is {what}", provider=PROVIDER, event=event, field=field)


def _text(value: object, event: str, field: str) -> str:
    if type(value) is not str:
        raise _bad(event, field, value)
    return value


def usage_metadata(*usages: Any) -> UsageMetadata | None:
    """Token counts from SDK usage objects; later objects override earlier counts.

    ``input_tokens`` counts all input, cached or not, as in the other providers.
    """
    counts: dict[str, int] = {}
    for usage in usages:
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = getattr(usage, name, None)
            if isinstance(value, int):
                counts[name] = value
    if not counts:
        return None
    cache_read = counts.get("cache_read_input_tokens")
    cache_creation = counts.get("cache_creation_input_tokens")
    total_in = counts.get("input_tokens", 0) + (cache_read or 0) + (cache_creation or 0)
    output = counts.get("output_tokens", 0)
    usage_md = UsageMetadata(
        input_tokens=total_in, output_tokens=output, total_tokens=total_in + output
    )
    details = {}
    if cache_read is not None:
        details["cache_read"] = cache_read
    if cache_creation is not None:
        details["cache_creation"] = cache_creation
    if details:
        usage_md["input_token_details"] = details  # type: ignore[typeddict-item]
    return usage_md


def _response_metadata(
    model: str | None, stop_reason: str | None, stop_sequence: str | None
) -> dict[str, Any]:
    return {
        "model_name": model,
        "model_provider": PROVIDER,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
    }


def message_from_response(response: Any) -> AIMessage:
    """A whole (non-streamed) SDK ``Message`` as an :class:`AIMessage`."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    thinking: list[dict[str, Any]] = []
    content = getattr(response, "content", None)
    if not isinstance(content, list):
        raise MalformedResponseError(
            f"content is {'missing' if content is None else repr(content)[:60]}, where the "
            "format has a list of blocks",
            provider=PROVIDER,
            event="response",
            field="content",
        )
    for index, block in enumerate(content):
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(_text(getattr(block, "text", None), "response", f"content[{index}].text"))
        elif kind == "tool_use":
            args = block.input if isinstance(block.input, dict) else {}
            calls.append({"name": block.name, "args": args, "id": block.id, "type": "tool_call"})
        elif kind == "thinking":
            thinking.append(
                {
                    "index": index,
                    "type": "thinking",
                    "thinking": block.thinking,
                    "signature": block.signature,
                }
            )
        elif kind == "redacted_thinking":
            thinking.append({"index": index, "type": "redacted_thinking", "data": block.data})
    extra: dict[str, Any] = {}
    if thinking:
        extra["thinking_blocks"] = thinking
        reasoning = "".join(b.get("thinking", "") for b in thinking)
        if reasoning:
            extra["reasoning_content"] = reasoning
    return AIMessage(
        "".join(texts),
        id=response.id,
        additional_kwargs=extra,
        response_metadata=_response_metadata(
            response.model, response.stop_reason, response.stop_sequence
        ),
        tool_calls=calls,
        usage_metadata=usage_metadata(response.usage),
    )


class AnthropicStreamTranslator:
    """Turns one stream's SDK events into chunks; feed events in order, then call :meth:`done`.

    Every chunk carries the message id from ``message_start``. Events of unknown type (the API
    may add some within a version) and pings are ignored.
    """

    def __init__(self) -> None:
        self.message_id: str | None = None
        self.model: str | None = None
        self.finished = False
        self._usages: list[Any] = []
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        self._tool_blocks: set[int] = set()  # server tools stream arguments too: not ours
        self._handlers: dict[str, Callable[[Any], AIMessageChunk | None]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
        }

    def feed(self, event: Any) -> AIMessageChunk | None:
        handler = self._handlers.get(getattr(event, "type", ""))
        return None if handler is None else handler(event)

    def _chunk(self, content: str = "", **fields: Any) -> AIMessageChunk:
        return AIMessageChunk(content, id=self.message_id, **fields)

    def _message_start(self, event: Any) -> None:
        message = event.message
        if message is None:
            raise _bad("message_start", "message", None)
        self.message_id = message.id
        self.model = message.model
        if getattr(message, "usage", None) is not None:
            self._usages.append(message.usage)
        return None

    def _block_start(self, event: Any) -> AIMessageChunk | None:
        block, index = event.content_block, event.index
        if block is None:
            raise _bad("content_block_start", "content_block", None)
        kind = getattr(block, "type", None)
        if kind == "text":
            text = _text(block.text, "content_block_start", "content_block.text")
            return self._chunk(text) if text else None
        if kind == "tool_use":
            self._tool_blocks.add(index)
            args = block.input if isinstance(block.input, dict) else {}
            piece = json.dumps(args) if args else ""
            start = {"name": block.name, "args": piece, "id": block.id, "index": index}
            call: ToolCall = {"name": block.name, "args": args, "id": block.id, "type": "tool_call"}
            return self._chunk(
                tool_call_chunks=[{**start, "type": "tool_call_chunk"}], tool_calls=[call]
            )
        if kind == "thinking" and block.thinking:
            return self._thinking(index, block.thinking)
        if kind == "redacted_thinking":
            redacted = {"index": index, "type": "redacted_thinking", "data": block.data}
            return self._chunk(additional_kwargs={"thinking_blocks": [redacted]})
        return None

    def _thinking(self, index: int, piece: str) -> AIMessageChunk:
        block = {"index": index, "type": "thinking", "thinking": piece}
        return self._chunk(
            additional_kwargs={"reasoning_content": piece, "thinking_blocks": [block]}
        )

    def _block_delta(self, event: Any) -> AIMessageChunk | None:
        delta, index = event.delta, event.index
        if delta is None:
            raise _bad("content_block_delta", "delta", None)
        kind = getattr(delta, "type", None)
        if kind == "text_delta":
            text = delta.text
            if type(text) is not str:
                raise _bad("content_block_delta", "delta.text", text)
            return self._chunk(text) if text else None
        if kind == "input_json_delta":
            _text(delta.partial_json, "content_block_delta", "delta.partial_json")
            if not delta.partial_json or index not in self._tool_blocks:
                return None
            piece = {"name": None, "args": delta.partial_json, "id": None, "index": index}
            return self._chunk(
                tool_call_chunks=[{**piece, "type": "tool_call_chunk"}], tool_calls=[]
            )
        if kind == "thinking_delta":
            thought = _text(delta.thinking, "content_block_delta", "delta.thinking")
            return self._thinking(index, thought) if thought else None
        if kind == "signature_delta":
            signature = _text(delta.signature, "content_block_delta", "delta.signature")
            block = {"index": index, "type": "thinking", "signature": signature}
            return self._chunk(additional_kwargs={"thinking_blocks": [block]})
        return None

    def _message_delta(self, event: Any) -> None:
        if event.delta is None:
            raise _bad("message_delta", "delta", None)
        self._stop_reason = getattr(event.delta, "stop_reason", None)
        self._stop_sequence = getattr(event.delta, "stop_sequence", None)
        if getattr(event, "usage", None) is not None:
            self._usages.append(event.usage)
        return None

    def _message_stop(self, event: Any) -> AIMessageChunk:
        self.finished = True
        return self._chunk(
            response_metadata=_response_metadata(
                self.model, self._stop_reason, self._stop_sequence
            ),
            usage_metadata=usage_metadata(*self._usages),
        )
