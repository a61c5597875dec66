"""Joining streamed chunks into one message, in time linear in their total size.

Text and other string deltas are collected and joined once at the end, so merging ten thousand
chunks costs about as much as reading them.

>>> from streamgraph.messages import AIMessageChunk
>>> merge_chunks([AIMessageChunk("a", id="r"), AIMessageChunk("b"), AIMessageChunk("c")]).content
'abc'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from streamgraph.errors import InvalidMessageError, MessageCoercionError
from streamgraph.messages.ai import AIMessageChunk, UsageMetadata
from streamgraph.messages.base import MessageContent
from streamgraph.messages.checks import checked_fields, shown
from streamgraph.messages.partial_json import parse_partial_json
from streamgraph.messages.tool_calls import (
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    invalid_tool_call,
    tool_call,
    tool_call_chunk,
)

__all__ = ["merge_chunks"]

# Keys whose string values name a thing rather than stream it: kept, never concatenated.
_KEPT_KEYS = frozenset({"id", "index", "type"})


def merge_chunks(chunks: Sequence[AIMessageChunk]) -> AIMessageChunk:
    """Merge ``chunks``, in order, into one chunk; ``a + b`` is ``merge_chunks([a, b])``.

    - ``content``: strings are concatenated; if any chunk holds a list of blocks, blocks with
      the same ``"index"`` are merged and the others appended.
    - ``id`` and ``name``: the first that is not ``None``.
    - ``tool_call_chunks``: pieces with the same ``index`` are joined (``args`` concatenated,
      ``name`` and ``id`` the first non-empty); pieces without an index are appended. The
      merged chunk's ``tool_calls`` are then read from them, with arguments parsed as far as
      they go; ones that cannot be parsed land in ``invalid_tool_calls``.
    - ``additional_kwargs``: merged recursively; strings are concatenated (so
      ``reasoning_content`` deltas add up), list items are merged by their ``"index"`` key.
    - ``response_metadata``: merged recursively, but a later value replaces an earlier one.
    - ``usage_metadata``: counts are summed, details included.

    >>> from streamgraph.messages import AIMessageChunk, tool_call_chunk
    >>> chunks = [
    ...     AIMessageChunk(tool_call_chunks=[tool_call_chunk(name="f", args='{"x"', index=0)]),
    ...     AIMessageChunk(tool_call_chunks=[tool_call_chunk(args=": 1}", index=0)]),
    ... ]
    >>> merge_chunks(chunks).tool_calls[0]["args"]
    {'x': 1}
    """
    if not chunks:
        raise MessageCoercionError("merge_chunks needs at least one chunk, got none")
    if not isinstance(chunks, (list, tuple)):
        chunks = list(chunks)
    # This runs for every `a + b` and on every model call's chunks, most of them text tokens
    # with only content and an id. Only the other chunks go through the full loop: those with
    # any other field (a container not made yet is None) and those of another class.
    exact = AIMessageChunk
    rich = [
        chunk
        for chunk in chunks
        if chunk.__class__ is not exact
        or chunk.name is not None
        or chunk._additional_kwargs is not None
        or chunk._response_metadata is not None
        or chunk.usage_metadata is not None
        or chunk._tool_call_chunks is not None
        or chunk._tool_calls is not None
        or chunk._invalid_tool_calls is not None
    ]
    fields = _merge_fields(rich) if rich else None  # raises for a chunk of the wrong class
    message_id: str | None = None
    for chunk in chunks:
        message_id = chunk.id
        if message_id is not None:
            break
    content = merge_content([chunk.content for chunk in chunks])
    if fields is None:
        return AIMessageChunk(content, id=message_id)
    return AIMessageChunk(content, id=message_id, **fields)


def _merge_fields(chunks: Sequence[AIMessageChunk]) -> dict[str, Any]:
    """The merged chunk's fields other than ``content`` and ``id``, as keyword arguments."""
    extras: list[dict[str, Any]] = []
    metadata: list[dict[str, Any]] = []
    usages: list[UsageMetadata] = []
    pieces: list[list[ToolCallChunk]] = []
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    name: str | None = None
    for chunk in chunks:
        if not isinstance(chunk, AIMessageChunk):
            raise MessageCoercionError(
                f"merge_chunks takes AIMessageChunk objects, got {type(chunk).__name__}"
            )
        _check_fields(chunk)
        if name is None:
            name = chunk.name
        if chunk._additional_kwargs:
            extras.append(chunk._additional_kwargs)
        if chunk._response_metadata:
            metadata.append(chunk._response_metadata)
        if chunk.usage_metadata is not None:
            usages.append(chunk.usage_metadata)
        if chunk._tool_call_chunks:
            pieces.append(chunk._tool_call_chunks)
        if chunk._tool_calls:
            calls.extend(chunk._tool_calls)
        if chunk._invalid_tool_calls:
            invalid.extend(chunk._invalid_tool_calls)
    merged_pieces = _merged_tool_call_chunks(pieces) if pieces else None
    if merged_pieces:
        calls, invalid = _partial_tool_calls(merged_pieces)
    return {
        "name": name,
        "additional_kwargs": merge_dicts(extras, concat=True) if extras else None,
        "response_metadata": merge_dicts(metadata, concat=False) if metadata else None,
        "tool_calls": calls or None,
        "invalid_tool_calls": invalid or None,
        "usage_metadata": sum_usage(usages) if usages else None,
        "tool_call_chunks": merged_pieces,
    }


