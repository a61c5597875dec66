"""Contract §5: stopping early, errors, recursion limit, bad stream modes."""

from __future__ import annotations

import asyncio
import itertools
import operator
import threading
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.errors import (
    GraphRecursionError,
    InvalidStreamModeError,
    RunCancelled,
    StreamGraphError,
)
from streamgraph.graph import CompiledStateGraph
from streamgraph.models import BaseChatModel, FakeChatModel
from tests.contract.helpers import calling_node, one_node_graph
from tests.contract.probe import ProbeModel

INPUTS = {"messages": [("user", "go")]}


def _graph(node: Any) -> CompiledStateGraph:
    return one_node_graph(node, "talk")


def _talker(model: BaseChatModel, kind: str) -> CompiledStateGraph:
    """The one-node graph whose ``talk`` node calls ``model``."""
    return _graph(calling_node(model, kind))


# -- stopping early ------------------------------------------------------------------------
def test_closing_sync_stream_stops_async_node_before_close_returns() -> None:
    model = ProbeModel(tokens=10_000, delay=0.001)
    stream = _talker(model, "async").stream(INPUTS, stream_mode="messages")
    got = [next(stream) for _ in range(3)]
    stream.close()
    assert [c.content for c, _ in got] == [" t0", " t1", " t2"]
    assert model.closed.is_set()
    assert model.produced < 10_000


def test_closing_sync_stream_stops_sync_node_at_its_next_chunk() -> None:
    model = ProbeModel(tokens=10_000, delay=0.001)
    stream = _talker(model, "sync").stream(INPUTS, stream_mode="messages")
    for _ in range(3):
        next(stream)
    stream.close()
    at_close = model.produced
    # bounded wait: the node notices at its next chunk and closes its provider stream
    assert model.closed.wait(1.0)
    assert model.produced <= at_close + 1


def test_breaking_out_of_sync_stream_stops_the_run() -> None:
    model = ProbeModel(tokens=10_000, delay=0.001)
    graph = _talker(model, "async")
    # written as users write it: the generator is a temporary, dropped by `break`
    for seen, _item in enumerate(graph.stream(INPUTS, stream_mode="messages"), 1):
        if seen == 2:
            break
    assert model.closed.wait(1.0)
    assert model.produced < 10_000


async def test_aclose_cancels_async_node_and_closes_its_stream_before_returning() -> None:
    model = ProbeModel(tokens=10_000, delay=0.001)
    stream = _talker(model, "async").astream(INPUTS, stream_mode="messages")
    for _ in range(3):
        await stream.__anext__()
    await stream.aclose()
    assert model.closed.is_set()
    produced = model.produced
    await asyncio.sleep(0.05)  # bounded wait: nothing more is produced after aclose()
    assert model.produced == produced < 10_000


async def test_aclose_stops_sync_node_at_its_next_chunk() -> None:
    model = ProbeModel(tokens=10_000, delay=0.001)
    stream = _talker(model, "sync").astream(INPUTS, stream_mode="messages")
    for _ in range(3):
        await stream.__anext__()
    await stream.aclose()
    at_close = model.produced
    assert await asyncio.to_thread(model.closed.wait, 1.0)
    assert model.produced <= at_close + 1


async def test_cancelling_the_consumer_task_cancels_the_run() -> None:
    model = ProbeModel(tokens=10_000, delay=0.001)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in _talker(model, "async").astream(INPUTS, stream_mode="messages"):
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(model.closed.wait, 1.0)
    assert model.produced < 10_000


def test_run_cancelled_is_not_swallowed_by_except_exception_in_a_sync_node() -> None:
    model = ProbeModel(tokens=10_000, delay=0.001)
    swallowed: list[BaseException] = []
    finished = threading.Event()

    def talk(state: MessagesState) -> dict[str, Any]:
        try:
            return {"messages": [model.invoke(state["messages"])]}
        except Exception as exc:  # user code that catches "everything"
            swallowed.append(exc)
            return {}
        except RunCancelled:
            finished.set()
            raise

    stream = _graph(talk).stream(INPUTS, stream_mode="messages")
    next(stream)
    stream.close()
    assert finished.wait(1.0)
    assert swallowed == []
    assert issubclass(RunCancelled, BaseException)
    assert not issubclass(RunCancelled, Exception)


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("node_kind", ["sync", "async"])
def test_node_error_arrives_unchanged_after_the_tokens_before_it(node_kind: str) -> None:
    boom = ValueError("provider went away")
    model = FakeChatModel(responses=["one two three four five"], error=boom, error_after=3)

    graph = _talker(model, node_kind)
    got: list[str] = []
    with pytest.raises(ValueError) as info:
        for chunk, _ in graph.stream(INPUTS, stream_mode="messages"):
            got.append(chunk.content)
    assert info.value is boom
    assert getattr(info.value, "streamgraph_node", None) == "talk"
    assert got == ["one", " two", " three"]


async def test_async_node_error_arrives_unchanged_through_astream() -> None:
    boom = KeyError("missing")
    model = FakeChatModel(responses=["a b c d"], error=boom, error_after=2)
    got: list[str] = []
    with pytest.raises(KeyError) as info:
        async for chunk, _ in _talker(model, "async").astream(INPUTS, stream_mode="messages"):
            got.append(chunk.content)
    assert info.value is boom
    assert got == ["a", " b"]


