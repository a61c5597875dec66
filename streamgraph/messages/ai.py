"""Messages from the model: whole replies and the chunks they stream in.

>>> first = AIMessageChunk("Hel", id="run-1")
>>> (first + AIMessageChunk("lo", id="run-1")).content
'Hello'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from streamgraph._compat import NotRequired, TypedDict
from streamgraph.errors import InvalidMessageError
from streamgraph.messages.base import BaseMessage, BaseMessageChunk, MessageContent
from streamgraph.messages.checks import checked_fields, shown
from streamgraph.messages.tool_calls import (
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    invalid_tool_call,
    normalize_invalid_tool_calls,
    normalize_tool_call_chunks,
    normalize_tool_calls,
    tool_call,
)

__all__ = [
    "AIMessage",
    "AIMessageChunk",
    "InputTokenDetails",
    "OutputTokenDetails",
    "UsageMetadata",
    "message_chunk_to_message",
]


class InputTokenDetails(TypedDict, total=False):
    """How the input tokens break down; every key is optional."""

    audio: int
    cache_read: int
    cache_creation: int


class OutputTokenDetails(TypedDict, total=False):
    """How the output tokens break down; every key is optional."""

    audio: int
    reasoning: int


class UsageMetadata(TypedDict):
    """Token counts for one model call.

    >>> UsageMetadata(input_tokens=10, output_tokens=2, total_tokens=12)["total_tokens"]
    12
    """

    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_token_details: NotRequired[InputTokenDetails]
    output_token_details: NotRequired[OutputTokenDetails]


class AIMessage(BaseMessage):
    """A whole reply from the model, with the tool calls it asks for.

    >>> msg = AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1}, "id": "c1"}])
    >>> msg.tool_calls[0]["type"]
    'tool_call'
    """

    __slots__ = ("_invalid_tool_calls", "_tool_calls", "usage_metadata")
    type: ClassVar[str] = "ai"
    _extra_fields: ClassVar[tuple[str, ...]] = (
        "tool_calls",
        "invalid_tool_calls",
        "usage_metadata",
    )

    _tool_calls: list[ToolCall] | None
    _invalid_tool_calls: list[InvalidToolCall] | None
    usage_metadata: UsageMetadata | None

    def __init__(
        self,
        content: MessageContent = "",
        *,
        id: str | None = None,
        name: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
        tool_calls: Sequence[ToolCall] | None = None,
        invalid_tool_calls: Sequence[InvalidToolCall] | None = None,
        usage_metadata: UsageMetadata | None = None,
    ) -> None:
        super().__init__(
            content,
            id=id,
            name=name,
            additional_kwargs=additional_kwargs,
            response_metadata=response_metadata,
        )
        self._tool_calls = None if tool_calls is None else normalize_tool_calls(tool_calls) or None
        self._invalid_tool_calls = (
            None
            if invalid_tool_calls is None
            else normalize_invalid_tool_calls(invalid_tool_calls) or None
        )
        if usage_metadata is not None and not isinstance(usage_metadata, dict):
            raise _bad_usage(usage_metadata)
        self.usage_metadata = usage_metadata

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls the model asks for; an empty list, made on first read, when none."""
        value = self._tool_calls
        if value is None:
            value = self._tool_calls = []
        return value

    @tool_calls.setter
    def tool_calls(self, value: list[ToolCall]) -> None:
        self._tool_calls = value

    @property
    def invalid_tool_calls(self) -> list[InvalidToolCall]:
        """Tool calls whose arguments could not be parsed; an empty list, made on first read,
        when none."""
        value = self._invalid_tool_calls
        if value is None:
            value = self._invalid_tool_calls = []
        return value

    @invalid_tool_calls.setter
    def invalid_tool_calls(self, value: list[InvalidToolCall]) -> None:
        self._invalid_tool_calls = value

    def _pretty_extra(self) -> list[str]:
        lines: list[str] = []
        calls, invalid = self._tool_calls, self._invalid_tool_calls
        if calls:
            lines.append("Tool Calls:")
            for call in calls:
                lines.extend(_pretty_call(call))
        if invalid:
            lines.append("Invalid Tool Calls:")
            for bad in invalid:
                lines.extend(_pretty_call(bad))
        return lines


def _pretty_call(call: Any) -> list[str]:
    """One tool call as ``pretty_repr`` shows it: name and id, error, then each argument."""
    lines = [f"  {call.get('name', 'Tool')} ({call.get('id')})", f" Call ID: {call.get('id')}"]
    if call.get("error"):
        lines.append(f"  Error: {call['error']}")
    lines.append("  Args:")
    args = call.get("args")
    if isinstance(args, str):
        lines.append(f"    {args}")
    elif isinstance(args, dict):
        lines.extend(f"    {key}: {value}" for key, value in args.items())
    return lines


