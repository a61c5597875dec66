"""Reading the arguments of a tool call while they are still streaming in.

>>> parse_partial_json('{"city": "Par')
{'city': 'Par'}
>>> parse_partial_json('{"a": [1, 2, ')
{'a': [1, 2]}
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

from streamgraph.errors import InvalidMessageError

__all__ = ["parse_partial_json"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING_BODY = re.compile(r'[^"\\]*(?:(?:\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})[^"\\]*)*')
_PARTIAL_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_TAIL = re.compile(r"\.[0-9]*(?:[eE][+-]?[0-9]*)?|[eE][+-]?[0-9]*")
_LITERALS: tuple[tuple[str, Any], ...] = (("true", True), ("false", False), ("null", None))
_NOTHING: Any = object()


def parse_partial_json(text: str | bytes | bytearray) -> Any:
    """Parse ``text``, a JSON document that may be cut off anywhere, as far as it goes.

    Open strings, arrays and objects are closed; a key with no value yet, a trailing comma and a
    half-written ``true``/``false``/``null`` are dropped. Returns ``None`` for ``None``, for empty
    input and for text that cannot be the start of a JSON document. Bytes are read as UTF-8, as
    ``json.loads`` reads them; a character cut off at the end is dropped, and bytes that are not
    UTF-8 are parsed only if whole. Anything else raises
    :class:`~streamgraph.errors.InvalidMessageError`.

    >>> parse_partial_json('{"q": "wea')
    {'q': 'wea'}
    >>> parse_partial_json('{"q": "weather", "uni') == {"q": "weather"}
    True
    >>> parse_partial_json("not json") is None
    True
    """
    if text.__class__ is not str and text is not None:
        if isinstance(text, (bytes, bytearray)):
            data = bytes(text)
            try:
                text = codecs.getincrementaldecoder("utf-8")().decode(data)
            except UnicodeDecodeError:
                return _json_or_none(data)
        elif not isinstance(text, str):
            raise InvalidMessageError(
                f"parse_partial_json() takes a str (or UTF-8 bytes) of JSON text, got "
                f"{type(text).__name__} {text!r:.60}"
            )
    if not text:
        return None
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):
        pass
    parser = _PrefixParser(text)
    try:
        value = parser.value()
        if value is _NOTHING or not (parser.ended or parser.at_end()):
            return None
    except (_InvalidJSON, RecursionError):
        return None
    return value


def _json_or_none(data: bytes) -> Any:
    """``json.loads(data)`` for bytes that are not UTF-8 (it also reads UTF-16 and UTF-32)."""
    try:
        return json.loads(data, strict=False)
    except (ValueError, RecursionError):
        return None


class _InvalidJSON(Exception):
    """The text is not the start of any JSON document."""


class _PrefixParser:
    """Recursive descent over a JSON prefix; ``ended`` turns true where the text runs out."""

    __slots__ = ("ended", "pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.ended = False

    def at_end(self) -> bool:
        """Skip whitespace; true (and ``ended`` set) when nothing follows."""
        match = _WHITESPACE.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos
        if self.pos >= len(self.text):
            self.ended = True
        return self.ended

    def value(self) -> Any:
        if self.at_end():
            return _NOTHING
        char = self.text[self.pos]
        if char == "{":
            return self.object()
        if char == "[":
            return self.array()
        if char == '"':
            return self.string()
        if char == "-" or "0" <= char <= "9":
            return self.number()
        return self.literal()

    def object(self) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        if self.at_end():
            return result
        if self.text[self.pos] == "}":
            self.pos += 1
            return result
        while True:
            if self.text[self.pos] != '"':
                raise _InvalidJSON
            key = self.string()
            if self.ended or self.at_end():
                return result
            if self.text[self.pos] != ":":
                raise _InvalidJSON
            self.pos += 1
            item = self.value()
            if item is _NOTHING:
                return result
            result[key] = item
            if self.ended or self.at_end():
                return result
            if self.closes("}"):
                return result
            if self.at_end():
                return result

    def array(self) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        if self.at_end():
            return result
        if self.text[self.pos] == "]":
            self.pos += 1
            return result
        while True:
            item = self.value()
            if item is _NOTHING:
                return result
            result.append(item)
            if self.ended or self.at_end():
                return result
            if self.closes("]"):
                return result

    def closes(self, closer: str) -> bool:
        """Consume ``closer`` (true) or a comma (false); anything else is invalid."""
        char = self.text[self.pos]
        self.pos += 1
        if char == closer:
            return True
        if char != ",":
            raise _InvalidJSON
        return False

    def string(self) -> str:
        text, start = self.text, self.pos
        body = _STRING_BODY.match(text, start + 1)
        end = body.end() if body else start + 1
        if end < len(text) and text[end] == '"':
            self.pos = end + 1
            result: str = json.loads(text[start : end + 1], strict=False)
            return result
        if end < len(text) and not _PARTIAL_ESCAPE.fullmatch(text, end):
            raise _InvalidJSON
        self.pos, self.ended = len(text), True
        partial: str = json.loads(text[start:end] + '"', strict=False)
        if partial and "\ud800" <= partial[-1] <= "\udbff":
            partial = partial[:-1]
        return partial

    def number(self) -> Any:
        text, start = self.text, self.pos
        match = _NUMBER.match(text, start)
        if match is None:
            if text[start:] == "-":
                self.pos, self.ended = len(text), True
                return _NOTHING
            raise _InvalidJSON
        end = match.end()
        if end < len(text) and _NUMBER_TAIL.fullmatch(text, end):
            self.pos, self.ended = len(text), True
        else:
            self.pos = end
        return json.loads(match.group())

    def literal(self) -> Any:
        text, start = self.text, self.pos
        rest = text[start : start + 5]
        for word, value in _LITERALS:
            if rest.startswith(word):
                self.pos = start + len(word)
                return value
            if start + len(rest) == len(text) and word.startswith(rest):
                self.pos, self.ended = len(text), True
                return _NOTHING
        raise _InvalidJSON
