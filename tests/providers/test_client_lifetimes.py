"""How long an SDK model's clients live: per event loop, bounded, and fresh after a fork."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import select
import signal
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.models._provider import SDKChatModel
from streamgraph.models.base import BaseChatModel
from streamgraph.testing import MockProviderServer, Reply, Text

BOUND = 30.0  # seconds: only ever waited to confirm that something happened


def track_clients(model: BaseChatModel) -> tuple[list[weakref.ref[Any]], list[Any]]:
    """Weak references to every SDK client ``model`` makes, and their HTTP clients (kept)."""
    assert isinstance(model, SDKChatModel)
    pool = model._clients
    made, http = [], []
    make = pool._make

    def tracked(is_async: bool) -> Any:
        client = make(is_async)
        made.append(weakref.ref(client))
        http.append(client._client)
        return client

    pool._make = tracked
    return made, http


def alive(refs: list[weakref.ref[Any]]) -> int:
    gc.collect()
    return sum(ref() is not None for ref in refs)


def test_a_model_under_many_asyncio_runs_keeps_no_client_of_a_finished_loop(
    make_model: Callable[..., BaseChatModel], server: MockProviderServer
) -> None:
    server.default = Reply(Text("hello"))
    model = make_model()
    made, http = track_clients(model)
    for _ in range(300):
        assert asyncio.run(model.ainvoke("hi")).content == "hello"
    assert len(made) == 300  # one client per loop, as a connection belongs to its loop
    assert alive(made) <= 2
    assert all(client.is_closed for client in http)  # closed with their loops, not collected


def test_clients_of_loops_closed_without_shutting_down_are_let_go(
    make_model: Callable[..., BaseChatModel],
) -> None:
    model = make_model()
    assert isinstance(model, SDKChatModel)
    made, _ = track_clients(model)
    for _ in range(50):
        loop = asyncio.new_event_loop()
        loop.run_until_complete(model._async_client())
        loop.close()  # no shutdown_asyncgens: the pool never hears of it
    assert len(made) == 50
    assert alive(made) <= 2


# -- fork --------------------------------------------------------------------------------

PARENT = Text(pieces=tuple(f"parent{i} " for i in range(8)))
CHILD = Text(pieces=tuple(f"child{i} " for i in range(8)))


def _graph(model: BaseChatModel, *, use_async: bool = False) -> Any:
    def call(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    async def acall(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("call", acall if use_async else call)
    builder.add_edge(START, "call")
    builder.add_edge("call", END)
    return builder.compile()


def _streamed_text(model: BaseChatModel, prompt: str, via: str) -> str:
    if via == "model":
        return "".join(str(chunk.content) for chunk in model.stream(prompt))
    items = _graph(model).stream({"messages": [("user", prompt)]}, stream_mode="messages")
    return "".join(str(chunk.content) for chunk, _ in items)


def _idle_connections(model: BaseChatModel) -> int:
    assert isinstance(model, SDKChatModel)
    pool = model._sync_client()._client._transport._pool
    return sum(connection.is_idle() for connection in pool.connections)


def _fork() -> int:
    with warnings.catch_warnings():
        # 3.12+ warns that a process with threads (the mock server's) forks; the child
        # here only streams, with the clients it makes itself.
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _in_child(write_fd: int, work: Callable[[], str]) -> None:
    try:
        result = {"text": work()}
    except BaseException as exc:  # reported to the parent, which fails the test
        result = {"error": repr(exc)}
    finally:
        os.write(write_fd, json.dumps(result).encode())
        os._exit(0)


def _child_result(pid: int, read_fd: int) -> dict[str, Any]:
    data = b""
    try:
        while True:
            ready, _, _ = select.select([read_fd], [], [], BOUND)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                pytest.fail("the forked child did not report in time")
            piece = os.read(read_fd, 65536)
            if not piece:
                break
            data += piece
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return dict(json.loads(data))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.timeout(120)  # a loop the child broke would leave the parent waiting for ever
@pytest.mark.parametrize("via", ["model", "graph"])
def test_parent_and_forked_child_stream_at_once_each_on_its_own_connection(
    make_model: Callable[..., BaseChatModel], server: MockProviderServer, via: str
) -> None:
    server.on_prompt("warm up", Reply(Text("ready")))
    # Each answer waits after two tokens until both requests are in: the streams overlap.
    server.on_prompt("parent", Reply(PARENT, hold_after=2))
    server.on_prompt("child", Reply(CHILD, hold_after=2))
    model = make_model()
    assert model.invoke("warm up").content == "ready"  # a whole reply: its connection is kept
    assert _idle_connections(model) == 1
    read_fd, write_fd = os.pipe()
    pid = _fork()
    if pid == 0:
        os.close(read_fd)
        _in_child(write_fd, lambda: _streamed_text(model, "child", via))
    os.close(write_fd)

    def release_when_both_are_in() -> None:
        if server.wait_for_requests(3, BOUND):
            server.release_all()

    releaser = threading.Thread(target=release_when_both_are_in)
    releaser.start()
    try:
        parent_text = _streamed_text(model, "parent", via)
    finally:
        releaser.join()
        child = _child_result(pid, read_fd)
    assert child == {"text": CHILD.text}
    assert parent_text == PARENT.text
    assert len(server.requests) == 3
    assert all(r.completed.is_set() and not r.disconnected.is_set() for r in server.requests)
    # The parent's private loops still wake when other threads call on them (the child did
    # not close its copies, whose selectors it shares with the parent).
    graph = _graph(make_model(disable_streaming=True), use_async=True)
    items = graph.stream({"messages": [("user", "warm up")]}, stream_mode="messages")
    assert "".join(str(chunk.content) for chunk, _ in items) == "ready"
