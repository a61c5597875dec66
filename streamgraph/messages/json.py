"""Messages as plain, JSON-ready dicts, and back.

The dict has the flat shape a LangChain message dumps to and LangGraph's HTTP API sends:
``content``, ``additional_kwargs``, ``response_metadata``, ``type``, ``name``, ``id`` and the
fields of the message's own kind.

>>> from streamgraph.messages import HumanMessage
>>> message_to_dict(HumanMessage("hi", id="1"))["type"]
'human'
>>> message_from_dict(message_to_dict(HumanMessage("hi"))) == HumanMessage("hi")
True
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from streamgraph.errors import MessageCoercionError
from streamgraph.messages.ai import AIMessage, AIMessageChunk
from streamgraph.messages.base import BaseMessage, MessageContent
from streamgraph.messages.kinds import (
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)

__all__ = ["message_from_dict", "message_to_dict", "messages_from_dict", "messages_to_dict"]

MESSAGE_CLASSES: dict[str, builtins.type[BaseMessage]] = {
    "human": HumanMessage,
    "HumanMessageChunk": HumanMessage,
    "ai": AIMessage,
    "AIMessageChunk": AIMessageChunk,
    "system": SystemMessage,
    "SystemMessageChunk": SystemMessage,
    "tool": ToolMessage,
    "ToolMessageChunk": ToolMessage,
    "chat": ChatMessage,
    "ChatMessageChunk": ChatMessage,
    "remove": RemoveMessage,
}
"""Message class for each ``type`` a dumped message may carry."""


def message_to_dict(message: BaseMessage) -> dict[str, Any]:
    """The message as a new dict of plain values (nested dicts and lists are copied).

    >>> from streamgraph.messages import ToolMessage
    >>> sorted(message_to_dict(ToolMessage("4", tool_call_id="c1")))[:4]
    ['additional_kwargs', 'artifact', 'content', 'id']
    """
    extra, metadata = message._additional_kwargs, message._response_metadata
    out: dict[str, Any] = {
        "content": _copy(message.content),
        "additional_kwargs": {} if extra is None else _copy(extra),
        "response_metadata": {} if metadata is None else _copy(metadata),
        "type": message.type,
        "name": message.name,
        "id": message.id,
    }
    for field, slot, empty in message._layout[len(BaseMessage._fields) :]:
        value = getattr(message, slot)  # None in a container's private slot: not made yet
        out[field] = empty() if value is None and empty is not None else _copy(value)
    return out


def messages_to_dict(messages: Iterable[BaseMessage]) -> list[dict[str, Any]]:
    """:func:`message_to_dict` for each message."""
    return [message_to_dict(m) for m in messages]


def message_from_dict(data: Mapping[str, Any]) -> BaseMessage:
    """Rebuild a message from :func:`message_to_dict`'s shape, dispatching on ``"type"``.

    Chunk types of other kinds (``"HumanMessageChunk"``...) give the whole message, and
    the ``{"type": ..., "data": {...}}`` nesting of LangChain's own ``messages_to_dict`` is
    accepted too.

    >>> message_from_dict({"type": "ai", "content": "hello"}).text
    'hello'
    """
    if not isinstance(data, Mapping):
        raise MessageCoercionError(
            f"expected a dict describing a message, got {type(data).__name__}"
        )
    inner = data.get("data")
    if isinstance(inner, Mapping) and set(data) <= {"type", "data"}:
        data = {**inner, "type": data.get("type")}
    kind = data.get("type")
    cls = MESSAGE_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None or not isinstance(kind, str):
        known = ", ".join(repr(k) for k in MESSAGE_CLASSES)
        raise MessageCoercionError(f"unknown message type {kind!r}; expected one of {known}")
    common: dict[str, Any] = {
        "name": data.get("name"),
        "additional_kwargs": _copy_or_none(data.get("additional_kwargs")),
        "response_metadata": _copy_or_none(data.get("response_metadata")),
    }
    if cls is RemoveMessage:
        return RemoveMessage(_required(data, "id", kind), **common)
    content = _content(data, kind)
    if cls is ToolMessage:
        status: Literal["success", "error"] = data.get("status") or "success"
        if status not in ("success", "error"):
            raise MessageCoercionError(
                f"tool message status must be 'success' or 'error', not {status!r}"
            )
        return ToolMessage(
            content,
            tool_call_id=_required(data, "tool_call_id", kind),
            status=status,
            artifact=data.get("artifact"),
            id=data.get("id"),
            **common,
        )
    if cls is ChatMessage:
        return ChatMessage(content, role=_required(data, "role", kind), id=data.get("id"), **common)
    if issubclass(cls, AIMessage):
        common["tool_calls"] = _copy_or_none(data.get("tool_calls"))
        common["invalid_tool_calls"] = _copy_or_none(data.get("invalid_tool_calls"))
        common["usage_metadata"] = _copy(data.get("usage_metadata"))
        if cls is AIMessageChunk:
            common["tool_call_chunks"] = _copy_or_none(data.get("tool_call_chunks"))
    return cls(content, id=data.get("id"), **common)


def messages_from_dict(data: Iterable[Mapping[str, Any]]) -> list[BaseMessage]:
    """:func:`message_from_dict` for each dict."""
    return [message_from_dict(d) for d in data]


def _content(data: Mapping[str, Any], kind: str) -> MessageContent:
    content = data.get("content")
    if content is None:
        return ""
    if isinstance(content, (str, list)):
        result: MessageContent = _copy(content)
        return result
    raise MessageCoercionError(
        f"content of a {kind!r} message must be a str or a list, not {type(content).__name__}"
    )


def _required(data: Mapping[str, Any], key: str, kind: str) -> Any:
    value = data.get(key)
    if value is None:
        raise MessageCoercionError(
            f"a {kind!r} message needs {key!r}; got keys {sorted(map(str, data))}"
        )
    return value


def _copy_or_none(value: Any) -> Any:
    """``_copy(value)``, or ``None`` (an empty container made when first read) when it is empty."""
    return _copy(value) if value else None


def _copy(value: Any) -> Any:
    """Copy nested dicts and lists so the result shares no container with ``value``."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
