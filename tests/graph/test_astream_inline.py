"""astream steps the run inside the consumer's task: tokens arrive as they are made, and the
node still behaves as if it ran in a task of its own (context, timeouts, cancellation)."""

from __future__ import annotations

import asyncio
import contextvars
import sys
from typing import Any

import pytest

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.messages import AIMessageChunk, HumanMessage
from streamgraph.models import BaseChatModel
from tests.graph.counting import CountingModel

INPUT = {"messages": [HumanMessage("go")]}


def model_graph(model: BaseChatModel, *, stream: bool = False) -> Any:
    async def call(state: MessagesState) -> dict[str, Any]:
        if stream:
            chunks = [c async for c in model.astream(state["messages"])]
            return {"messages": [chunks[0]]}
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState).add_node("model", call)
    return builder.add_edge(START, "model").add_edge("model", END).compile()


@pytest.mark.parametrize("stream", [False, True], ids=["ainvoke", "astream"])
async def test_each_token_reaches_the_consumer_before_the_model_makes_the_next(
    stream: bool,
) -> None:
    model = CountingModel(5)
    made_when_seen = []
    async for _chunk, _meta in model_graph(model, stream=stream).astream(
        INPUT, stream_mode="messages"
    ):
        made_when_seen.append(model.made)
    assert made_when_seen == [1, 2, 3, 4, 5]


async def test_tokens_of_parallel_nodes_arrive_while_the_step_runs() -> None:
    gate = asyncio.Event()
    seen: list[str] = []

    def node(name: str) -> Any:
        async def run(state: MessagesState) -> dict[str, Any]:
            if name == "b":
                await gate.wait()  # opened by the consumer once it has a's token
            model = CountingModel(1)
            return {"messages": [await model.ainvoke(state["messages"])]}

        return run

    builder = StateGraph(MessagesState).add_node("a", node("a")).add_node("b", node("b"))
    graph = builder.add_edge(START, "a").add_edge(START, "b").compile()
    async for _chunk, meta in graph.astream(INPUT, stream_mode="messages"):
        seen.append(meta["langgraph_node"])
        gate.set()
    assert seen == ["a", "b"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
async def test_a_timeout_inside_a_node_stays_inside_the_node() -> None:
    async def slow(state: MessagesState) -> dict[str, Any]:
        if sys.version_info < (3, 11):
            raise AssertionError("skipped before 3.11")
        try:
            async with asyncio.timeout(0.01):
                await asyncio.Event().wait()
        except TimeoutError:
            return {"messages": [AIMessageChunk(content="timed out")]}
        raise AssertionError("the wait cannot end by itself")

    builder = StateGraph(MessagesState).add_node("slow", slow)
    graph = builder.add_edge(START, "slow").add_edge("slow", END).compile()
    updates = [u async for u in graph.astream(INPUT, stream_mode="updates")]
    assert updates[0]["slow"]["messages"][0].content == "timed out"
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_context_set_in_a_node_does_not_leak_into_the_consumer() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="consumer")
    seen_in_node = []

    async def setter(state: MessagesState) -> dict[str, Any]:
        seen_in_node.append(var.get())
        var.set("node")
        await asyncio.sleep(0)  # a bare yield: the consumer's task lets the loop run once
        return {}

    var.set("before")
    builder = StateGraph(MessagesState).add_node("setter", setter)
    graph = builder.add_edge(START, "setter").add_edge("setter", END).compile()
    async for _ in graph.astream(INPUT, stream_mode="updates"):
        assert var.get() == "before"
    assert seen_in_node == ["before"]
    assert var.get() == "before"


async def test_cancelling_the_consumer_cancels_the_node_where_it_waits() -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def waits(state: MessagesState) -> dict[str, Any]:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        return {}

    builder = StateGraph(MessagesState).add_node("waits", waits)
    graph = builder.add_edge(START, "waits").add_edge("waits", END).compile()

    async def consume() -> None:
        async for _ in graph.astream(INPUT, stream_mode="updates"):
            pass

    consumer = asyncio.ensure_future(consume())
    await started.wait()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert outcome == ["cancelled"]


