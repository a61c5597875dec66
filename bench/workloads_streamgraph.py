"""Benchmark worker for streamgraph (run with the project's Python).

Usage: ``.venv/bin/python bench/workloads_streamgraph.py WORKLOAD --size N``
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from measure import run_worker
from scenarios import Framework, workloads

from streamgraph.checkpoint.sqlite import SqliteSaver
from streamgraph.graph import END, START, MessagesState, StateGraph
from streamgraph.messages import AIMessageChunk, HumanMessage
from streamgraph.models import BaseChatModel, FakeChatModel


class PacedChatModel(BaseChatModel):
    """Yields fixed tokens ``interval`` seconds apart, stamping each just before handing it over."""

    def __init__(self, tokens: list[str], interval: float, stamps: list[int]) -> None:
        super().__init__(model_name="paced")
        self.tokens = tokens
        self.interval = interval
        self.stamps = stamps

    def _stream(self, request: Any) -> Iterator[AIMessageChunk]:
        for i, token in enumerate(self.tokens):
            if i:
                time.sleep(self.interval)
            chunk = AIMessageChunk(content=token)
            self.stamps.append(time.perf_counter_ns())
            yield chunk

    async def _astream(self, request: Any) -> AsyncIterator[AIMessageChunk]:
        for i, token in enumerate(self.tokens):
            if i:
                await asyncio.sleep(self.interval)
            chunk = AIMessageChunk(content=token)
            self.stamps.append(time.perf_counter_ns())
            yield chunk


class ScheduledChatModel(BaseChatModel):
    """Streams fixed tokens, waiting ``delays[prompt][i]`` seconds before token ``i``."""

    def __init__(self, tokens: list[str], delays: dict[str, list[float]]) -> None:
        super().__init__(model_name="scheduled")
        self.tokens = tokens
        self.delays = delays

    def _stream(self, request: Any) -> Iterator[AIMessageChunk]:
        pace = self.delays[request.messages[-1].content]
        for token, delay in zip(self.tokens, pace, strict=True):
            time.sleep(delay)
            yield AIMessageChunk(content=token)

    async def _astream(self, request: Any) -> AsyncIterator[AIMessageChunk]:
        pace = self.delays[request.messages[-1].content]
        for token, delay in zip(self.tokens, pace, strict=True):
            await asyncio.sleep(delay)
            yield AIMessageChunk(content=token)


STREAMGRAPH = Framework(
    StateGraph=StateGraph,
    START=START,
    END=END,
    MessagesState=MessagesState,
    human=HumanMessage,
    scripted=lambda text: FakeChatModel(responses=[text], delay=0.0),
    paced=PacedChatModel,
    scheduled=ScheduledChatModel,
    sqlite_saver=SqliteSaver.from_conn_string,
)

if __name__ == "__main__":
    run_worker(workloads(STREAMGRAPH))
