"""A chat model that counts what it has made, for tests of when tokens are handed over."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

from streamgraph.messages import AIMessageChunk
from streamgraph.models import BaseChatModel
from streamgraph.models.base import ChatRequest


class CountingModel(BaseChatModel):
    """Yields ``n`` chunks without waiting, counting how many it has made and where."""

    def __init__(self, n: int) -> None:
        super().__init__(model_name="counting")
        self.n = n
        self.made = 0
        self.threads: set[int] = set()

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        for i in range(self.n):
            self.made += 1
            self.threads.add(threading.get_ident())
            yield AIMessageChunk(content=f"t{i} ")

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        for chunk in self._stream(request):
            yield chunk
