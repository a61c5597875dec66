"""FakeChatModel: a scripted chat model for tests, docs, examples and benchmarks."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from streamgraph.errors import ConfigurationError
from streamgraph.messages import AIMessage, AIMessageChunk
from streamgraph.models.base import BaseChatModel, ChatRequest
from streamgraph.models.call import new_message_id

__all__ = ["FakeChatModel", "split_words"]

_WORD = re.compile(r"\s*\S+")


def split_words(text: str) -> list[str]:
    """Split into word tokens, whitespace kept on the following word: "a b" -> "a", " b"."""
    pieces = _WORD.findall(text)
    tail = text[sum(map(len, pieces)) :]
    if tail:
        if pieces:
            pieces[-1] += tail
        else:
            pieces.append(tail)
    return pieces


class _Script:
    """One scripted response, cut into the pieces it streams as."""

    __slots__ = ("id", "reasoning", "text", "tool_calls")

    def __init__(self, response: str | AIMessage) -> None:
        if isinstance(response, str):
            self.id, self.text, self.tool_calls = None, split_words(response), []
            self.reasoning: list[str] = []
        elif isinstance(response, AIMessage):
            self.id = response.id
            self.text = split_words(response.text)
            self.reasoning = split_words(
                str(response.additional_kwargs.get("reasoning_content", ""))
            )
            self.tool_calls = list(response.tool_calls)
        else:
            raise ConfigurationError(
                f"FakeChatModel responses must be str or AIMessage, got {type(response).__name__}"
            )


class FakeChatModel(BaseChatModel):
    """Streams scripted responses, cycling through them.

    Text streams word by word; reasoning (``additional_kwargs["reasoning_content"]`` of a
    scripted AIMessage) streams first; each tool call streams as a start chunk and two
    argument pieces. ``delay`` seconds pass before each token (``0``: no pause at all,
    not even a yield to the event loop). ``error`` is raised after ``error_after`` tokens
    (at once when ``error_after`` is None).

    ::

        model = FakeChatModel(responses=["Hi there", AIMessage("", tool_calls=[...])])
    """

    ls_provider = "fake"

    def __init__(
        self,
        responses: Sequence[str | AIMessage],
        *,
        delay: float = 0.0,
        error: BaseException | None = None,
        error_after: int | None = None,
        model_name: str = "fake-chat-model",
        **options: Any,
    ) -> None:
        super().__init__(model_name=model_name, **options)
        if not responses:
            raise ConfigurationError("FakeChatModel needs at least one response")
        if delay < 0:
            raise ConfigurationError(f"delay must be >= 0 seconds, got {delay}")
        self.responses = list(responses)
        self._scripts = [_Script(r) for r in self.responses]
        self.delay = delay
        self.error = error
        self.error_after = error_after
        self._cycle = itertools.cycle(range(len(self._scripts)))
        self._lock = threading.Lock()
        self.calls: list[ChatRequest] = []

    def _next(self, request: ChatRequest) -> _Script:
        with self._lock:
            self.calls.append(request)
            return self._scripts[next(self._cycle)]

    def _chunks(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        script = self._next(request)
        cid = script.id or new_message_id()
        error, after = self.error, (self.error_after or 0)
        if error is None and script.text and not (script.reasoning or script.tool_calls):
            # plain text, the benchmarked path: one generator, one chunk per word
            last = len(script.text)
            for produced, piece in enumerate(script.text, 1):
                chunk = AIMessageChunk(content=piece, id=cid)
                if produced == last:
                    self._finish(chunk, script, request, produced)
                yield chunk
            return
        total = len(script.reasoning) + len(script.text) + 3 * len(script.tool_calls)
        for produced, chunk in enumerate(self._pieces(script, cid, AIMessageChunk), 1):
            if error is not None and produced - 1 == after:
                raise error
            if produced == max(total, 1):
                self._finish(chunk, script, request, produced)
            yield chunk
        if error is not None:
            raise error

    @staticmethod
    def _pieces(script: _Script, cid: str, chunk_cls: Any) -> Iterator[AIMessageChunk]:
        for piece in script.reasoning:
            yield chunk_cls(content="", id=cid, additional_kwargs={"reasoning_content": piece})
        for piece in script.text:
            yield chunk_cls(content=piece, id=cid)
        for index, call in enumerate(script.tool_calls):
            yield from _tool_call_chunks(call, index, cid)
        if not (script.reasoning or script.text or script.tool_calls):
            yield chunk_cls(content="", id=cid)

    def _finish(
        self, last: AIMessageChunk, script: _Script, request: ChatRequest, produced: int
    ) -> None:
        words = sum(len(split_words(m.text)) for m in request.messages)
        last.usage_metadata = {
            "input_tokens": words,
            "output_tokens": produced,
            "total_tokens": words + produced,
        }
        last.response_metadata = {
            "model_name": self.model_name,
            "finish_reason": "tool_calls" if script.tool_calls else "stop",
        }

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        delay = self.delay
        if not delay:
            yield from self._chunks(request)
            return
        for chunk in self._chunks(request):
            time.sleep(delay)
            yield chunk

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        delay = self.delay
        for chunk in self._chunks(request):
            if delay:
                await asyncio.sleep(delay)
            yield chunk


def _tool_call_chunks(call: Any, index: int, cid: str) -> list[AIMessageChunk]:
    text = json.dumps(call.get("args") or {})
    half = max(1, len(text) // 2)
    call_id = call.get("id") or f"call_{new_message_id()[4:16]}"
    start = AIMessageChunk(
        content="",
        id=cid,
        tool_call_chunks=[
            {
                "name": call["name"],
                "args": "",
                "id": call_id,
                "index": index,
                "type": "tool_call_chunk",
            }
        ],
        tool_calls=[{"name": call["name"], "args": {}, "id": call_id, "type": "tool_call"}],
    )
    rest = [
        AIMessageChunk(
            content="",
            id=cid,
            tool_call_chunks=[
                {"name": None, "args": piece, "id": None, "index": index, "type": "tool_call_chunk"}
            ],
        )
        for piece in (text[:half], text[half:])
    ]
    return [start, *rest]
