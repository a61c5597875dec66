"""Tokens arrive as they are sent, and stopping a stream hangs up on the provider."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, cast

import pytest

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
