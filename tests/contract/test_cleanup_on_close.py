"""Contract §5: a stopped async node's cleanup (``finally: await ...``) runs to its end.

Stopping a stream cancels each async node once, where it waits, as ``task.cancel()`` does;
what its ``finally`` then awaits is not cancelled again, up to the graph's
``cleanup_grace``. Past that, the cleanup is cancelled and a ``CleanupTimeoutWarning``
names the node.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typing_extensions import TypedDict

from streamgraph import START, StateGraph
from streamgraph.errors import CleanupTimeoutWarning, ConfigurationError, StreamGraphError
from streamgraph.graph import CompiledStateGraph
from streamgraph.types import StreamWriter

Cleanup = Callable[[], Awaitable[None]]


class State(TypedDict, total=False):
    x: int


async def _sleep0_chain() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def _event_set_by_another_task() -> None:
    begun, released = asyncio.Event(), asyncio.Event()

    async def releaser() -> None:
        await begun.wait()
        released.set()

    helper = asyncio.ensure_future(releaser())
    begun.set()
    await released.wait()
    await helper


async def _timer() -> None:
    await asyncio.sleep(0.01)


CLEANUPS: dict[str, Cleanup] = {
    "sleep0-chain": _sleep0_chain,
    "event-set-by-another-task": _event_set_by_another_task,
    "timer": _timer,
}


async def _forever() -> None:
    await asyncio.Event().wait()  # ends only when cancelled


def _waiting_node(cleanup: Cleanup, log: list[str], name: str) -> Any:
    """An async node that writes one item, waits until cancelled, then cleans up."""

    async def node(state: State, writer: StreamWriter) -> dict[str, Any]:
        try:
            writer(name)
            await _forever()
        except asyncio.CancelledError:
            log.append(f"{name}: cancelled")
            raise
        finally:
            await cleanup()
            log.append(f"{name}: cleaned up")
        return {}

    return node


def _one_node(node: Any, **compile_options: Any) -> CompiledStateGraph:
    builder = StateGraph(State)
    builder.add_node("n", node)
    builder.add_edge(START, "n")
    return builder.compile(**compile_options)


async def _read_one_then_close(graph: CompiledStateGraph, door: str) -> Any:
    """Read the first ``custom`` item, then stop the stream the door's way; the item."""
    if door == "stream":
        stream = graph.stream({"x": 0}, stream_mode="custom")
        first = next(stream)
        stream.close()
    else:
        astream = graph.astream({"x": 0}, stream_mode="custom")
        first = await astream.__anext__()
        await astream.aclose()
    return first


@pytest.mark.parametrize("style", CLEANUPS)
async def test_a_cancelled_async_nodes_finally_await_completes_before_close_returns(
    door: str, style: str
) -> None:
    log: list[str] = []
    graph = _one_node(_waiting_node(CLEANUPS[style], log, "n"))
    assert await _read_one_then_close(graph, door) == "n"
    assert log == ["n: cancelled", "n: cleaned up"]


async def test_cleanup_of_a_node_in_a_task_it_started_completes(door: str) -> None:
    # the item comes from a child task (gather): the run's task is cancelled, once
    log: list[str] = []
    child = _waiting_node(_event_set_by_another_task, log, "child")

    async def node(state: State, writer: StreamWriter) -> dict[str, Any]:
        try:
            await asyncio.gather(child(state, writer))
        finally:
            await _sleep0_chain()
            log.append("parent: cleaned up")
        return {}

    graph = _one_node(node)
    assert await _read_one_then_close(graph, door) == "child"
    assert log == ["child: cancelled", "child: cleaned up", "parent: cleaned up"]


