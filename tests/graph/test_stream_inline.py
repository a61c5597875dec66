"""stream runs the graph on a host thread of its own: the consumer pulls a lone sync node's
model stream itself, each token is handed over before the node goes on, and neither side
sees the other's event loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.engine.hosted import HostedRun
from streamgraph.errors import RunCancelled
from streamgraph.messages import AIMessageChunk, HumanMessage
from streamgraph.models import BaseChatModel
from streamgraph.models.base import ChatRequest
from tests.graph.counting import CountingModel

INPUT = {"messages": [HumanMessage("go")]}


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


def test_a_lone_sync_nodes_model_stream_is_pulled_in_the_consumers_thread() -> None:
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
    stream.close()  # returns once the node has stopped
    assert len(stopped) == 1
    assert model.made == 2  # stopped at the chunk it was handing over, not the next one


def test_a_stream_can_be_read_again_after_one_was_left_early() -> None:
    graph = graph_of(calling(CountingModel(4)))
    first = graph.stream(INPUT, stream_mode="messages")
    next(first)
    first.close()
    assert len(list(graph.stream(INPUT, stream_mode="messages"))) == 4


@pytest.mark.parametrize("width", [2, 5])
def test_invoke_runs_blocking_nodes_of_a_parallel_step_side_by_side(width: int) -> None:
    all_in = threading.Barrier(width, timeout=5)  # bounded: fails unless all run at once
    threads: set[int] = set()

    def make(i: int) -> Any:
        def node(state: MessagesState) -> dict[str, Any]:
            threads.add(threading.get_ident())
            all_in.wait()
            return {"messages": [AIMessageChunk(content=f"n{i}")]}

        node.__name__ = f"n{i}"
        return node

    final = graph_of(*(make(i) for i in range(width))).invoke(INPUT)
    assert sorted(m.content for m in final["messages"][1:]) == [f"n{i}" for i in range(width)]
    assert len(threads) == width


def test_invoke_runs_quick_nodes_of_a_parallel_step_in_the_callers_thread() -> None:
    threads: list[int] = []

    def make(i: int) -> Any:
        def node(state: MessagesState) -> dict[str, Any]:
            threads.append(threading.get_ident())
            return {}

        node.__name__ = f"n{i}"
        return node

    graph_of(*(make(i) for i in range(4))).invoke(INPUT)
    assert len(threads) == 4
    assert threading.get_ident() in threads  # the caller took part instead of only waiting


def test_invoke_raises_the_first_error_of_a_parallel_step() -> None:
    def fine(state: MessagesState) -> dict[str, Any]:
        return {}

    def fails(state: MessagesState) -> dict[str, Any]:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        graph_of(fine, fails).invoke(INPUT)


def test_async_nodes_and_edges_of_a_sync_run_have_a_current_task() -> None:
    seen: list[bool] = []

    async def step(state: MessagesState) -> dict[str, Any]:
        seen.append(asyncio.current_task() is not None)  # before any await
        return {}

    async def route(state: MessagesState) -> str:
        seen.append(asyncio.current_task() is not None)
        return END

    def first(state: MessagesState) -> dict[str, Any]:
        return {}

    builder = StateGraph(MessagesState).add_node("first", first).add_node("step", step)
    builder.add_edge(START, "first").add_edge("first", "step")
    graph = builder.add_conditional_edges("step", route).compile()
    graph.invoke(INPUT)
    list(graph.stream(INPUT, stream_mode="updates"))
    assert seen == [True, True, True, True]


def test_context_set_by_a_sync_node_stays_in_its_run() -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="caller")

    def setter(state: MessagesState) -> dict[str, Any]:
        var.set("node")
        return {}

    graph_of(setter).invoke(INPUT)
    list(graph_of(setter).stream(INPUT, stream_mode="updates"))
    assert var.get() == "caller"


def test_what_a_failed_runs_workers_put_later_is_not_handed_over_in_later_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started, release, woken = threading.Event(), threading.Event(), threading.Event()
    put = HostedRun.put

    def recorded_put(self: HostedRun, item: Any) -> None:
        put(self, item)
        if isinstance(item, dict) and "late" in item:
            woken.set()

    monkeypatch.setattr(HostedRun, "put", recorded_put)

    def fails(state: MessagesState) -> dict[str, Any]:
        started.wait(5)  # bounded: fail once the other node runs
        raise KeyError("boom")

    def late(state: MessagesState) -> dict[str, Any]:
        started.set()
        release.wait(5)  # bounded: returns after its run has failed
        return {}  # its "updates" event is put from this worker thread

    with pytest.raises(KeyError):
        list(graph_of(fails, late).stream(INPUT, stream_mode="updates"))
    release.set()
    assert woken.wait(5)
    # the late item went to the failed run, which nobody reads any more
    model = CountingModel(3)
    graph = graph_of(calling(model, is_async=True))
    for _ in range(2):
        assert len(list(graph.stream(INPUT, stream_mode="messages"))) == 3


class ContextModel(CountingModel):
    """Reads and sets a context variable while it streams, then fails if told to."""

    def __init__(self, n: int, var: contextvars.ContextVar[str], fail: bool = False) -> None:
        super().__init__(n)
        self.var = var
        self.fail = fail
        self.seen: list[str] = []

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        self.seen.append(self.var.get())
        self.var.set("set by the model")
        yield from super()._stream(request)
        if self.fail:
            raise ValueError("the provider went away")


def test_a_model_streamed_by_a_sync_node_runs_in_that_nodes_context() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    model = ContextModel(3, var)
    after: list[str] = []

    def node(state: MessagesState) -> dict[str, Any]:
        var.set("set by the node")
        reply = model.invoke(state["messages"])
        after.append(var.get())
        return {"messages": [reply]}

    chunks = [c.content for c, _ in graph_of(node).stream(INPUT, stream_mode="messages")]
    assert chunks[:3] == ["t0 ", "t1 ", "t2 "]
    assert model.seen == ["set by the node"]
    assert after == ["set by the model"]
    assert var.get() == "unset"  # the consumer's own context is untouched


def test_a_node_catches_its_models_error_after_the_tokens_went_out() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    model = ContextModel(2, var, fail=True)

    def node(state: MessagesState) -> dict[str, Any]:
        try:
            model.invoke(state["messages"])
        except ValueError as exc:
            return {"messages": [AIMessageChunk(content=f"fallback: {exc}")]}
        raise AssertionError("the model's error must reach the node")

    seen = [c.content for c, _ in graph_of(node).stream(INPUT, stream_mode="messages")]
    assert seen == ["t0 ", "t1 ", "fallback: the provider went away"]
