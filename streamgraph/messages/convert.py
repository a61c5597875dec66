"""Turning message-like values into messages.

Accepted: a message (returned as the same object), a string (a human message), a
``(role, content)`` pair, an OpenAI-style dict with ``"role"``, a dumped message with
``"type"``, and a ``langchain_core`` message.

>>> convert_to_messages([("system", "Be brief."), "hi", {"role": "assistant", "content": "yo"}])
[SystemMessage(content='Be brief.'), HumanMessage(content='hi'), AIMessage(content='yo')]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

from streamgraph.errors import InvalidMessageError, MessageCoercionError
from streamgraph.messages.ai import AIMessage, AIMessageChunk
from streamgraph.messages.base import BaseMessage, MessageContent
from streamgraph.messages.checks import shown
from streamgraph.messages.json import message_from_dict
from streamgraph.messages.kinds import (
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from streamgraph.messages.langchain import from_langchain, is_langchain_message
from streamgraph.messages.tool_calls import InvalidToolCall, ToolCall, invalid_tool_call, tool_call

__all__ = [
    "AnyMessage",
    "MessageLikeRepresentation",
    "coerce_to_message",
    "convert_to_messages",
]

AnyMessage: TypeAlias = (
    AIMessage
    | AIMessageChunk
    | HumanMessage
    | SystemMessage
    | ToolMessage
    | ChatMessage
    | RemoveMessage
)
"""Any of the concrete message classes."""

MessageLikeRepresentation: TypeAlias = (
    BaseMessage | str | tuple[str, MessageContent] | list[str] | dict[str, Any]
)
"""Anything :func:`coerce_to_message` accepts (``langchain_core`` messages too)."""

_HUMAN_ROLES = ("user", "human")
_AI_ROLES = ("ai", "assistant")
_SYSTEM_ROLES = ("system", "developer")
_ROLES = (*_HUMAN_ROLES, *_AI_ROLES, *_SYSTEM_ROLES, "tool")
_ACCEPTED = (
    "a message object, a str (a human message), a (role, content) tuple, a dict with 'role' "
    "and 'content' (OpenAI style), a dict with 'type' (a dumped message) or a langchain_core "
    "message"
)
# Keys of an OpenAI-style dict that map onto message fields; others go to additional_kwargs.
_ROLE_DICT_KEYS = frozenset(
    {
        "role",
        "content",
        "name",
        "id",
        "tool_calls",
        "tool_call_id",
        "additional_kwargs",
        "response_metadata",
        "invalid_tool_calls",
        "usage_metadata",
        "status",
        "artifact",
    }
)


def coerce_to_message(value: Any) -> BaseMessage:
    """Turn one message-like value into a message.

    >>> coerce_to_message(("assistant", "Hello!"))
    AIMessage(content='Hello!')
    >>> coerce_to_message({"role": "tool", "content": "4", "tool_call_id": "c1"}).tool_call_id
    'c1'
    """
    if isinstance(value, BaseMessage):
        return value
    if isinstance(value, str):
        return HumanMessage(value)
    if isinstance(value, (tuple, list)):
        if len(value) == 2 and isinstance(value[0], str):
            return _from_pair(value[0], value[1])
        raise MessageCoercionError(
            f"a {type(value).__name__} message must be a (role, content) pair, got "
            f"{len(value)} items; accepted forms: {_ACCEPTED}"
        )
    if isinstance(value, Mapping):
        if "role" in value:
            return _from_role_dict(value)
        if "type" in value:
            return message_from_dict(value)
        raise MessageCoercionError(
            f"a dict message needs a 'role' (OpenAI style) or a 'type' (a dumped message); "
            f"got keys {sorted(map(str, value))}"
        )
    if is_langchain_message(value):
        return from_langchain(value)
    raise MessageCoercionError(
        f"cannot turn a {type(value).__name__} into a message; accepted forms: {_ACCEPTED}"
    )


def convert_to_messages(value: Any) -> list[BaseMessage]:
    """Turn a list of message-likes, or a single one, into a list of messages.

    A list is always a sequence of messages; a tuple is one ``(role, content)`` pair when its
    first item is a string, and a sequence of messages otherwise.

    >>> convert_to_messages("hi")
    [HumanMessage(content='hi')]
    """
    if isinstance(value, list) or (
        isinstance(value, tuple) and not (value and isinstance(value[0], str))
    ):
        return [coerce_to_message(v) for v in value]
    return [coerce_to_message(value)]


def _from_pair(role: str, content: Any) -> BaseMessage:
    if role == "tool":
        raise MessageCoercionError(
            "a ('tool', content) pair has no tool_call_id; use a dict "
            "{'role': 'tool', 'content': ..., 'tool_call_id': ...} or a ToolMessage"
        )
    return _by_role(role, _checked_content(content, role), {})


def _from_role_dict(data: Mapping[str, Any]) -> BaseMessage:
    role = data["role"]
    if not isinstance(role, str):
        raise MessageCoercionError(f"a message role must be a str, not {type(role).__name__}")
    extra = {k: v for k, v in data.items() if k not in _ROLE_DICT_KEYS and v is not None}
    given_extra, given_metadata = data.get("additional_kwargs"), data.get("response_metadata")
    for field, value in (("additional_kwargs", given_extra), ("response_metadata", given_metadata)):
        if value is not None and not isinstance(value, Mapping):
            raise InvalidMessageError(
                f"a message dict's {field!r} must be a dict, got {shown(value)}"
            )
    fields: dict[str, Any] = {
        "id": data.get("id"),
        "name": data.get("name"),
        # None when empty: the message makes the empty dict when it is first read
        "additional_kwargs": {**(given_extra or {}), **extra} or None,
        "response_metadata": dict(given_metadata or {}) or None,
    }
    if role == "tool":
        call_id = data.get("tool_call_id")
        if call_id is None:
            raise MessageCoercionError("a dict with role 'tool' needs a 'tool_call_id'")
        status: Literal["success", "error"] = data.get("status") or "success"
        if status not in ("success", "error"):
            raise MessageCoercionError(
                f"tool message status must be 'success' or 'error', not {status!r}"
            )
        content = data.get("content")
        return ToolMessage(
            "" if content is None else content,
            tool_call_id=call_id,
            status=status,
            artifact=data.get("artifact"),
            **fields,
        )
    content = _checked_content(data.get("content"), role)
    if role in _AI_ROLES:
        calls, invalid = _read_tool_calls(data.get("tool_calls") or [])
        fields["tool_calls"] = calls
        given_invalid = data.get("invalid_tool_calls") or []
        if not isinstance(given_invalid, (list, tuple)):
            raise InvalidMessageError(
                f"a message dict's 'invalid_tool_calls' must be a list, got {shown(given_invalid)}"
            )
        fields["invalid_tool_calls"] = [*given_invalid, *invalid]
        fields["usage_metadata"] = data.get("usage_metadata")
    return _by_role(role, content, fields)


def _by_role(role: str, content: MessageContent, fields: dict[str, Any]) -> BaseMessage:
    if role in _HUMAN_ROLES:
        return HumanMessage(content, **fields)
    if role in _AI_ROLES:
        return AIMessage(content, **fields)
    if role in _SYSTEM_ROLES:
        return SystemMessage(content, **fields)
    accepted = ", ".join(repr(r) for r in _ROLES)
    raise MessageCoercionError(f"unknown message role {role!r}; accepted roles: {accepted}")


def _checked_content(content: Any, role: str) -> MessageContent:
    if content is None:
        return ""
    if isinstance(content, (str, list)):
        return content
    raise MessageCoercionError(
        f"content of a {role!r} message must be a str or a list, not {type(content).__name__}"
    )


def _read_tool_calls(raw: Sequence[Any]) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Read tool calls given either as ``{"name", "args", "id"}`` or in OpenAI's wire form."""
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    if not isinstance(raw, (list, tuple)):
        raise InvalidMessageError(f"a message dict's 'tool_calls' must be a list, got {shown(raw)}")
    for item in raw:
        if not isinstance(item, Mapping):
            raise MessageCoercionError(f"a tool call must be a dict, not {type(item).__name__}")
        function = item.get("function")
        if not isinstance(function, Mapping):
            if not isinstance(item.get("name"), str):
                raise MessageCoercionError(
                    f"a tool call needs a 'name'; got keys {sorted(map(str, item))}"
                )
            calls.append(
                tool_call(name=item["name"], args=dict(item.get("args") or {}), id=item.get("id"))
            )
            continue
        name, arguments, call_id = function.get("name"), function.get("arguments"), item.get("id")
        if isinstance(arguments, Mapping):
            calls.append(tool_call(name=name or "", args=dict(arguments), id=call_id))
            continue
        try:
            args = json.loads(arguments, strict=False) if arguments else {}
        except (TypeError, ValueError) as exc:
            error = f"tool call arguments are not valid JSON: {exc}"
            invalid.append(invalid_tool_call(name=name, args=arguments, id=call_id, error=error))
            continue
        if isinstance(args, dict):
            calls.append(tool_call(name=name or "", args=args, id=call_id))
        else:
            error = f"tool call arguments must be a JSON object, not {type(args).__name__}"
            invalid.append(invalid_tool_call(name=name, args=arguments, id=call_id, error=error))
    return calls, invalid
