"""stream runs the graph in the consumer's own thread: a lone sync node runs right there,
each token is handed over before the node goes on, and neither side sees the other's
event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.errors import RunCancelled
from streamgraph.messages import AIMessageChunk, HumanMessage
from streamgraph.models import BaseChatModel
from streamgraph.models.base import ChatRequest

INPUT = {"messages": [HumanMessage("go")]}


class CountingModel(BaseChatModel):
    """Yields ``n`` chunks, counting how many it has made and in which thread."""

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


def graph_of(*nodes: Any) -> Any:
    builder = StateGraph(MessagesState)
    for node in nodes:
        builder.add_node(node)
        builder.add_edge(START, node.__name__)
        builder.add_edge(node.__name__, END)
    return builder.compile()


def calling(model: BaseChatModel, name: str = "talk", *, is_async: bool = False) -> Any:
    if is_async:

        async def anode(state: MessagesState) -> dict[str, Any]:
            return {"messages": [await model.ainvoke(state["messages"])]}

        anode.__name__ = name
        return anode

    def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    node.__name__ = name
    return node


@pytest.mark.parametrize("is_async", [False, True], ids=["sync-node", "async-node"])
def test_each_token_reaches_the_consumer_before_the_model_makes_the_next(is_async: bool) -> None:
    model = CountingModel(5)
    graph = graph_of(calling(model, is_async=is_async))
    made_when_seen = [model.made for _ in graph.stream(INPUT, stream_mode="messages")]
    assert made_when_seen == [1, 2, 3, 4, 5]


def test_a_lone_sync_node_runs_in_the_consumers_thread() -> None:
    model = CountingModel(3)
    list(graph_of(calling(model)).stream(INPUT, stream_mode="messages"))
    assert model.threads == {threading.get_ident()}


def test_nodes_of_a_parallel_step_still_run_concurrently() -> None:
    both_in = threading.Barrier(2, timeout=5)  # bounded: fails if the nodes ran one by one

    def left(state: MessagesState) -> dict[str, Any]:
        both_in.wait()
        return {}

    def right(state: MessagesState) -> dict[str, Any]:
        both_in.wait()
        return {}

    updates = list(graph_of(left, right).stream(INPUT, stream_mode="updates"))
    assert sorted(next(iter(u)) for u in updates) == ["left", "right"]


def test_the_consumer_and_a_sync_node_may_each_use_asyncio_run() -> None:
    async def answer() -> int:
        return 42

    def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessageChunk(content=str(asyncio.run(answer())))]}

    seen = []
    for _update in graph_of(node).stream(INPUT, stream_mode="updates"):
        seen.append(asyncio.run(answer()))  # between two items: no loop of the run is visible
    assert seen == [42]


async def test_a_sync_stream_inside_a_running_loop_leaves_that_loop_running() -> None:
    loop = asyncio.get_running_loop()
    model = CountingModel(3)
    for _ in graph_of(calling(model, is_async=True)).stream(INPUT, stream_mode="messages"):
        assert asyncio.get_running_loop() is loop
    assert asyncio.get_running_loop() is loop


def test_a_graph_streamed_inside_a_node_hands_its_tokens_to_both_consumers() -> None:
    inner_model = CountingModel(3)
    inner = graph_of(calling(inner_model, "inner_talk"))
    inner_seen: list[str] = []

    def outer_node(state: MessagesState) -> dict[str, Any]:
        for chunk, _meta in inner.stream(state, stream_mode="messages"):
            inner_seen.append(chunk.content)
        return {}

    outer_seen = [
        (meta["langgraph_node"], inner_model.made)
        for _chunk, meta in graph_of(outer_node).stream(INPUT, stream_mode="messages")
    ]
    assert inner_seen == ["t0 ", "t1 ", "t2 "]
    assert outer_seen == [("inner_talk", 1), ("inner_talk", 2), ("inner_talk", 3)]


def test_closing_raises_run_cancelled_where_the_node_hands_over_its_chunk() -> None:
    model = CountingModel(100)
    stopped: list[BaseException] = []

    def node(state: MessagesState) -> dict[str, Any]:
        try:
            return {"messages": [model.invoke(state["messages"])]}
        except RunCancelled as exc:
            stopped.append(exc)
            raise

    stream = graph_of(node).stream(INPUT, stream_mode="messages")
    next(stream)
    next(stream)
    stream.close()  # returns once the node has stopped: it runs in this thread
    assert len(stopped) == 1
    assert model.made == 2  # stopped at the chunk it was handing over, not the next one


def test_a_stream_can_be_read_again_after_one_was_left_early() -> None:
    graph = graph_of(calling(CountingModel(4)))
    first = graph.stream(INPUT, stream_mode="messages")
    next(first)
    first.close()
    assert len(list(graph.stream(INPUT, stream_mode="messages"))) == 4