def test_invoke_raises_the_node_error_itself() -> None:
    class Custom(Exception):
        pass

    err = Custom("x")

    def bad(state: MessagesState) -> dict[str, Any]:
        raise err

    with pytest.raises(Custom) as info:
        _graph(bad).invoke(INPUTS)
    assert info.value is err


@pytest.mark.parametrize("sibling_kind", ["sync", "async"])
def test_a_failing_task_cancels_its_siblings(sibling_kind: str) -> None:
    slow = ProbeModel(tokens=10_000, delay=0.001)
    sibling = calling_node(slow, sibling_kind)

    consumer_saw_token = threading.Event()

    async def fail(state: MessagesState) -> dict[str, Any]:
        # fail only once the consumer has received one of the sibling's tokens
        await asyncio.to_thread(consumer_saw_token.wait, 5.0)
        raise RuntimeError("failed on purpose")

    graph = (
        StateGraph(MessagesState)
        .add_node("slow", sibling)
        .add_node("fail", fail)
        .add_edge(START, "slow")
        .add_edge(START, "fail")
        .compile()
    )
    tokens = 0
    with pytest.raises(RuntimeError, match="failed on purpose"):
        for _ in graph.stream(INPUTS, stream_mode="messages"):
            tokens += 1
            consumer_saw_token.set()
    assert tokens >= 1  # events produced before the failure were delivered
    assert slow.closed.wait(1.0)
    assert slow.produced < 10_000


# -- recursion limit -----------------------------------------------------------------------
class Counter(TypedDict):
    n: int
    trail: Annotated[list[str], operator.add]


def _loop_graph() -> CompiledStateGraph:
    def step(state: Counter) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    return (
        StateGraph(Counter)
        .add_node("step", step)
        .add_edge(START, "step")
        .add_conditional_edges("step", lambda s: "step")
        .compile()
    )


def _chain(length: int) -> CompiledStateGraph:
    builder = StateGraph(Counter)
    names = [f"n{i}" for i in range(length)]
    for name in names:
        builder.add_node(name, lambda s, name=name: {"trail": [name]})
    builder.add_edge(START, names[0])
    for a, b in itertools.pairwise(names):
        builder.add_edge(a, b)
    builder.add_edge(names[-1], END)
    return builder.compile()


def test_recursion_limit_ends_a_runaway_graph() -> None:
    with pytest.raises(GraphRecursionError) as info:
        _loop_graph().invoke({"n": 0}, {"recursion_limit": 5})
    assert isinstance(info.value, RecursionError)
    assert isinstance(info.value, StreamGraphError)
    assert "recursion_limit" in str(info.value)


def test_recursion_limit_counts_supersteps() -> None:
    assert _chain(4).invoke({"n": 0}, {"recursion_limit": 4})["trail"] == ["n0", "n1", "n2", "n3"]
    with pytest.raises(GraphRecursionError):
        _chain(5).invoke({"n": 0}, {"recursion_limit": 4})


def test_recursion_limit_raised_from_stream_after_the_steps_it_ran() -> None:
    updates = []
    with pytest.raises(GraphRecursionError):
        for update in _loop_graph().stream({"n": 0}, {"recursion_limit": 3}):
            updates.append(update)
    assert updates == [{"step": {"n": 1}}, {"step": {"n": 2}}, {"step": {"n": 3}}]


async def test_recursion_limit_default_is_langgraphs_10007() -> None:
    # LangGraph 1.2.22: "Recursion limit of 10007 reached ..." for the same endless loop
    updates = []
    with pytest.raises(GraphRecursionError, match="10007"):
        async for update in _loop_graph().astream({"n": 0}):
            updates.append(update)
    assert len(updates) == 10_007  # ours: exactly that many supersteps


def test_a_thirty_step_loop_ends_under_the_default_limit() -> None:
    # LangGraph 1.2.22 runs it to the end (30 items); a limit of 25 stopped it
    graph = (
        StateGraph(Counter)
        .add_node("step", lambda s: {"trail": ["x"]})
        .add_edge(START, "step")
        .add_conditional_edges("step", lambda s: END if len(s["trail"]) >= 30 else "step")
        .compile()
    )
    assert len(graph.invoke({"n": 0})["trail"]) == 30


# -- stream modes --------------------------------------------------------------------------
def test_unknown_stream_mode_is_a_value_error_naming_the_valid_ones() -> None:
    graph = _loop_graph()
    with pytest.raises(InvalidStreamModeError) as info:
        list(graph.stream({"n": 0}, stream_mode="tokens"))
    assert isinstance(info.value, ValueError)
    assert "'tokens'" in str(info.value) and "messages" in str(info.value)
    with pytest.raises(InvalidStreamModeError):
        list(graph.stream({"n": 0}, stream_mode=["updates", "nope"]))


async def test_unknown_stream_mode_raises_from_astream() -> None:
    with pytest.raises(InvalidStreamModeError):
        async for _ in _loop_graph().astream({"n": 0}, stream_mode="token"):
            pass