async def test_cleanup_of_async_nodes_completes_when_a_sync_sibling_streamed_last(
    door: str,
) -> None:
    # the sync node writes from a worker thread while the async one waits in its task
    log: list[str] = []
    waiting = threading.Event()

    def sync_node(state: State, writer: StreamWriter) -> dict[str, Any]:
        assert waiting.wait(10.0)
        writer("sync")
        return {}

    async def async_node(state: State) -> dict[str, Any]:
        try:
            waiting.set()
            await _forever()
        finally:
            await _event_set_by_another_task()
            log.append("async: cleaned up")
        return {}

    builder = StateGraph(State)
    builder.add_node("s", sync_node)
    builder.add_node("a", async_node)
    builder.add_edge(START, "s")
    builder.add_edge(START, "a")
    assert await _read_one_then_close(builder.compile(), door) == "sync"
    assert log == ["async: cleaned up"]


async def test_cleanup_past_the_grace_is_cancelled_with_a_typed_warning(door: str) -> None:
    log: list[str] = []

    async def stuck_cleanup() -> None:
        try:
            await _forever()
        except asyncio.CancelledError:
            log.append("cleanup cancelled")
            raise

    graph = _one_node(_waiting_node(stuck_cleanup, log, "n"), cleanup_grace=0.05)
    with pytest.warns(CleanupTimeoutWarning, match=r"node 'n'.*cleanup_grace") as caught:
        await _read_one_then_close(graph, door)
    assert log == ["n: cancelled", "cleanup cancelled"]
    assert len(caught) == 1
    warning = caught[0].message
    assert isinstance(warning, StreamGraphError) and isinstance(warning, RuntimeWarning)
    assert ("aclose()" if door == "astream" else "close()") in str(warning)


async def test_cancelling_the_task_in_aclose_cancels_the_cleanup_and_is_raised() -> None:
    log: list[str] = []
    cleaning = asyncio.Event()

    async def endless_cleanup() -> None:
        cleaning.set()
        try:
            await _forever()
        except asyncio.CancelledError:
            log.append("cleanup cancelled")
            raise

    graph = _one_node(_waiting_node(endless_cleanup, log, "n"), cleanup_grace=None)
    astream = graph.astream({"x": 0}, stream_mode="custom")
    assert await astream.__anext__() == "n"
    closing = asyncio.ensure_future(astream.aclose())
    await asyncio.wait_for(cleaning.wait(), 10.0)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert log == ["n: cancelled", "cleanup cancelled"]


@pytest.mark.parametrize("grace", [0, 0.5, 3, 1e9, math.inf, None])
def test_cleanup_grace_accepts_seconds_or_none(grace: float | None) -> None:
    graph = _one_node(_waiting_node(_sleep0_chain, [], "n"), cleanup_grace=grace)
    expected = None if grace is None or grace == math.inf else float(grace)
    assert graph.cleanup_grace == expected


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.floats(max_value=0, exclude_max=True),
        st.just(math.nan),
        st.booleans(),
        st.text(max_size=3),
        st.lists(st.integers(), max_size=2),
        st.integers(max_value=-1),
    )
)
def test_cleanup_grace_rejects_what_is_not_a_duration(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="cleanup_grace must be"):
        _one_node(_waiting_node(_sleep0_chain, [], "n"), cleanup_grace=bad)


class ConsumerError(Exception):
    """What the consumer's loop body raises."""


async def test_a_stream_left_by_an_exception_is_stopped_as_the_loop_exits(door: str) -> None:
    # dropped unclosed: `stream` closes it with its grace; `astream` cannot await there, so
    # the node is cancelled at each wait of its cleanup, but before the loop's exit is over
    log: list[str] = []
    graph = _one_node(_waiting_node(_event_set_by_another_task, log, "n"))
    with pytest.raises(ConsumerError):
        if door == "stream":
            for _item in graph.stream({"x": 0}, stream_mode="custom"):
                raise ConsumerError
        else:
            async for _item in graph.astream({"x": 0}, stream_mode="custom"):
                raise ConsumerError
    if door == "stream":
        assert log == ["n: cancelled", "n: cleaned up"]
    else:
        assert log == ["n: cancelled"]
