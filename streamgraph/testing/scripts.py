"""What the mock provider server answers: scripted replies, HTTP errors and fixture replays.

A script is provider-neutral. The same :class:`Reply` is rendered as an Anthropic Messages
stream on ``/v1/messages`` and as an OpenAI Chat Completions stream on
``/v1/chat/completions``, so one test can be written once for both providers::

    from streamgraph.testing import MockProviderServer, Reply, Text, ToolCall

    with MockProviderServer() as server:
        server.enqueue(Reply(Text("Hello there!")))
        server.enqueue(Reply(ToolCall("get_weather", {"city": "Paris"})))
        ...
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Fixture",
    "HttpError",
    "Raw",
    "RedactedThinking",
    "Refusal",
    "Reply",
    "Script",
    "Text",
    "Thinking",
    "ToolCall",
    "Usage",
]


def _split_words(text: str) -> tuple[str, ...]:
    """Split text into word-sized pieces that concatenate back to it exactly."""
    pieces: list[str] = []
    current = ""
    for char in text:
        if char == " " and current.strip():
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return tuple(pieces)


def _words_as_pieces(part: Text | Thinking | Refusal) -> None:
    """Without pieces given, the text streams word by word; the text is what the pieces join to."""
    if not part.pieces:
        object.__setattr__(part, "pieces", _split_words(part.text) or ("",))
    object.__setattr__(part, "text", "".join(part.pieces))


def _split_json(args: dict[str, object], parts: int = 3) -> tuple[str, ...]:
    """Cut a JSON text into ``parts`` pieces, deliberately inside tokens, as providers do."""
    text = json.dumps(args)
    size = max(1, -(-len(text) // parts))
    return tuple(text[i : i + size] for i in range(0, len(text), size)) or ("",)


@dataclass(frozen=True, slots=True)
class Text:
    """A text block, streamed one piece per event.

    ``Text("Hello there!")`` streams word by word; ``Text(pieces=("Hel", "lo"))`` streams the
    pieces as given; :meth:`tokens` makes a text of ``n`` numbered tokens for benchmarks.
    """

    text: str = ""
    pieces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _words_as_pieces(self)

    @classmethod
    def tokens(cls, n: int) -> Text:
        """A text of ``n`` pieces: ``"tok0 tok1 ..."``."""
        return cls(pieces=tuple(f"tok{i} " if i < n - 1 else f"tok{i}" for i in range(n)))


@dataclass(frozen=True, slots=True)
class Thinking:
    """A thinking block: reasoning pieces, then its signature (Anthropic; OpenAI-compatible
    servers render the pieces as ``reasoning_content`` deltas and drop the signature)."""

    text: str = ""
    pieces: tuple[str, ...] = ()
    signature: str = "mock-signature"

    def __post_init__(self) -> None:
        _words_as_pieces(self)


@dataclass(frozen=True, slots=True)
class RedactedThinking:
    """An opaque ``redacted_thinking`` block that arrives whole (Anthropic only)."""

    data: str = "mock-redacted-data"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refusal streamed in ``delta.refusal`` pieces (OpenAI only)."""

    text: str = "I'm sorry, I can't help with that."
    pieces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _words_as_pieces(self)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call whose JSON arguments stream in a few pieces cut mid-token."""

    name: str
    args: dict[str, object] = field(default_factory=dict)
    id: str | None = None
    pieces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.pieces:
            object.__setattr__(self, "pieces", _split_json(self.args))


Part = Text | Thinking | RedactedThinking | Refusal | ToolCall


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts the reply reports; ``output_tokens=None`` counts the streamed pieces."""

    input_tokens: int = 12
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None


@dataclass(frozen=True, slots=True, init=False)
class Reply:
    """A successful (HTTP 200) answer made of content parts, in order.

    Pacing and failure, all counted in *delta events* (one text, thinking, refusal or
    argument piece each):

    - ``interval``: seconds to wait before each delta event (a fixed token rate);
    - ``hold_after``: after that many deltas, stop sending until the test calls
      ``request.release.set()`` (or ``server.release_all()``); lets a test check ordering
      without timing;
    - ``error_after``: after that many deltas, send the provider's mid-stream error and end;
    - ``cut_after``: after that many deltas, drop the connection without finishing the body.
    """

    parts: tuple[Part, ...] = ()
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage = field(default_factory=Usage)
    id: str | None = None
    model: str | None = None
    interval: float = 0.0
    hold_after: int | None = None
    error_after: int | None = None
    error_type: str | None = None
    cut_after: int | None = None

    def __init__(
        self,
        *parts: Part,
        stop_reason: str | None = None,
        stop_sequence: str | None = None,
        usage: Usage | None = None,
        id: str | None = None,
        model: str | None = None,
        interval: float = 0.0,
        hold_after: int | None = None,
        error_after: int | None = None,
        error_type: str | None = None,
        cut_after: int | None = None,
    ) -> None:
        object.__setattr__(self, "parts", parts or (Text("Hello from the mock provider."),))
        object.__setattr__(self, "stop_reason", stop_reason)
        object.__setattr__(self, "stop_sequence", stop_sequence)
        object.__setattr__(self, "usage", usage or Usage())
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "interval", interval)
        object.__setattr__(self, "hold_after", hold_after)
        object.__setattr__(self, "error_after", error_after)
        object.__setattr__(self, "error_type", error_type)
        object.__setattr__(self, "cut_after", cut_after)

    @property
    def delta_count(self) -> int:
        """How many delta events the reply streams."""
        return sum(len(p.pieces) for p in self.parts if not isinstance(p, RedactedThinking))


ErrorKind = Literal["unauthorized", "rate_limit", "overloaded", "bad_request", "server_error"]


@dataclass(frozen=True, slots=True)
class HttpError:
    """An HTTP error answer in the provider's own error shape.

    ``overloaded`` is 529 on Anthropic and 503 on OpenAI; ``rate_limit`` is 429 with a
    ``retry-after`` header when ``retry_after`` is set.
    """

    kind: ErrorKind
    message: str | None = None
    retry_after: float | None = None
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Fixture:
    """Replay a recorded stream from ``streamgraph/testing/fixtures`` byte for byte."""

    name: str
    interval: float = 0.0


@dataclass(frozen=True, slots=True, init=False)
class Raw:
    """HTTP 200 with a body sent byte for byte, each piece as one HTTP chunk: for tests of
    what a client does with malformed data (``content_type`` defaults to an event stream for
    a streamed request, JSON otherwise)."""

    chunks: tuple[bytes, ...]
    content_type: str | None = None

    def __init__(self, *chunks: bytes, content_type: str | None = None) -> None:
        object.__setattr__(self, "chunks", chunks)
        object.__setattr__(self, "content_type", content_type)


Script = Reply | HttpError | Fixture | Raw