async def test_a_node_error_after_tokens_arrives_after_them() -> None:
    async def fails(state: MessagesState) -> dict[str, Any]:
        await CountingModel(2).ainvoke(state["messages"])
        raise ValueError("boom")

    builder = StateGraph(MessagesState).add_node("fails", fails)
    graph = builder.add_edge(START, "fails").add_edge("fails", END).compile()
    seen = []
    with pytest.raises(ValueError, match="boom"):
        async for chunk, _meta in graph.astream(INPUT, stream_mode="messages"):
            seen.append(chunk.content)
    assert seen == ["t0 ", "t1 "]


class _Ticks:
    """Counts the loop's iterations: a task that yields once per iteration."""

    def __init__(self) -> None:
        self.n = 0

    async def run(self) -> None:
        while True:
            self.n += 1
            await asyncio.sleep(0)


class AwaitingModel(BaseChatModel):
    """Before each token, awaits a future that a loop callback resolves, noting the tick."""

    def __init__(self, n: int, ticks: _Ticks) -> None:
        super().__init__(model_name="awaiting")
        self.n = n
        self.ticks = ticks
        self.resolved_at: list[int] = []

    def _stream(self, request: Any) -> Any:
        raise NotImplementedError("async only")

    async def _astream(self, request: Any) -> Any:
        loop = asyncio.get_running_loop()
        for i in range(self.n):
            fut = loop.create_future()
            loop.call_soon(self._resolve, fut)
            await fut
            yield AIMessageChunk(content=f"t{i} ")

    def _resolve(self, fut: asyncio.Future[None]) -> None:
        self.resolved_at.append(self.ticks.n)
        fut.set_result(None)


async def _trips_per_token(consume: Any) -> list[int]:
    """Loop iterations from each awaited future's resolution to the consumer's token."""
    ticks = _Ticks()
    ticker = asyncio.ensure_future(ticks.run())
    await asyncio.sleep(0)
    model = AwaitingModel(5, ticks)
    seen_at = [ticks.n async for _ in consume(model)]
    ticker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await ticker
    return [seen - resolved for seen, resolved in zip(seen_at, model.resolved_at, strict=True)]


async def test_a_token_after_an_awaited_future_costs_the_loop_trips_of_a_bare_generator() -> None:
    def bare(model: AwaitingModel) -> Any:
        return model._astream(None)

    def graph(model: AwaitingModel) -> Any:
        return model_graph(model).astream(INPUT, stream_mode="messages")

    floor = await _trips_per_token(bare)
    assert await _trips_per_token(graph) == floor


async def test_tokens_of_a_sync_node_in_a_worker_thread_arrive_while_an_async_node_waits() -> None:
    gate = asyncio.Event()
    seen: list[str] = []

    def sync_node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [CountingModel(1).invoke(state["messages"])]}

    async def async_node(state: MessagesState) -> dict[str, Any]:
        await gate.wait()  # opened by the consumer once it has the sync node's token
        return {"messages": [await CountingModel(1).ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState).add_node("a", sync_node).add_node("b", async_node)
    graph = builder.add_edge(START, "a").add_edge(START, "b").compile()

    async def consume() -> None:
        async for _chunk, meta in graph.astream(INPUT, stream_mode="messages"):
            seen.append(meta["langgraph_node"])
            gate.set()

    await asyncio.wait_for(consume(), 10)  # bounded: a lost wake-up would hang here
    assert seen == ["a", "b"]


async def test_an_awaited_future_error_reaches_the_node_as_it_was_raised() -> None:
    raised = ValueError("from the future")
    caught: list[BaseException] = []

    async def node(state: MessagesState) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        loop.call_soon(fut.set_exception, raised)
        try:
            await fut
        except ValueError as exc:
            caught.append(exc)
        return {}

    builder = StateGraph(MessagesState).add_node("n", node)
    graph = builder.add_edge(START, "n").add_edge("n", END).compile()
    updates = [u async for u in graph.astream(INPUT, stream_mode="updates")]
    assert list(updates[0]) == ["n"]  # the node returned: it caught the error at its await
    assert caught == [raised]
    assert caught[0] is raised