def _check_fields(chunk: AIMessageChunk) -> None:
    """Check the fields a chunk's constructor leaves unchecked (it runs once per token)."""
    name, extra, metadata = chunk.name, chunk._additional_kwargs, chunk._response_metadata
    if (
        (name is not None and not isinstance(name, str))
        or (extra is not None and not isinstance(extra, dict))
        or (metadata is not None and not isinstance(metadata, dict))
    ):
        checked_fields("AIMessageChunk", "", None, name, extra, metadata, deep=False)  # raises
    usage = chunk.usage_metadata
    if usage is not None and not isinstance(usage, dict):
        raise InvalidMessageError(
            f"an AIMessageChunk's usage_metadata must be a dict (or None), got {shown(usage)}"
        )


def _merged_tool_call_chunks(pieces: list[list[ToolCallChunk]]) -> list[ToolCallChunk]:
    try:
        return _merge_tool_call_chunks(pieces)
    except (TypeError, AttributeError) as exc:
        for group in pieces:
            for piece in group:
                for field, kinds in _PIECE_TYPES:
                    value = piece.get(field) if isinstance(piece, dict) else piece
                    if value is not None and not isinstance(value, kinds):
                        raise InvalidMessageError(
                            f"a tool call chunk's {field!r} must be a {kinds[0].__name__} or "
                            f"None, got {shown(value)} in {shown(piece)}"
                        ) from exc
        raise


_PIECE_TYPES: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("name", (str,)),
    ("args", (str,)),
    ("id", (str,)),
    ("index", (int,)),
)


def merge_content(contents: Iterable[MessageContent]) -> MessageContent:
    """Join message contents: strings concatenated, block lists merged by ``"index"``."""
    contents = contents if isinstance(contents, list) else list(contents)
    try:
        return "".join(contents)  # type: ignore[arg-type]
    except TypeError:
        pass  # some content is a list of blocks
    items = _Items()
    for content in contents:
        if isinstance(content, list):
            items.absorb(content, concat=True)
        elif content:
            last = items.values[-1] if items.values else None
            if isinstance(last, _Text):
                last.parts.append(content)
            else:
                items.values.append(_Text(content))
    result: list[str | dict[str, Any]] = _finish(items)
    return result


def merge_dicts(dicts: Iterable[dict[str, Any]], *, concat: bool) -> dict[str, Any]:
    """Merge dicts recursively, in order.

    With ``concat``, strings are deltas and get concatenated (except under ``id``, ``index``
    and ``type``, where the first non-empty one stays); without it, the later value wins, an
    empty string never replacing a non-empty one. Either way dicts merge key by key, lists merge
    item by item on their ``"index"`` key (items without one are appended), ``None`` gives way
    to the other side and, for other values, the later one wins.
    """
    acc: Any = None
    for d in dicts:
        if d:
            acc = _absorb(acc, d, concat, None)
    return {} if acc is None else _finish(acc)


