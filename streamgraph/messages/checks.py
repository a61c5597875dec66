"""Checking the fields a message is built with, so a bad one fails at once, by name.

The constructors test the common case inline (text content, ``str`` or ``None`` for the rest,
plain dicts for the containers: a few identity checks) and call :func:`checked_fields` only
when something else was given. Whole messages have their content blocks checked all the way
down, so that whatever a message holds can be dumped to JSON; a streamed chunk, built once per
token, gets the shallow check only, and its blocks are checked when the chunks become a whole
message.

>>> from streamgraph.messages import HumanMessage
>>> HumanMessage("hi", id=7).id
'7'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streamgraph.errors import InvalidMessageError

__all__ = ["checked_fields", "checked_invalid_tool_call", "checked_tool_call", "shown"]

_JSON_SCALARS = (str, int, float, bool, type(None))


def shown(value: object) -> str:
    """A value for an error message: its type and a short repr."""
    text = repr(value)
    text = f"{text[:60]}..." if len(text) > 60 else text
    return f"{type(value).__name__} {text}"


def checked_fields(
    kind: str,
    content: Any,
    id: Any,
    name: Any,
    additional_kwargs: Any,
    response_metadata: Any,
    *,
    deep: bool,
) -> tuple[Any, Any, Any, Any]:
    """``(content, id, additional_kwargs, response_metadata)`` as the message keeps them.

    An ``id`` given as a number becomes its ``str`` (as LangChain does), a tuple of content
    becomes a list and a mapping that is not a dict becomes a dict; anything else of the wrong
    type raises :class:`~streamgraph.errors.InvalidMessageError`.
    """
    content = checked_content(kind, content, deep=deep)
    if id is not None and not isinstance(id, str):
        if isinstance(id, (int, float)) and not isinstance(id, bool):
            id = str(id)
        else:
            raise InvalidMessageError(
                f"a {kind} id must be a str or None, got {shown(id)}; pass id='...' (or leave "
                "it out: a graph gives each message a fresh id)"
            )
    if name is not None and not isinstance(name, str):
        raise InvalidMessageError(f"a {kind} name must be a str or None, got {shown(name)}")
    extra = _checked_dict(kind, "additional_kwargs", additional_kwargs)
    metadata = _checked_dict(kind, "response_metadata", response_metadata)
    return content, id, extra, metadata


def checked_content(kind: str, content: Any, *, deep: bool) -> Any:
    """``content`` if it is text or a list of text pieces and block dicts."""
    if isinstance(content, str):
        return content
    if isinstance(content, tuple):
        content = list(content)
    if not isinstance(content, list):
        raise InvalidMessageError(
            f"{kind} content must be a str or a list of str and content-block dicts, got "
            f"{shown(content)}; pass text as a str, e.g. {kind}('hello')"
        )
    for block in content:
        if block.__class__ is str or (block.__class__ is dict and not deep):
            continue
        if isinstance(block, dict):
            if deep and _non_json(block) is not None:
                _check_json(kind, block, f"content[{content.index(block)}]")
        elif not isinstance(block, str):
            raise InvalidMessageError(
                f"{kind} content[{content.index(block)}] is {shown(block)}; each item of a "
                "content list must be a str or a content-block dict such as "
                "{'type': 'text', 'text': '...'} (turn other values into text with str() first)"
            )
    return content


def _check_json(kind: str, block: dict[str, Any], path: str) -> None:
    """Raise unless ``block`` is made of JSON values only (str keys, lists, scalars)."""
    found = _non_json(block)
    if found is None:
        return
    steps, value = found
    bad_key = bool(steps) and steps[0] is _KEY
    where = path + "".join(f"[{step!r}]" for step in reversed(steps[1:] if bad_key else steps))
    if bad_key:
        raise InvalidMessageError(
            f"{kind} {where} has the key {shown(value)}; content-block keys must be str"
        )
    hint = (
        "; encode bytes as base64 text, e.g. base64.b64encode(data).decode()"
        if isinstance(value, (bytes, bytearray, memoryview))
        else ""
    )
    raise InvalidMessageError(
        f"{kind} {where} holds {shown(value)}; content blocks hold JSON values only (str, "
        f"numbers, bools, None, lists and dicts){hint}"
    )


_KEY: Any = object()  # a path step meaning "the key itself is the bad value"


def _non_json(value: Any) -> tuple[list[Any], Any] | None:
    """The first value in ``value`` that JSON cannot hold, with the path to it (innermost first).

    The path is built only once something is found, so checking a good block costs one
    ``isinstance`` per value.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return [_KEY], key
            if not isinstance(item, _JSON_SCALARS):
                found = _non_json(item)
                if found is not None:
                    found[0].append(key)
                    return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if not isinstance(item, _JSON_SCALARS):
                found = _non_json(item)
                if found is not None:
                    found[0].append(index)
                    return found
        return None
    if isinstance(value, _JSON_SCALARS):
        return None
    return [], value


def _checked_dict(kind: str, field: str, value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, Mapping):
        return dict(value)
    raise InvalidMessageError(
        f"a {kind}'s {field} must be a dict (or None), got {shown(value)}; pass e.g. "
        f"{field}={{'key': 'value'}}"
    )


def checked_tool_call(call: Any, position: int) -> Any:
    """One entry of ``tool_calls``: a dict with a str ``name``, dict ``args``, str/None ``id``."""
    where = f"tool_calls[{position}]"
    if not isinstance(call, Mapping):
        raise InvalidMessageError(
            f"{where} must be a dict such as {{'name': 'search', 'args': {{'q': 'x'}}, "
            f"'id': 'call_1'}}, got {shown(call)}"
        )
    name, args, call_id = call.get("name"), call.get("args", {}), call.get("id")
    if not isinstance(name, str):
        raise InvalidMessageError(f"{where} needs a str 'name', got {shown(name)}")
    if not isinstance(args, Mapping):
        raise InvalidMessageError(
            f"{where} ({name!r}) has args {shown(args)}; a tool call's args must be a dict of "
            "argument names to values, e.g. {'q': 'weather'}"
        )
    if call_id is not None and not isinstance(call_id, str):
        raise InvalidMessageError(
            f"{where} ({name!r}) needs a str or None 'id', got {shown(call_id)}"
        )
    return call


def checked_invalid_tool_call(call: Any, position: int) -> Any:
    """One entry of ``invalid_tool_calls``: a dict whose fields are each a str or None."""
    where = f"invalid_tool_calls[{position}]"
    if not isinstance(call, Mapping):
        raise InvalidMessageError(f"{where} must be a dict, got {shown(call)}")
    for field in ("name", "args", "id", "error"):
        value = call.get(field)
        if value is not None and not isinstance(value, str):
            raise InvalidMessageError(
                f"{where}[{field!r}] must be a str or None, got {shown(value)}"
            )
    return call
