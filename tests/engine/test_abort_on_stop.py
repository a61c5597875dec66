"""abort_on_stop: stopping a run ends the I/O a sync node blocks on in a worker thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from typing_extensions import TypedDict

from streamgraph import START, StateGraph
from streamgraph.engine.context import abort_on_stop
from streamgraph.errors import RunCancelled
from streamgraph.types import StreamWriter

BOUND = 5.0  # seconds: only ever waited to confirm that something stopped


class State(TypedDict, total=False):
    x: int


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.settimeout(60.0)  # far beyond any wait here: only the abort can end the read
    with a, b:
        yield a, b


def _hang_up(sock: socket.socket) -> None:
    sock.shutdown(socket.SHUT_RDWR)


def _graph(node: Any) -> Any:
    builder = StateGraph(State)
    builder.add_node("n", node)
    builder.add_edge(START, "n")
    return builder.compile()


async def test_aclose_ends_a_blocking_read_in_a_worker_thread_node(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    raised: list[BaseException] = []
    ended = threading.Event()

    def node(state: State, writer: StreamWriter) -> dict[str, Any]:
        try:
            with abort_on_stop(lambda: _hang_up(a)):
                writer("reading")
                if not a.recv(1):
                    raise ConnectionError("the peer hung up")
        except BaseException as exc:
            raised.append(exc)
            raise
        finally:
            ended.set()
        return {}

    astream = _graph(node).astream({"x": 0}, stream_mode="custom")
    assert await astream.__anext__() == "reading"
    await astream.aclose()
    assert await asyncio.to_thread(ended.wait, BOUND)
    assert len(raised) == 1 and isinstance(raised[0], RunCancelled)
    assert isinstance(raised[0].__cause__, ConnectionError)
    b.settimeout(BOUND)
    assert b.recv(1) == b""  # the other end sees the connection closed


async def test_a_block_already_left_is_not_aborted(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    aborted: list[bool] = []
    ended = threading.Event()

    def node(state: State, writer: StreamWriter) -> dict[str, Any]:
        with abort_on_stop(lambda: aborted.append(True)):
            pass
        writer("after")
        try:
            a.recv(1)  # waits until the test writes
        finally:
            ended.set()
        return {}

    astream = _graph(node).astream({"x": 0}, stream_mode="custom")
    assert await astream.__anext__() == "after"
    await astream.aclose()
    b.sendall(b"x")
    assert await asyncio.to_thread(ended.wait, BOUND)
    assert aborted == []


async def test_a_task_stopped_before_the_block_aborts_at_once() -> None:
    stopped, ended = threading.Event(), threading.Event()
    aborted: list[bool] = []
    raised: list[BaseException] = []

    def node(state: State, writer: StreamWriter) -> dict[str, Any]:
        writer("started")
        assert stopped.wait(BOUND)
        try:
            with abort_on_stop(lambda: aborted.append(True)):
                assert aborted == [True]  # aborted on entry
                raise OSError("what the aborted I/O raises")
        except BaseException as exc:
            raised.append(exc)
        finally:
            ended.set()
        return {}

    astream = _graph(node).astream({"x": 0}, stream_mode="custom")
    assert await astream.__anext__() == "started"
    await astream.aclose()
    stopped.set()
    assert await asyncio.to_thread(ended.wait, BOUND)
    assert aborted == [True]
    assert [type(e) for e in raised] == [RunCancelled]


def test_outside_a_run_the_block_runs_plainly() -> None:
    aborted: list[bool] = []
    with pytest.raises(OSError, match="plain"), abort_on_stop(lambda: aborted.append(True)):
        raise OSError("plain")
    assert aborted == []