def sum_usage(usages: Iterable[UsageMetadata | None]) -> UsageMetadata | None:
    """Add token counts key by key, nested details too; ``None`` counts as nothing."""
    total: dict[str, Any] | None = None
    for usage in usages:
        if usage is not None:
            total = _add_counts({} if total is None else total, usage)
    return total  # type: ignore[return-value]


def _add_counts(total: dict[str, Any], counts: Any) -> dict[str, Any]:
    for key, value in counts.items():
        current = total.get(key)
        if isinstance(value, dict):
            total[key] = _add_counts(current if isinstance(current, dict) else {}, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = value + current if isinstance(current, (int, float)) else value
        elif value is not None:
            total[key] = value
    return total


class _Text:
    """String deltas waiting to be joined."""

    __slots__ = ("parts",)

    def __init__(self, first: str) -> None:
        self.parts = [first]


class _Items:
    """A list being merged: its items, and where the item with each ``"index"`` sits."""

    __slots__ = ("positions", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.positions: dict[Any, int] = {}

    def absorb(self, items: list[Any], concat: bool) -> None:
        for item in items:
            index = item.get("index") if isinstance(item, dict) else None
            if not isinstance(index, (int, str)):
                self.values.append(_start(item, concat, None))
                continue
            position = self.positions.get(index)
            if position is None:
                self.positions[index] = len(self.values)
                self.values.append(_start(item, concat, None))
            else:
                self.values[position] = _absorb(self.values[position], item, concat, None)


def _start(value: Any, concat: bool, key: str | None) -> Any:
    """Turn ``value`` into an accumulator that later values can be merged into."""
    if isinstance(value, str):
        return _Text(value) if concat and key not in _KEPT_KEYS else value
    if isinstance(value, dict):
        return {k: _start(v, concat, k) for k, v in value.items()}
    if isinstance(value, list):
        items = _Items()
        items.absorb(value, concat)
        return items
    return value


def _absorb(acc: Any, value: Any, concat: bool, key: str | None) -> Any:
    """Merge ``value`` into the accumulator ``acc``; returns the accumulator to keep."""
    if value is None:
        return acc
    if acc is None:
        return _start(value, concat, key)
    if isinstance(value, str):
        if isinstance(acc, _Text):
            acc.parts.append(value)
            return acc
        if isinstance(acc, str):
            if concat:
                return acc or value
            return value or acc
    elif isinstance(value, dict):
        if isinstance(acc, dict):
            for k, v in value.items():
                acc[k] = _absorb(acc.get(k), v, concat, k)
            return acc
    elif isinstance(value, list) and isinstance(acc, _Items):
        acc.absorb(value, concat)
        return acc
    return _start(value, concat, key)


def _finish(acc: Any) -> Any:
    if isinstance(acc, _Text):
        return "".join(acc.parts)
    if isinstance(acc, dict):
        return {k: _finish(v) for k, v in acc.items()}
    if isinstance(acc, _Items):
        return [_finish(v) for v in acc.values]
    return acc


def _merge_tool_call_chunks(pieces: list[list[ToolCallChunk]]) -> list[ToolCallChunk]:
    """Join tool-call pieces that share an ``index``; pieces without one stay apart."""
    merged: list[list[Any]] = []  # [name, args parts, id, index]
    by_index: dict[int, list[Any]] = {}
    for group in pieces:
        for piece in group:
            index = piece.get("index")
            entry = by_index.get(index) if index is not None else None
            if entry is None:
                entry = [None, [], None, index]
                merged.append(entry)
                if index is not None:
                    by_index[index] = entry
            name, args, call_id = piece.get("name"), piece.get("args"), piece.get("id")
            if name and not entry[0]:
                entry[0] = name
            if args is not None:
                entry[1].append(args)
            if call_id and not entry[2]:
                entry[2] = call_id
    return [
        tool_call_chunk(
            name=name,
            args="".join(parts) if parts else None,
            id=call_id,
            index=index,
        )
        for name, parts, call_id, index in merged
    ]


def _partial_tool_calls(
    pieces: list[ToolCallChunk],
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for piece in pieces:
        raw = piece["args"]
        args = parse_partial_json(raw) if raw else {}
        if isinstance(args, dict):
            calls.append(tool_call(name=piece["name"] or "", args=args, id=piece["id"]))
        else:
            invalid.append(invalid_tool_call(name=piece["name"], args=raw, id=piece["id"]))
    return calls, invalid
