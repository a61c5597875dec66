"""A sync stream may be read from any thread: each ``next()`` where a server's pool puts it,
several streams at once, closed from another thread; tokens of threads a node starts arrive
while it runs; threads that read streams leave nothing behind."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import socket
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.errors import RunCancelled
from streamgraph.messages import AIMessageChunk, HumanMessage
from streamgraph.models.base import ChatRequest
from tests.graph.counting import CountingModel

INPUT = {"messages": [HumanMessage("go")]}
WAIT = 10.0  # bounded waits: a test fails instead of hanging


def one_node(node: Any) -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("talk", node)
    builder.add_edge(START, "talk")
    builder.add_edge("talk", END)
    return builder.compile()


def calling(model: CountingModel) -> Any:
    def talk(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    return talk


class ClosingModel(CountingModel):
    """Counts, and records when its stream is closed."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.closed = threading.Event()

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        try:
            yield from super()._stream(request)
        finally:
            self.closed.set()


# -- a real server moving each next() between its pool's threads ------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tokens(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def test_starlette_streams_20_sync_generators_at_once_each_complete_and_in_order() -> None:
    n_tokens = 50
    graph = one_node(calling(CountingModel(n_tokens)))
    threads_used: set[int] = set()

    def sync_gen(tag: str) -> Iterator[str]:
        for chunk, _meta in graph.stream(INPUT, stream_mode="messages"):
            threads_used.add(threading.get_ident())
            yield f"{tag}:{chunk.content.strip()}\n"

    async def endpoint(request: Request) -> StreamingResponse:
        return StreamingResponse(sync_gen(request.path_params["tag"]), media_type="text/plain")

    app = Starlette(routes=[Route("/stream/{tag}", endpoint)])
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    try:

        async def clients() -> list[str]:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=WAIT) as c:
                for _ in range(200):  # wait (bounded) for the server to listen
                    if server.started:
                        break
                    await asyncio.sleep(0.05)
                assert server.started

                async def one(i: int) -> str:
                    response = await c.get(f"/stream/{i}")
                    assert response.status_code == 200
                    return response.text

                return await asyncio.gather(*(one(i) for i in range(20)))

        bodies = asyncio.run(clients())
    finally:
        server.should_exit = True
        serving.join(WAIT)
    assert not serving.is_alive()
    for i, body in enumerate(bodies):
        assert _tokens(body) == [f"{i}:t{k}" for k in range(n_tokens)]
    assert len(threads_used) > 1  # the pool did move the generators between its threads


# -- a thread pool, each next() on another thread ------------------------------------------------
def _next_on_a_new_thread(pool: list[ThreadPoolExecutor], stream: Iterator[Any], i: int) -> Any:
    return pool[i % len(pool)].submit(next, stream, None).result(WAIT)


def test_each_next_on_a_different_thread_gets_every_token_in_order() -> None:
    pools = [ThreadPoolExecutor(1) for _ in range(4)]  # one thread each: the next() hops
    try:
        graph = one_node(calling(CountingModel(30)))
        stream = graph.stream(INPUT, stream_mode="messages")
        seen, threads = [], set()
        for i in range(100):
            item = _next_on_a_new_thread(pools, stream, i)
            if item is None:
                break
            seen.append(item[0].content)
        for p in pools:
            threads.add(p.submit(threading.get_ident).result(WAIT))
    finally:
        for p in pools:
            p.shutdown()
    assert seen == [f"t{k} " for k in range(30)]
    assert len(threads) == 4


def test_several_streams_read_by_one_pool_each_get_their_own_tokens() -> None:
    def read(i: int) -> list[str]:
        model = CountingModel(20)
        stream = one_node(calling(model)).stream(INPUT, stream_mode="messages")
        return [f"{i}:{chunk.content}" for chunk, _ in stream]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(read, range(16)))
    for i, got in enumerate(results):
        assert got == [f"{i}:t{k} " for k in range(20)]


def test_closing_from_another_thread_stops_the_node_and_closes_its_model_stream() -> None:
    model = ClosingModel(1000)
    stopped: list[BaseException] = []

    def talk(state: MessagesState) -> dict[str, Any]:
        try:
            return {"messages": [model.invoke(state["messages"])]}
        except RunCancelled as exc:
            stopped.append(exc)
            raise

    stream = one_node(talk).stream(INPUT, stream_mode="messages")
    with ThreadPoolExecutor(1) as a, ThreadPoolExecutor(1) as b:
        assert a.submit(next, stream).result(WAIT)[0].content == "t0 "
        assert b.submit(next, stream).result(WAIT)[0].content == "t1 "
        a.submit(stream.close).result(WAIT)  # returns once the node has unwound
    assert model.closed.is_set()
    assert len(stopped) == 1
    assert model.made == 2