class AIMessageChunk(AIMessage, BaseMessageChunk):
    """One streamed piece of a model reply.

    A chunk is built per token, so construction only stores what it is given: ``tool_calls``
    is whatever the provider set, never worked out from ``tool_call_chunks``. Adding chunks
    (``a + b``, ``a + [b, c]`` or :func:`merge_chunks`) joins the pieces and works out the
    tool calls; :meth:`to_message` turns the result into an :class:`AIMessage`.

    >>> AIMessageChunk("tok", id="run-1").tool_call_chunks
    []
    """

    __slots__ = ("_tool_call_chunks",)
    type: ClassVar[str] = "AIMessageChunk"
    _extra_fields: ClassVar[tuple[str, ...]] = (*AIMessage._extra_fields, "tool_call_chunks")

    _tool_call_chunks: list[ToolCallChunk] | None

    def __init__(
        self,
        content: MessageContent = "",
        *,
        id: str | None = None,
        name: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
        tool_calls: Sequence[ToolCall] | None = None,
        invalid_tool_calls: Sequence[InvalidToolCall] | None = None,
        usage_metadata: UsageMetadata | None = None,
        tool_call_chunks: Sequence[ToolCallChunk] | None = None,
    ) -> None:
        # Written out in full rather than calling AIMessage.__init__: this runs once per token.
        # Containers left out stay None until read, so a chunk with only text is one object.
        # Only content and id are checked here: two identity tests for a token's chunk (text
        # and a str id). The other fields are checked where chunks are merged, and content
        # blocks in depth, when the chunks become a whole message.
        if content.__class__ is not str or (id.__class__ is not str and id is not None):
            content, id, additional_kwargs, response_metadata = checked_fields(
                "AIMessageChunk",
                content,
                id,
                name,
                additional_kwargs,
                response_metadata,
                deep=False,
            )
        self.content = content
        self.id = id
        self.name = name
        self._additional_kwargs = additional_kwargs
        self._response_metadata = response_metadata
        self._tool_calls = None if tool_calls is None else normalize_tool_calls(tool_calls) or None
        self._invalid_tool_calls = (
            None
            if invalid_tool_calls is None
            else normalize_invalid_tool_calls(invalid_tool_calls) or None
        )
        self.usage_metadata = usage_metadata
        self._tool_call_chunks = (
            None
            if tool_call_chunks is None
            else normalize_tool_call_chunks(tool_call_chunks) or None
        )

    @property
    def tool_call_chunks(self) -> list[ToolCallChunk]:
        """The streamed pieces of tool calls; an empty list, made on first read, when none."""
        value = self._tool_call_chunks
        if value is None:
            value = self._tool_call_chunks = []
        return value

    @tool_call_chunks.setter
    def tool_call_chunks(self, value: list[ToolCallChunk]) -> None:
        self._tool_call_chunks = value

    def __add__(self, other: object) -> AIMessageChunk:
        merge = _merge_chunks or _load_merge_chunks()
        if isinstance(other, AIMessageChunk):
            return merge((self, other))
        if isinstance(other, (list, tuple)) and all(isinstance(o, AIMessageChunk) for o in other):
            return merge((self, *other))
        return NotImplemented

    def to_message(self) -> AIMessage:
        """The finished :class:`AIMessage`.

        When the chunk has ``tool_call_chunks``, its tool calls are read from them: arguments
        must be a complete JSON object (empty arguments mean ``{}``); any other call becomes an
        entry of ``invalid_tool_calls`` with the reason.

        >>> chunk = AIMessageChunk(tool_call_chunks=[{"name": "f", "args": '{"x": 1}', "id": "c1",
        ...     "index": 0}])
        >>> chunk.to_message().tool_calls[0]["args"]
        {'x': 1}
        """
        pieces = self._tool_call_chunks
        calls: Sequence[ToolCall] | None
        invalid: Sequence[InvalidToolCall] | None
        if pieces:
            calls, invalid = _complete_tool_calls(pieces)
        else:  # AIMessage copies them into lists of its own
            calls, invalid = self._tool_calls, self._invalid_tool_calls
        extra, metadata, content = self._additional_kwargs, self._response_metadata, self.content
        return AIMessage(
            content if isinstance(content, str) else list(content),
            id=self.id,
            name=self.name,
            # a container of the wrong type goes on as it is, for AIMessage to refuse by name
            additional_kwargs=_copied(extra),
            response_metadata=_copied(metadata),
            tool_calls=calls,
            invalid_tool_calls=invalid,
            usage_metadata=self.usage_metadata,
        )


def _copied(container: Any) -> Any:
    return (dict(container) or None) if isinstance(container, dict) else container


def _bad_usage(value: object) -> InvalidMessageError:
    return InvalidMessageError(
        f"usage_metadata must be a dict such as {{'input_tokens': 3, 'output_tokens': 5, "
        f"'total_tokens': 8}} (or None), got {shown(value)}"
    )


_merge_chunks: Callable[[Sequence[AIMessageChunk]], AIMessageChunk] | None = None
"""``merge_chunks``, kept here once loaded: its module imports this one."""


def _load_merge_chunks() -> Callable[[Sequence[AIMessageChunk]], AIMessageChunk]:
    global _merge_chunks
    from streamgraph.messages.merge import merge_chunks

    _merge_chunks = merge_chunks
    return merge_chunks


def message_chunk_to_message(message: BaseMessage) -> BaseMessage:
    """``message.to_message()`` for a chunk; any other message is returned as it is.

    >>> message_chunk_to_message(AIMessageChunk("hi")).type
    'ai'
    """
    if isinstance(message, AIMessageChunk):
        return message.to_message()
    return message


def _complete_tool_calls(
    chunks: list[ToolCallChunk],
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for chunk in chunks:
        name, raw, call_id = chunk.get("name"), chunk.get("args"), chunk.get("id")
        if raw is not None and not isinstance(raw, str):
            raise InvalidMessageError(
                f"a tool call chunk's 'args' must be a str of JSON text (or None), got "
                f"{shown(raw)}; pass the arguments as a dict in tool_calls instead"
            )
        try:
            args = json.loads(raw, strict=False) if raw else {}
        except ValueError as exc:
            error = f"tool call arguments are not valid JSON: {exc}"
            invalid.append(invalid_tool_call(name=name, args=raw, id=call_id, error=error))
            continue
        if not isinstance(args, dict):
            error = f"tool call arguments must be a JSON object, not {type(args).__name__}"
            invalid.append(invalid_tool_call(name=name, args=raw, id=call_id, error=error))
            continue
        calls.append(tool_call(name=name or "", args=args, id=call_id))
    return calls, invalid
