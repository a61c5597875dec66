"""CompiledStateGraph: the public doors (stream, astream, invoke, ainvoke) into one loop.

Each door sets up a :class:`RunState` and drives :meth:`GraphRun.execute`: ``stream`` on
a host thread of its own, read from any thread (:mod:`streamgraph.engine.hosted`),
``astream`` stepped by the consumer's own task (:mod:`streamgraph.engine.driver`),
``invoke`` on a private loop in the caller's thread (:mod:`streamgraph.engine.green`) and
``ainvoke`` by awaiting it. Either way a token is in the consumer's hands before the node
goes on. Nothing else differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

from streamgraph._ids import new_id
from streamgraph.config import RunnableConfig, check_config
from streamgraph.engine.bus import AsyncBus, End
from streamgraph.engine.context import RunState, TaskContext, current_task, payload_only
from streamgraph.engine.driver import DropWatch, InlineRun
from streamgraph.engine.grace import DEFAULT_CLEANUP_GRACE, Cleanup, check_cleanup_grace
from streamgraph.engine.green import run_here
from streamgraph.engine.hosted import HostedRun
from streamgraph.engine.loop import GraphRun
from streamgraph.engine.persist import Persistence
from streamgraph.engine.plan import GraphPlan
from streamgraph.engine.tasks import ParentCommand
from streamgraph.errors import ConfigurationError, InvalidStreamModeError
from streamgraph.runtime import coerce_context
from streamgraph.types import STREAM_MODES, Command

if TYPE_CHECKING:
    from streamgraph.checkpoint.base import BaseCheckpointSaver
    from streamgraph.graph.state import StateGraph

__all__ = ["CompiledStateGraph"]

Shape = Callable[[tuple[str, ...], str, Any], Any]


def _modes(stream_mode: Any) -> tuple[tuple[str, ...], bool]:
    """The requested modes, and whether items carry their mode (several were asked for)."""
    if isinstance(stream_mode, str):
        modes, tagged = (stream_mode,), False
    elif isinstance(stream_mode, (list, tuple)) and stream_mode:
        modes, tagged = tuple(stream_mode), True
    else:
        raise InvalidStreamModeError(
            f"stream_mode must be a mode name or a non-empty list of them, got {stream_mode!r}; "
            f"valid modes: {', '.join(STREAM_MODES)}"
        )
    for mode in modes:
        if mode not in STREAM_MODES:
            raise InvalidStreamModeError(
                f"unknown stream mode {mode!r}; valid modes: {', '.join(STREAM_MODES)}"
            )
    return tuple(dict.fromkeys(modes)), tagged


def _shape(tagged: bool, subgraphs: bool, version: str) -> Shape:
    if version == "v2":
        return lambda ns, mode, data: {"type": mode, "ns": ns, "data": data}
    if version != "v1":
        raise ConfigurationError(f"version must be 'v1' or 'v2', got {version!r}")
    if tagged:
        if subgraphs:
            return lambda ns, mode, data: (ns, mode, data)
        return lambda ns, mode, data: (mode, data)
    if subgraphs:
        return lambda ns, mode, data: (ns, data)
    return payload_only


def _inherit(parent: TaskContext, given: RunnableConfig) -> RunnableConfig:
    """The config of a graph run inside ``parent``'s node: the node's, then what was given."""
    cfg: RunnableConfig = {**parent.config, **given}
    cfg["tags"] = list(dict.fromkeys([*parent.tags, *(given.get("tags") or [])]))
    cfg["metadata"] = {**parent.user_metadata, **(given.get("metadata") or {})}
    return cfg


def _noop(item: Any) -> None:
    return None


class CompiledStateGraph:
    """A graph ready to run. Build one with ``StateGraph(...).compile()``."""

    stream_mode: str = "updates"

    def __init__(
        self,
        builder: StateGraph[Any],
        *,
        name: str,
        debug: bool = False,
        cleanup_grace: float | None = DEFAULT_CLEANUP_GRACE,
        checkpointer: BaseCheckpointSaver | None = None,
    ) -> None:
        self.builder = builder
        self.name = name
        self.debug = debug
        self.cleanup_grace = check_cleanup_grace(cleanup_grace)
        self.checkpointer = checkpointer
        self.plan = GraphPlan(builder)

    @property
    def nodes(self) -> dict[str, Any]:
        """The nodes by name (the callables as added)."""
        return {name: spec.fn for name, spec in self.plan.nodes.items()}

    def __repr__(self) -> str:
        return f"<CompiledStateGraph {self.name!r} nodes={list(self.plan.nodes)}>"

    # -- setup shared by every door ----------------------------------------------------
    def _root_run(
        self,
        config: RunnableConfig | None,
        stream_mode: Any,
        subgraphs: bool,
        version: str,
        emit: Callable[[Any], None],
        context: Any,
        *,
        silent: bool = False,
        inline_sync: bool = False,
    ) -> GraphRun:
        """A run with its own consumer; inside a node, nested in that node's run."""
        modes, tagged = _modes(stream_mode if stream_mode is not None else self.stream_mode)
        parent = current_task()
        cfg = check_config(config)
        if parent:
            cfg = _inherit(parent, cfg)
        run_id = cfg.get("run_id") or (parent.run.run_id if parent else new_id())
        run = RunState(
            run_id=str(run_id),
            modes=frozenset() if silent else frozenset(modes),
            subgraphs=subgraphs,
            emit=emit,
            shape=_shape(tagged, subgraphs, version),
            parent=parent.run if parent else None,
            parent_ns=parent.child_ns if parent else (),
        )
        if context is None and parent is not None:
            context = parent.context
        else:
            context = coerce_context(self.plan.context_schema, context)
        saver = self.checkpointer
        persist = None
        if saver is not None and parent is None:  # a subgraph's own persistence comes later
            persist = Persistence(saver, cfg, run.run_id, sync=inline_sync)
        return GraphRun(
            self.plan,
            run,
            cfg,
            parent_checkpoint_ns=parent.checkpoint_ns if parent else "",
            inline_sync=inline_sync,
            context=context,
            persist=persist,
        )

    def _nested_run(
        self, parent: TaskContext, config: RunnableConfig | None, context: Any
    ) -> GraphRun:
        cfg = _inherit(parent, check_config(config))
        if context is None:
            context = parent.context
        else:
            context = coerce_context(self.plan.context_schema, context)
        return GraphRun(
            self.plan,
            parent.run,
            cfg,
            ns=parent.child_ns,
            parent_checkpoint_ns=parent.checkpoint_ns,
            context=context,
        )

    async def run_as_node(self, node_input: Any, parent: TaskContext) -> Any:
        """Run this graph as a node of another graph, streaming into the parent's run."""
        graph_run = self._nested_run(parent, None, None)
        if isinstance(node_input, dict):
            node_input = {k: v for k, v in node_input.items() if k in graph_run.channels}
        try:
            return await graph_run.execute(node_input)
        except ParentCommand as pc:
            return Command(update=pc.command.update, goto=pc.command.goto)

    # -- streaming ---------------------------------------------------------------------
    def stream(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stream_mode: Any = None,
        subgraphs: bool = False,
        context: Any = None,
        version: str = "v1",
    ) -> Generator[Any, None, None]:
        """Run the graph, yielding what ``stream_mode`` asks for as it happens.

        ::

            for chunk, meta in graph.stream(inputs, stream_mode="messages"):
                if meta["langgraph_node"] == "writer":
                    print(chunk.content, end="", flush=True)

        Leaving the loop early stops the run.
        """
        hosted = HostedRun()
        graph_run = self._root_run(
            config, stream_mode, subgraphs, version, hosted.put, context, inline_sync=True
        )
        hosted.start(graph_run.execute(input))
        items, pump = hosted.items, hosted.pump
        finished = False
        try:
            while True:
                if not items:
                    pump()
                item = items.popleft()
                if item.__class__ is End:
                    break
                yield item
            finished = True
            item.reraise()
        finally:
            if not finished:
                graph_run.run.cancel()
                hosted.close(Cleanup(graph_run.run, self.cleanup_grace))

    def astream(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stream_mode: Any = None,
        subgraphs: bool = False,
        context: Any = None,
        version: str = "v1",
    ) -> AsyncGenerator[Any, None]:
        """Async twin of :meth:`stream`, for servers and chat UIs::

        async for chunk, meta in graph.astream(inputs, stream_mode="messages"):
            await websocket.send_text(chunk.content)

        Leaving the loop early stops the run: ``aclose()`` lets the nodes' cleanup finish
        (see ``cleanup_grace``); a stream dropped unclosed is stopped where it was dropped.
        """
        watch = DropWatch()
        stream = self._astream(input, config, stream_mode, subgraphs, context, version, watch)
        watch.watch(stream)
        return stream

    async def _astream(
        self,
        input: Any,
        config: RunnableConfig | None,
        stream_mode: Any,
        subgraphs: bool,
        context: Any,
        version: str,
        watch: DropWatch,
    ) -> AsyncGenerator[Any, None]:
        bus = AsyncBus(asyncio.get_running_loop())
        graph_run = self._root_run(config, stream_mode, subgraphs, version, bus.put, context)
        inline = InlineRun(graph_run.execute(input), bus)
        watch.arm(inline, graph_run.run.cancel)
        items = bus.items
        finished = False
        try:
            while True:
                if not items and not inline.advance():
                    await inline.fill()
                item = items.popleft()
                if item.__class__ is End:
                    break
                yield item
            finished = True
            item.reraise()
        finally:
            if not finished:
                graph_run.run.cancel()
                cleanup = Cleanup(graph_run.run, self.cleanup_grace)
                await inline.cancel(cleanup)
                cleanup.report("aclose()")

    # -- invoking ----------------------------------------------------------------------
    def invoke(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stream_mode: Any = "values",
        context: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Run the graph to the end and return the final state.

        Called inside a node of another graph, this graph's tokens and events stream
        into that graph's run.
        """
        self._reject(kwargs)
        if stream_mode != "values":
            return list(self.stream(input, config, stream_mode=stream_mode, context=context))
        parent = current_task()
        if parent is not None:
            graph_run = self._nested_run(parent, config, context)
            graph_run.runner.inline_sync = True
        else:
            graph_run = self._root_run(
                config, "values", False, "v1", _noop, context, silent=True, inline_sync=True
            )
        try:
            return run_here(graph_run.execute(input))
        except BaseException:
            graph_run.run.cancel()  # the caller was interrupted: stop what still runs
            raise

    async def ainvoke(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stream_mode: Any = "values",
        context: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Async twin of :meth:`invoke`."""
        self._reject(kwargs)
        if stream_mode != "values":
            items = self.astream(input, config, stream_mode=stream_mode, context=context)
            return [i async for i in items]
        parent = current_task()
        if parent is not None:
            graph_run = self._nested_run(parent, config, context)
        else:
            graph_run = self._root_run(config, "values", False, "v1", _noop, context, silent=True)
        return await graph_run.execute(input)

    def batch(self, inputs: Sequence[Any], config: RunnableConfig | None = None) -> list[Any]:
        """``invoke`` each input, in order."""
        return [self.invoke(i, config) for i in inputs]

    async def abatch(
        self, inputs: Sequence[Any], config: RunnableConfig | None = None
    ) -> list[Any]:
        """``ainvoke`` every input concurrently."""
        return list(await asyncio.gather(*(self.ainvoke(i, config) for i in inputs)))

    @staticmethod
    def _reject(kwargs: dict[str, Any]) -> None:
        if kwargs:
            raise ConfigurationError(
                f"unexpected option(s) {sorted(kwargs)}; invoke() takes input, config, "
                "stream_mode and context"
            )
