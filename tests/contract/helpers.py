"""Shared pieces of the streaming-contract tests: both doors, one-node graphs, gated models.

Every behaviour is checked through ``stream`` and ``astream``; :func:`collect` and
:func:`consume` drive either door the same way so a test body is written once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from streamgraph import START, MessagesState, StateGraph
from streamgraph.graph import CompiledStateGraph
from streamgraph.messages import AIMessage, AIMessageChunk, BaseMessage
from streamgraph.models import BaseChatModel, ChatRequest, FakeChatModel
from streamgraph.prebuilt import ToolNode

DOORS = ("stream", "astream")
"""The two public streaming doors every behaviour is checked through."""

KINDS = ("sync", "async")
"""Node flavours: a sync node runs in a worker thread, an async one on the run's loop."""

TIMEOUT = 10.0
"""Upper bound for waits on events that a correct run sets almost at once."""

INPUTS: dict[str, Any] = {"messages": [("user", "hi")]}

Item = Any
Meta = dict[str, Any]


async def consume(
    graph: CompiledStateGraph,
    inputs: Any,
    door: str,
    on_item: Callable[[Item], None] | None = None,
    config: Any = None,
    **kwargs: Any,
) -> list[Item]:
    """Everything ``door`` yields for one run, calling ``on_item`` on each item as it arrives."""
    items: list[Item] = []
    if door == "stream":
        for item in graph.stream(inputs, config, **kwargs):
            items.append(item)
            if on_item is not None:
                on_item(item)
    elif door == "astream":
        async for item in graph.astream(inputs, config, **kwargs):
            items.append(item)
            if on_item is not None:
                on_item(item)
    else:
        raise AssertionError(f"unknown door {door!r}")
    return items


async def collect(
    graph: CompiledStateGraph, inputs: Any, door: str, config: Any = None, **kwargs: Any
) -> list[Item]:
    """Everything ``door`` yields for one run."""
    return await consume(graph, inputs, door, None, config, **kwargs)


def opening(gate: threading.Event, when: Callable[[Item], bool]) -> Callable[[Item], None]:
    """An ``on_item`` for :func:`consume` that sets ``gate`` whenever ``when`` accepts an item."""

    def on_item(item: Item) -> None:
        if when(item):
            gate.set()

    return on_item


async def run_invoke(graph: CompiledStateGraph, inputs: Any, door: str, config: Any = None) -> Any:
    """The final state through ``invoke`` (for the ``stream`` door) or ``ainvoke``."""
    if door == "stream":
        return graph.invoke(inputs, config)
    return await graph.ainvoke(inputs, config)


def one_node_graph(node: Any, name: str = "agent", **node_options: Any) -> CompiledStateGraph:
    """A MessagesState graph with the single node ``name`` after START."""
    builder = StateGraph(MessagesState)
    builder.add_node(name, node, **node_options)
    builder.add_edge(START, name)
    return builder.compile()


def tool_calling_graph(tool: Any, calls: list[dict[str, Any]]) -> CompiledStateGraph:
    """START -> agent -> tools: ``agent`` asks for ``calls``, a ToolNode runs them with ``tool``."""

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("", tool_calls=calls)]}  # type: ignore[arg-type]

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([tool]))
    builder.add_edge(START, "agent")
    builder.add_edge("agent", "tools")
    return builder.compile()


def calling_node(model: BaseChatModel, kind: str) -> Any:
    """A node that calls ``model`` on the conversation and returns its reply."""
    if kind == "sync":

        def call_sync(state: MessagesState) -> dict[str, Any]:
            return {"messages": [model.invoke(state["messages"])]}

        return call_sync

    async def call_async(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    return call_async


def returning_node(kind: str, make: Callable[[], Any]) -> Any:
    """A node that returns ``{"messages": [make()]}`` without calling any model."""
    if kind == "sync":

        def give_sync(state: MessagesState) -> dict[str, Any]:
            return {"messages": [make()]}

        return give_sync

    async def give_async(state: MessagesState) -> dict[str, Any]:
        return {"messages": [make()]}

    return give_async


def tagged(items: Iterable[Item], mode: str) -> list[Any]:
    """The payloads of ``mode`` in a run streamed with several modes (``(mode, payload)``)."""
    return [payload for m, payload in items if m == mode]


def chunks(items: Iterable[tuple[BaseMessage, Meta]]) -> list[tuple[AIMessageChunk, Meta]]:
    """The token chunks among ``messages`` payloads."""
    return [(m, meta) for m, meta in items if isinstance(m, AIMessageChunk)]


def wholes(items: Iterable[tuple[BaseMessage, Meta]]) -> list[tuple[BaseMessage, Meta]]:
    """The whole (non-chunk) messages among ``messages`` payloads."""
    return [(m, meta) for m, meta in items if not isinstance(m, AIMessageChunk)]


def last_ai(state: Any) -> AIMessage:
    """The last message of a state's ``messages``, checked to be an AIMessage."""
    message = state["messages"][-1]
    assert isinstance(message, AIMessage)
    return message


async def wait_in_thread(event: threading.Event) -> bool:
    """Await a ``threading.Event`` without blocking the event loop."""
    return await asyncio.to_thread(event.wait, TIMEOUT)


class GatedModel(FakeChatModel):
    """A scripted model that, after its first chunk, waits for ``gate`` before going on.

    ``passed`` records whether the gate opened (``False`` means the wait timed out), which
    is how a test proves the first token reached the consumer while the call was running.
    """

    def __init__(self, responses: list[str | AIMessage], gate: threading.Event) -> None:
        super().__init__(responses=responses)
        self.gate = gate
        self.passed: list[bool] = []

    def _first_chunk_sent(self) -> None:
        """Called after the first chunk, just before waiting for the gate."""

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        for i, chunk in enumerate(super()._stream(request)):
            yield chunk
            if i == 0:
                self._first_chunk_sent()
                self.passed.append(self.gate.wait(TIMEOUT))

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        i = 0
        async for chunk in super()._astream(request):
            yield chunk
            if i == 0:
                self._first_chunk_sent()
                self.passed.append(await wait_in_thread(self.gate))
            i += 1


class HandshakeModel(GatedModel):
    """After its first chunk, says so on ``mine`` and waits for ``theirs``.

    Two of these, crossed, make two nodes' tokens interleave without any timing: each
    node's first token is on the stream before either node sends its second.
    """

    def __init__(
        self, responses: list[str | AIMessage], mine: threading.Event, theirs: threading.Event
    ) -> None:
        super().__init__(responses, gate=theirs)
        self.mine = mine

    def _first_chunk_sent(self) -> None:
        self.mine.set()