def test_closing_from_another_thread_while_a_sync_node_puts_items_stops_it_there() -> None:
    written: list[int] = []
    stopped = threading.Event()

    def talk(state: MessagesState, writer: Any) -> dict[str, Any]:
        try:
            for i in range(1000):
                writer(i)
                written.append(i)
        except RunCancelled:
            stopped.set()
            raise
        return {}

    stream = one_node(talk).stream(INPUT, stream_mode="custom")
    with ThreadPoolExecutor(1) as a, ThreadPoolExecutor(1) as b:
        assert a.submit(next, stream).result(WAIT) == 0
        assert b.submit(next, stream).result(WAIT) == 1
        b.submit(stream.close).result(WAIT)
    assert stopped.is_set()
    assert written == [0]  # the node waited to be asked for more after each item


# -- threads a sync node starts itself ---------------------------------------------------------
def test_tokens_of_a_thread_a_sync_node_starts_arrive_while_the_node_runs() -> None:
    model = CountingModel(16)
    consumer_saw_first = threading.Event()
    live: list[bool] = []

    def talk(state: MessagesState) -> dict[str, Any]:
        replies: list[Any] = []
        ctx = contextvars.copy_context()
        child = threading.Thread(
            target=ctx.run, args=(lambda: replies.append(model.invoke(state["messages"])),)
        )
        child.start()
        # the consumer sets it once it holds the child's first token: only if it is live
        live.append(consumer_saw_first.wait(WAIT))
        child.join(WAIT)
        return {"messages": replies}

    seen = []
    for chunk, meta in one_node(talk).stream(INPUT, stream_mode="messages"):
        seen.append(chunk.content)
        assert meta["langgraph_node"] == "talk"
        consumer_saw_first.set()
    assert live == [True]
    assert seen[:16] == [f"t{k} " for k in range(16)]


def test_tokens_of_a_thread_a_sync_node_starts_arrive_live_with_several_modes() -> None:
    model = CountingModel(4)
    first = threading.Event()
    live: list[bool] = []

    def talk(state: MessagesState) -> dict[str, Any]:
        with ThreadPoolExecutor(1) as pool:
            ctx = contextvars.copy_context()
            future = pool.submit(ctx.run, model.invoke, state["messages"])
            live.append(first.wait(WAIT))
            return {"messages": [future.result(WAIT)]}

    kinds = []
    for kind, _payload in one_node(talk).stream(INPUT, stream_mode=["messages", "updates"]):
        kinds.append(kind)
        first.set()
    assert live == [True]
    assert kinds == ["messages"] * 4 + ["updates"]


# -- nothing left behind -----------------------------------------------------------------------
def _alive(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


def test_200_threads_that_read_streams_and_ended_leave_no_greenlets_or_loops() -> None:
    graph = one_node(calling(CountingModel(5)))

    def read(i: int) -> None:
        stream = graph.stream(INPUT, stream_mode="messages")
        if i % 3 == 0:
            next(stream)
            stream.close()  # some leave early
        else:
            assert len(list(stream)) == 5

    def threads_reading() -> None:
        for start in range(0, 200, 20):
            batch = [threading.Thread(target=read, args=(i,)) for i in range(start, start + 20)]
            for t in batch:
                t.start()
            for t in batch:
                t.join(WAIT)
                assert not t.is_alive()

    threads_reading()  # the host threads behind the streams are started and kept
    loops_before = _alive(asyncio.AbstractEventLoop)
    threads_reading()
    assert _alive(asyncio.AbstractEventLoop) <= loops_before
    assert "greenlet" not in sys.modules  # streams take no greenlets at all


@pytest.mark.parametrize("early", [False, True])
def test_a_sync_stream_read_in_a_thread_pool_holds_no_loop_of_the_reading_threads(
    early: bool,
) -> None:
    graph = one_node(calling(CountingModel(3)))
    with ThreadPoolExecutor(2) as pool:

        def read() -> bool:
            stream = graph.stream(INPUT, stream_mode="messages")
            next(stream)
            if early:
                stream.close()
            else:
                list(stream)
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return True
            return False

        assert all(pool.submit(read).result(WAIT) for _ in range(4))
