"""Tokens arrive as they are sent, and stopping a stream hangs up on the provider."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, cast

import pytest

from streamgraph import START, MessagesState, StateGraph
from streamgraph.errors import RunCancelled
from streamgraph.messages import AIMessageChunk
from streamgraph.models.base import BaseChatModel
from streamgraph.testing import MockProviderServer, Reply, Text

from .streams import Via

MakeModel = Callable[..., BaseChatModel]
BOUND = 5.0  # seconds: only ever waited to confirm that something stopped


def long_reply() -> Reply:
    """A reply that stops after two tokens until the test releases it."""
    return Reply(Text.tokens(50), hold_after=2)


async def test_first_token_arrives_before_the_server_sends_the_last(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text.tokens(4), hold_after=1))
    seen: list[str] = []

    def on_chunk(chunk: AIMessageChunk) -> None:
        if chunk.content and not seen:
            record = server.last_request
            assert not record.completed.is_set()
            assert record.events_sent < record.total_events
            record.release.set()
        seen.append(str(chunk.content))

    model = make_model()
    if via == "async":
        async for chunk in model.astream("hi"):
            on_chunk(chunk)
    else:
        for chunk in model.stream("hi"):
            on_chunk(chunk)
    assert "".join(seen) == "tok0 tok1 tok2 tok3"
    assert server.last_request.completed.wait(BOUND)


async def test_closing_a_sync_stream_closes_the_response(
    server: MockProviderServer, make_model: MakeModel
) -> None:
    server.enqueue(long_reply())
    stream = cast(Generator[AIMessageChunk, Any, Any], make_model().stream("hi"))
    assert next(stream).content == "tok0 "
    stream.close()
    assert server.wait_for_disconnect(timeout=BOUND)
    assert not server.last_request.completed.is_set()


async def test_breaking_out_of_a_sync_loop_closes_the_response(
    server: MockProviderServer, make_model: MakeModel
) -> None:
    server.enqueue(long_reply())
    for chunk in make_model().stream("hi"):
        assert chunk.content == "tok0 "
        break
    assert server.wait_for_disconnect(timeout=BOUND)


async def test_aclose_closes_the_response(
    server: MockProviderServer, make_model: MakeModel
) -> None:
    server.enqueue(long_reply())
    stream = cast(AsyncGenerator[AIMessageChunk, Any], make_model().astream("hi"))
    assert (await stream.__anext__()).content == "tok0 "
    await stream.aclose()
    assert await asyncio.to_thread(server.wait_for_disconnect, 1, BOUND)


async def test_cancelling_the_task_closes_the_response(
    server: MockProviderServer, make_model: MakeModel
) -> None:
    server.enqueue(long_reply())
    first = asyncio.Event()
    model = make_model()

    async def consume() -> None:
        async for _ in model.astream("hi"):
            first.set()

    task = asyncio.ensure_future(consume())
    await asyncio.wait_for(first.wait(), BOUND)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(server.wait_for_disconnect, 1, BOUND)


async def test_the_model_is_reusable_after_a_cancelled_stream(
    server: MockProviderServer, make_model: MakeModel
) -> None:
    server.enqueue(long_reply(), Reply(Text("again")))
    model = make_model()
    stream = cast(Generator[AIMessageChunk, Any, Any], model.stream("hi"))
    next(stream)
    stream.close()
    assert "".join(str(c.content) for c in model.stream("hi")) == "again"


def _worker_thread_graph(
    model: BaseChatModel, door: str, seen: list[type[BaseException]]
) -> tuple[Any, threading.Event]:
    """A graph whose sync node ``talk`` calls ``model`` in a worker thread, and an event
    set when ``talk`` has ended (what it raised goes to ``seen``).

    Under ``astream`` every sync node runs in a worker; under ``stream`` a lone one runs in
    the consumer's thread, so ``talk`` gets a sibling to make the step parallel.
    """
    done = threading.Event()

    def talk(state: MessagesState) -> dict[str, Any]:
        assert threading.current_thread() is not threading.main_thread()
        try:
            return {"messages": [model.invoke(state["messages"])]}
        except BaseException as exc:
            seen.append(type(exc))
            raise
        finally:
            done.set()

    builder = StateGraph(MessagesState)
    builder.add_node("talk", talk)
    builder.add_edge(START, "talk")
    if door == "stream":
        builder.add_node("sibling", lambda state: {})
        builder.add_edge(START, "sibling")
    return builder.compile(), done


@pytest.mark.parametrize("door", ["astream", "stream"])
async def test_stopping_a_run_hangs_up_on_a_silent_provider_under_a_worker_thread_node(
    server: MockProviderServer, make_model: MakeModel, door: str
) -> None:
    # the provider goes silent after one token; the read timeout (60 s) is far away
    server.enqueue(Reply(Text.tokens(50), hold_after=1))
    seen: list[type[BaseException]] = []
    graph, talk_done = _worker_thread_graph(make_model(timeout=60.0), door, seen)
    inputs = {"messages": [("user", "hi")]}
    if door == "astream":
        astream = graph.astream(inputs, stream_mode="messages")
        chunk, _ = await astream.__anext__()
        await astream.aclose()
    else:
        stream = graph.stream(inputs, stream_mode="messages")
        chunk, _ = next(stream)
        stream.close()
    assert chunk.content == "tok0 "
    record = server.last_request
    assert await asyncio.to_thread(record.disconnected.wait, BOUND)
    assert not record.completed.is_set()
    # the node, unblocked, stops with RunCancelled rather than a provider error
    assert await asyncio.to_thread(talk_done.wait, BOUND)
    assert seen == [RunCancelled]
