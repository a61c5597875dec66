"""Concurrent runs of one compiled graph never see each other's events or metadata."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from streamgraph import START, MessagesState, StateGraph
from streamgraph.graph import CompiledStateGraph
from streamgraph.messages import AIMessageChunk
from streamgraph.models import BaseChatModel, ChatRequest
from tests.contract.helpers import calling_node, one_node_graph

TOKENS = 20


class EchoModel(BaseChatModel):
    """Streams ``<tag>-<i>`` tokens, where ``tag`` is the last user message; yields between."""

    def __init__(self) -> None:
        super().__init__(model_name="echo")

    def _tokens(self, request: ChatRequest) -> list[str]:
        tag = request.messages[-1].text
        return [f"{tag}-{i};" for i in range(TOKENS)]

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        for token in self._tokens(request):
            yield AIMessageChunk(content=token)

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        for token in self._tokens(request):
            await asyncio.sleep(0)  # let the other runs interleave
            yield AIMessageChunk(content=token)


def _graph(model: EchoModel) -> CompiledStateGraph:
    return one_node_graph(calling_node(model, "async"), "talk")


async def test_100_concurrent_astream_runs_each_get_exactly_their_own_tokens() -> None:
    graph = _graph(EchoModel())

    async def one(i: int) -> tuple[str, list[tuple[str, str]]]:
        run_id = f"00000000-0000-4000-8000-{i:012d}"
        got = []
        async for chunk, meta in graph.astream(
            {"messages": [("user", f"run{i}")]},
            {"run_id": run_id},
            stream_mode="messages",
        ):
            got.append((chunk.content, meta["run_id"]))
        return run_id, got

    results = await asyncio.gather(*(one(i) for i in range(100)))
    for i, (run_id, got) in enumerate(results):
        tokens = [t for t, _ in got]
        assert tokens == [f"run{i}-{k};" for k in range(TOKENS)], f"run {i} got {tokens[:3]}..."
        assert {rid for _, rid in got} == {run_id}


def test_concurrent_sync_streams_in_threads_stay_apart() -> None:
    graph = _graph(EchoModel())
    results: dict[int, list[str]] = {}

    def one(i: int) -> None:
        stream = graph.stream({"messages": [("user", f"t{i}")]}, stream_mode="messages")
        results[i] = [chunk.content for chunk, _ in stream]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(20):
        assert results[i] == [f"t{i}-{k};" for k in range(TOKENS)]


def test_max_concurrency_one_with_messages_mode_does_not_deadlock() -> None:
    model = EchoModel()

    def left(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke([("user", "L")])]}

    async def right(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke([("user", "R")])]}

    graph = (
        StateGraph(MessagesState)
        .add_node("left", left)
        .add_node("right", right)
        .add_edge(START, "left")
        .add_edge(START, "right")
        .compile()
    )
    items = list(
        graph.stream(
            {"messages": [("user", "go")]},
            {"max_concurrency": 1},
            stream_mode="messages",
        )
    )
    by_node: dict[str, list[str]] = {}
    for chunk, meta in items:
        by_node.setdefault(meta["langgraph_node"], []).append(chunk.content)
    assert by_node["left"] == [f"L-{k};" for k in range(TOKENS)]
    assert by_node["right"] == [f"R-{k};" for k in range(TOKENS)]
