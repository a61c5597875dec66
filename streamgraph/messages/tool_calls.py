"""Tool calls as an AI message asks for them, and their streamed pieces.

A tool call is a plain dict (a ``TypedDict``) so it can travel through JSON untouched::

    >>> tool_call(name="search", args={"q": "weather"}, id="call_1")
    {'name': 'search', 'args': {'q': 'weather'}, 'id': 'call_1', 'type': 'tool_call'}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from streamgraph._compat import NotRequired, TypedDict
from streamgraph.errors import InvalidMessageError
from streamgraph.messages.checks import checked_invalid_tool_call, checked_tool_call, shown

__all__ = [
    "InvalidToolCall",
    "ToolCall",
    "ToolCallChunk",
    "invalid_tool_call",
    "tool_call",
    "tool_call_chunk",
]


class ToolCall(TypedDict):
    """A complete request to run one tool: its name, parsed arguments and call id."""

    name: str
    args: dict[str, Any]
    id: str | None
    type: NotRequired[Literal["tool_call"]]


class ToolCallChunk(TypedDict):
    """One streamed piece of a tool call; ``args`` is a fragment of JSON text.

    Pieces with the same ``index`` belong to the same call and are joined when chunks are added.
    """

    name: str | None
    args: str | None
    id: str | None
    index: int | None
    type: NotRequired[Literal["tool_call_chunk"]]


class InvalidToolCall(TypedDict):
    """A tool call whose arguments could not be parsed; ``error`` says why when known."""

    name: str | None
    args: str | None
    id: str | None
    error: str | None
    type: NotRequired[Literal["invalid_tool_call"]]


def tool_call(*, name: str, args: dict[str, Any], id: str | None) -> ToolCall:
    """Build a :class:`ToolCall`.

    >>> tool_call(name="add", args={"a": 1}, id="c1")["type"]
    'tool_call'
    """
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


def tool_call_chunk(
    *,
    name: str | None = None,
    args: str | None = None,
    id: str | None = None,
    index: int | None = None,
) -> ToolCallChunk:
    """Build a :class:`ToolCallChunk`.

    >>> tool_call_chunk(args='{"a": ', index=0)["args"]
    '{"a": '
    """
    return {"name": name, "args": args, "id": id, "index": index, "type": "tool_call_chunk"}


def invalid_tool_call(
    *,
    name: str | None = None,
    args: str | None = None,
    id: str | None = None,
    error: str | None = None,
) -> InvalidToolCall:
    """Build an :class:`InvalidToolCall`.

    >>> invalid_tool_call(name="add", args="{oops", id="c1", error="bad JSON")["error"]
    'bad JSON'
    """
    return {"name": name, "args": args, "id": id, "error": error, "type": "invalid_tool_call"}


def normalize_tool_calls(calls: Iterable[ToolCall]) -> list[ToolCall]:
    """Return ``calls`` as a list whose items all carry ``id`` and ``type``.

    Raises :class:`~streamgraph.errors.InvalidMessageError` for a call that is not a dict with
    a str ``name``, dict ``args`` and a str or ``None`` ``id``.
    """
    calls = _as_list(calls, "tool_calls")
    rebuild = False
    for position, call in enumerate(calls):
        checked_tool_call(call, position)
        if "type" not in call or "id" not in call or call.get("args").__class__ is not dict:
            rebuild = True
    if not rebuild:
        return calls
    return [
        tool_call(name=call["name"], args=dict(call.get("args", {})), id=call.get("id"))
        for call in calls
    ]


def _as_list(items: Any, field: str) -> list[Any]:
    if (
        isinstance(items, (str, bytes))
        or not isinstance(items, Iterable)
        or isinstance(items, dict)
    ):
        raise InvalidMessageError(f"{field} must be a list of dicts, got {shown(items)}")
    return list(items)


def normalize_tool_call_chunks(chunks: Iterable[ToolCallChunk]) -> list[ToolCallChunk]:
    """Return ``chunks`` as a list whose items carry every key of :class:`ToolCallChunk`."""
    try:
        chunks = list(chunks)
        for chunk in chunks:
            if chunk.__class__ is not dict or len(chunk) < 5 or "type" not in chunk:
                break
        else:
            return chunks
        return [
            tool_call_chunk(
                name=chunk.get("name"),
                args=chunk.get("args"),
                id=chunk.get("id"),
                index=chunk.get("index"),
            )
            for chunk in chunks
        ]
    except (TypeError, AttributeError) as exc:  # not a list of dicts
        raise InvalidMessageError(
            "tool_call_chunks must be a list of dicts such as {'name': 'f', 'args': '{\"x\": ', "
            f"'id': 'call_1', 'index': 0}}, got {shown(chunks)}"
        ) from exc


def normalize_invalid_tool_calls(calls: Iterable[InvalidToolCall]) -> list[InvalidToolCall]:
    """Return ``calls`` as a list whose items carry every key of :class:`InvalidToolCall`."""
    calls = _as_list(calls, "invalid_tool_calls")
    for position, call in enumerate(calls):
        checked_invalid_tool_call(call, position)
    for call in calls:
        if len(call) < 5 or "type" not in call:
            break
    else:
        return calls
    return [
        invalid_tool_call(
            name=call.get("name"),
            args=call.get("args"),
            id=call.get("id"),
            error=call.get("error"),
        )
        for call in calls
    ]
