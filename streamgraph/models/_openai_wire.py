"""OpenAI Chat Completions wire format: messages out, stream chunks and whole replies in.

Pure functions and one stateful translator, no client. :class:`OpenAIStreamTranslator` follows
the streaming contract: the first fragment of each tool call index starts the call (with
``tool_calls`` set), later fragments carry only argument pieces; usage and the finish reason
come once, on the last chunk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from streamgraph.errors import MalformedResponseError
from streamgraph.messages.ai import AIMessage, AIMessageChunk, UsageMetadata
from streamgraph.messages.base import BaseMessage
from streamgraph.messages.partial_json import parse_partial_json
from streamgraph.messages.tool_calls import ToolCall, ToolCallChunk

__all__ = [
    "OpenAIStreamTranslator",
    "message_from_completion",
    "to_openai_messages",
    "usage_metadata",
]

PROVIDER = "openai"
# OpenAI-compatible servers (llama.cpp, vLLM, DeepSeek, ...) stream reasoning under these keys.
_REASONING_KEYS = ("reasoning_content", "reasoning")


# -- messages out ------------------------------------------------------------------------


def to_openai_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    return [_message(message) for message in messages]


def _message(message: BaseMessage) -> dict[str, Any]:
    if isinstance(message, AIMessage):
        return _assistant(message)
    kind = message.type
    if kind == "tool":
        content = message.content
        return {
            "role": "tool",
            "tool_call_id": getattr(message, "tool_call_id", None),
            "content": content if isinstance(content, str) else _parts(content),
        }
    role = {"human": "user", "system": "system"}.get(kind)
    if kind == "chat":
        role = str(getattr(message, "role", "user"))
    out: dict[str, Any] = {"role": role or "user", "content": _content(message.content)}
    if message.name:
        out["name"] = message.name
    return out


def _assistant(message: AIMessage) -> dict[str, Any]:
    text = message.text
    out: dict[str, Any] = {"role": "assistant", "content": text or None}
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
            }
            for call in message.tool_calls
        ]
    elif not text:
        out["content"] = ""
    if message.name:
        out["name"] = message.name
    return out


def _content(content: str | Sequence[Any]) -> str | list[dict[str, Any]]:
    return content if isinstance(content, str) else _parts(content)


def _parts(content: Sequence[Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, str):
            parts.append({"type": "text", "text": item})
        elif isinstance(item, dict):
            parts.append(_part(item))
    return parts


def _part(block: dict[str, Any]) -> dict[str, Any]:
    if block.get("type") == "image" and "image_url" not in block:  # provider-neutral image
        if "base64" in block:
            url = f"data:{block.get('mime_type', 'image/png')};base64,{block['base64']}"
            return {"type": "image_url", "image_url": {"url": url}}
        if "url" in block:
            return {"type": "image_url", "image_url": {"url": block["url"]}}
    return block


# -- replies in --------------------------------------------------------------------------


def usage_metadata(usage: Any) -> UsageMetadata | None:
    if usage is None:
        return None
    prompt = getattr(usage, "prompt_tokens", None) or 0
    completion = getattr(usage, "completion_tokens", None) or 0
    total = getattr(usage, "total_tokens", None) or prompt + completion
    result = UsageMetadata(input_tokens=prompt, output_tokens=completion, total_tokens=total)
    cached = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", None)
    if isinstance(cached, int):
        result["input_token_details"] = {"cache_read": cached}
    reasoning = getattr(getattr(usage, "completion_tokens_details", None), "reasoning_tokens", None)
    if isinstance(reasoning, int):
        result["output_token_details"] = {"reasoning": reasoning}
    return result


def _response_metadata(
    model: str | None, finish_reason: str | None, fingerprint: str | None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "model_name": model,
        "model_provider": PROVIDER,
        "finish_reason": finish_reason,
    }
    if fingerprint:
        metadata["system_fingerprint"] = fingerprint
    return metadata


def _extra(obj: Any, key: str) -> Any:
    """A field the SDK's type does not declare (kept by the SDK in ``model_extra``)."""
    extra = getattr(obj, "model_extra", None)
    return extra.get(key) if isinstance(extra, dict) else None


def _bad(event: str, field: str, value: object, wanted: str) -> MalformedResponseError:
    """The error for ``field`` of ``event`` holding ``value`` (None: it is missing)."""
    what = "missing" if value is None else f"{type(value).__name__} {repr(value)[:60]}"
    return MalformedResponseError(
        f"{field} is {what}, where the format has {wanted}",
        provider=PROVIDER,
        event=event,
        field=field,
    )


