"""A chat model that records what it produced and when its stream was closed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

from streamgraph.messages import AIMessageChunk
from streamgraph.models import BaseChatModel, ChatRequest


class ProbeModel(BaseChatModel):
    """Streams ``tokens`` chunks ``" t0"``, ``" t1"``, ... with ``delay`` seconds before each.

    ``produced`` counts chunks made; ``closed`` is set when the stream's ``finally`` ran,
    which is what closing a provider's HTTP response looks like from the inside.
    """

    def __init__(self, tokens: int = 50, delay: float = 0.0, prefix: str = "t") -> None:
        super().__init__(model_name="probe-model")
        self.tokens = tokens
        self.delay = delay
        self.prefix = prefix
        self.produced = 0
        self.closed = threading.Event()
        self.started = threading.Event()

    def _piece(self, i: int) -> AIMessageChunk:
        self.produced += 1
        self.started.set()
        return AIMessageChunk(content=f" {self.prefix}{i}")

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        try:
            for i in range(self.tokens):
                if self.delay:
                    time.sleep(self.delay)
                yield self._piece(i)
        finally:
            self.closed.set()

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        try:
            for i in range(self.tokens):
                await asyncio.sleep(self.delay)
                yield self._piece(i)
        finally:
            self.closed.set()