def message_from_completion(completion: Any) -> AIMessage:
    """A whole (non-streamed) SDK ``ChatCompletion`` as an :class:`AIMessage`."""
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise _bad("response", "choices", choices, "a list of one choice or more")
    choice = choices[0]
    message = getattr(choice, "message", None)
    if message is None:
        raise _bad("response", "choices[0].message", None, "an object")
    if message.content is not None and type(message.content) is not str:
        raise _bad("response", "choices[0].message.content", message.content, "a string")
    calls: list[ToolCall] = []
    for call in message.tool_calls or []:
        function = getattr(call, "function", None)
        if function is None:
            continue
        args = parse_partial_json(function.arguments or "")
        args = args if isinstance(args, dict) else {}
        calls.append({"name": function.name, "args": args, "id": call.id, "type": "tool_call"})
    extra: dict[str, Any] = {}
    if message.refusal:
        extra["refusal"] = message.refusal
    for key in _REASONING_KEYS:
        reasoning = _extra(message, key)
        if isinstance(reasoning, str) and reasoning:
            extra["reasoning_content"] = reasoning
            break
    return AIMessage(
        message.content or "",
        id=completion.id,
        additional_kwargs=extra,
        response_metadata=_response_metadata(
            completion.model, choice.finish_reason, completion.system_fingerprint
        ),
        tool_calls=calls,
        usage_metadata=usage_metadata(completion.usage),
    )


class OpenAIStreamTranslator:
    """Turns one stream's SDK chunks into message chunks; feed them in order, then :meth:`end`.

    A provider chunk may carry several things at once (text and a tool call fragment); each
    becomes its own message chunk so that a chunk starting a tool call has empty content.
    """

    def __init__(self) -> None:
        self.message_id: str | None = None
        self.model: str | None = None
        self.finish_reason: str | None = None
        self._fingerprint: str | None = None
        self._usage: Any = None
        self._started: set[int] = set()

    def feed(self, chunk: Any) -> list[AIMessageChunk]:
        if self.message_id is None:
            self.message_id = getattr(chunk, "id", None) or None
        self.model = getattr(chunk, "model", None) or self.model
        self._fingerprint = getattr(chunk, "system_fingerprint", None) or self._fingerprint
        if getattr(chunk, "usage", None) is not None:
            self._usage = chunk.usage
        out: list[AIMessageChunk] = []
        choices = getattr(chunk, "choices", None)
        if type(choices) is not list:
            raise _bad("chunk", "choices", choices, "a list")
        for choice in choices:
            if getattr(choice, "index", 0) != 0:
                continue  # n > 1 is not supported: only the first choice is streamed
            self._delta(getattr(choice, "delta", None), out)
            finish = getattr(choice, "finish_reason", None)
            if finish:
                self.finish_reason = finish
        return out

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def end(self) -> AIMessageChunk:
        """The last chunk: the finish reason, the model and the usage, once."""
        return AIMessageChunk(
            "",
            id=self.message_id,
            response_metadata=_response_metadata(self.model, self.finish_reason, self._fingerprint),
            usage_metadata=usage_metadata(self._usage),
        )

    def _chunk(self, content: str = "", **fields: Any) -> AIMessageChunk:
        return AIMessageChunk(content, id=self.message_id, **fields)

    def _delta(self, delta: Any, out: list[AIMessageChunk]) -> None:
        if delta is None:
            return
        for key in _REASONING_KEYS:
            piece = _extra(delta, key)
            if isinstance(piece, str) and piece:
                out.append(self._chunk(additional_kwargs={"reasoning_content": piece}))
                break
        content = getattr(delta, "content", None)
        if content:
            if type(content) is not str:
                raise _bad("chunk", "choices[0].delta.content", content, "a string")
            out.append(self._chunk(content))
        refusal = getattr(delta, "refusal", None)
        if refusal:
            out.append(self._chunk(additional_kwargs={"refusal": refusal}))
        fragments = getattr(delta, "tool_calls", None)
        if fragments:
            out.extend(self._tool_calls(fragments))

    def _tool_calls(self, fragments: Sequence[Any]) -> list[AIMessageChunk]:
        chunks: list[AIMessageChunk] = []
        for fragment in fragments:
            index = getattr(fragment, "index", 0)
            function = getattr(fragment, "function", None)
            args = getattr(function, "arguments", None) or ""
            if type(args) is not str:
                raise _bad("chunk", "delta.tool_calls[].function.arguments", args, "a string")
            call_id = getattr(fragment, "id", None)
            if index not in self._started:
                self._started.add(index)
                name = getattr(function, "name", None)
                piece: ToolCallChunk = {
                    "name": name,
                    "args": args,
                    "id": call_id,
                    "index": index,
                    "type": "tool_call_chunk",
                }
                parsed = parse_partial_json(args)
                call: ToolCall = {
                    "name": name or "",
                    "args": parsed if isinstance(parsed, dict) else {},
                    "id": call_id,
                    "type": "tool_call",
                }
                chunks.append(self._chunk(tool_call_chunks=[piece], tool_calls=[call]))
            elif args:
                later: ToolCallChunk = {
                    "name": None,
                    "args": args,
                    "id": None,
                    "index": index,
                    "type": "tool_call_chunk",
                }
                chunks.append(self._chunk(tool_call_chunks=[later], tool_calls=[]))
        return chunks
