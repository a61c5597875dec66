"""The superstep loop: the one implementation every public method drives.

A step runs its tasks concurrently (async nodes as asyncio tasks, sync nodes in worker
threads), each task streams its events as they happen, and the writes of all tasks are
applied together at the barrier, in task order (pulled nodes by name, then Sends in the
order they were made, as LangGraph orders task paths), so the result does not depend on
which task finished first. Routes (edges, joins, branches, Commands, Sends) decide the next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streamgraph.config import DEFAULT_RECURSION_LIMIT, RunnableConfig
from streamgraph.engine.channels import MISSING
from streamgraph.engine.context import RunState
from streamgraph.engine.green import task_point
from streamgraph.engine.messages import coerce_message_writes
from streamgraph.engine.persist import Persistence
from streamgraph.engine.plan import END, START, GraphPlan, Join
from streamgraph.engine.tasks import Task, TaskRunner
from streamgraph.errors import GraphRecursionError, InvalidUpdateError, UnknownNodeError
from streamgraph.graph.nodes import Branch
from streamgraph.types import Send

__all__ = ["GraphRun"]

_INPUT = "the graph input"


class GraphRun:
    """One execution of one graph (the root, or a subgraph inside a task)."""

    def __init__(
        self,
        plan: GraphPlan,
        run: RunState,
        config: RunnableConfig,
        *,
        ns: tuple[str, ...] = (),
        parent_checkpoint_ns: str = "",
        inline_sync: bool = False,
        context: Any = None,
        persist: Persistence | None = None,
    ) -> None:
        self.plan = plan
        self.run = run
        self.config = config
        self.ns = ns
        self.channels = plan.channels
        self.values: dict[str, Any] = {k: ch.initial() for k, ch in self.channels.items()}
        self.join_seen: dict[Join, set[str]] = {}
        self.written_by: dict[str, str] = {}  # who last wrote each key, for error messages
        self.recursion_limit = int(config.get("recursion_limit", DEFAULT_RECURSION_LIMIT))
        self.runner = TaskRunner(self, parent_checkpoint_ns, inline_sync, context)
        self.want_values = run.wants(ns, "values")
        self.persist = persist

    # -- the loop ----------------------------------------------------------------------
    async def execute(self, graph_input: Any) -> Any:
        """Run to completion and return the output state."""
        persist = self.persist
        if persist is not None:
            self._restore(await persist.load())
        written = self._apply_input(graph_input)
        if persist is not None:
            await persist.save(self.values, written, "input")
        routes = await self._routes_from(START, self.values, [])
        step = 0
        while True:
            tasks = self._next_tasks(routes, step + 1)
            if not tasks:
                break
            step += 1
            if step > self.recursion_limit:
                raise GraphRecursionError(
                    f"recursion limit of {self.recursion_limit} reached without hitting a stop "
                    "condition; raise it with config={'recursion_limit': N} or make sure the "
                    "graph reaches END"
                )
            await self.runner.run_step(tasks)
            routes = []
            for task in tasks:
                routes.extend(task.routes)
            self._apply(
                [w for t in tasks for w in t.writes],
                [f"node {t.name!r}" for t in tasks for _ in t.writes],
            )
            if persist is not None:
                await persist.save_writes(tasks)
                writers = {k: t.name for t in tasks for w in t.writes for k in w}
                await persist.save(self.values, writers, "loop", writers)
            self._emit_values()
        return self.output()

    def output(self) -> Any:
        """What ``invoke`` returns: the output schema's keys, as a dict (or the root value)."""
        return self.plan.output_schema.as_output(self.values)

    def snapshot(self) -> Any:
        """What ``values`` mode gives: every key set so far (the output schema filters only
        ``invoke``'s result, as in LangGraph), or the root value."""
        if self.plan.root:
            return self.output()
        return {k: v for k, v in self.values.items() if v is not MISSING}

    # -- input and barrier -------------------------------------------------------------
    def _restore(self, saved: dict[str, Any]) -> None:
        """Take the thread's saved values; its messages count as already streamed."""
        saved = {k: v for k, v in saved.items() if k in self.channels}
        self.values.update(saved)
        if self.run.capture:
            for key in self.plan.message_keys & saved.keys():
                for message in saved[key]:
                    if getattr(message, "id", None):
                        self.run.mark_seen(message.id)

    def _apply_input(self, graph_input: Any) -> dict[str, Any]:
        writes = self.plan.input_schema.read_input(graph_input, known=self.channels)
        writes = coerce_message_writes(writes, self.plan.message_keys, _INPUT)
        if self.run.capture:
            for key in self.plan.message_keys & writes.keys():
                for message in writes[key]:
                    if message.id:
                        self.run.mark_seen(message.id)
        self._apply([writes], [_INPUT])
        self._emit_values()
        return writes

    def _apply(self, all_writes: Sequence[dict[str, Any]], writers: Sequence[str]) -> None:
        pending: dict[str, list[Any]] = {}
        by: dict[str, list[str]] = {}
        for who, writes in zip(writers, all_writes, strict=True):
            for key, value in writes.items():
                pending.setdefault(key, []).append(value)
                by.setdefault(key, []).append(who)
        for key, values in pending.items():
            self.values[key] = self.channels[key].fold(self.values[key], values, by[key])
            self.written_by[key] = by[key][-1]

    def _emit_values(self) -> None:
        if self.want_values:
            self.run.send(self.ns, "values", self.snapshot())

    # -- routing -----------------------------------------------------------------------
    def local_state(self, writes: Sequence[dict[str, Any]], who: str) -> dict[str, Any]:
        """The state as one task sees it: the step's starting values plus its own writes."""
        values = dict(self.values)
        pending: dict[str, list[Any]] = {}
        for update in writes:
            for key, value in update.items():
                pending.setdefault(key, []).append(value)
        for key, written in pending.items():
            values[key] = self.channels[key].fold(values[key], written, (who,) * len(written))
        return values

    async def _routes_from(
        self, source: str, values: dict[str, Any], goto: Sequence[str | Send]
    ) -> list[Any]:
        """Where to go after ``source``: its edges, join arrivals, branches and Command goto."""
        plan = self.plan
        routes: list[Any] = [t for t in plan.edges.get(source, ()) if t != END]
        routes.extend((join, source) for join in plan.joins_by_source.get(source, ()))
        branches = plan.branches.get(source)
        if branches:
            state: Any = MISSING
            reader = f"the conditional edge from {source!r}"
            for branch in branches:
                if branch.input_schema is not None:
                    own = branch.input_schema.build(values, reader=reader, writers=self.written_by)
                    routes.extend(await self._follow(branch, own))
                    continue
                if state is MISSING:
                    state = plan.state_schema.build(values, reader=reader, writers=self.written_by)
                routes.extend(await self._follow(branch, state))
        for target in goto:
            routes.extend(self._check_target(target, f"Command(goto=...) from {source!r}"))
        return routes

    async def _follow(self, branch: Branch, state: Any) -> list[str | Send]:
        kwargs = {"config": self.config} if "config" in branch.inject else {}
        if branch.is_async:
            await task_point()
            result = await branch.path(state, **kwargs)
        else:
            result = branch.path(state, **kwargs)
        items = result if isinstance(result, (list, tuple)) else [result]
        out: list[str | Send] = []
        for item in items:
            if branch.path_map is not None and not isinstance(item, Send):
                if not _in_map(item, branch.path_map):
                    raise InvalidUpdateError(
                        f"the conditional edge from {branch.source!r} returned {item!r}, which is "
                        f"not in its path map {sorted(map(str, branch.path_map))}"
                    )
                item = branch.path_map[item]
            elif item is None:
                raise InvalidUpdateError(
                    f"the conditional edge from {branch.source!r} returned None; return a node "
                    "name, END to finish, Send objects or a list of those (an empty list goes "
                    "nowhere)"
                )
            out.extend(self._check_target(item, f"the conditional edge from {branch.source!r}"))
        return out

    def _check_target(self, target: Any, where: str) -> list[str | Send]:
        name = target.node if isinstance(target, Send) else target
        if name == END or name is None:
            return []
        if not isinstance(name, str) or name not in self.plan.nodes:
            raise UnknownNodeError(
                f"{where} leads to {name!r}, which is not a node; known nodes: "
                f"{sorted(self.plan.nodes)}"
            )
        return [target]

    def _next_tasks(self, routes: list[Any], step: int) -> list[Task]:
        pulled: set[str] = set()
        sends: list[Send] = []
        for route in routes:
            if isinstance(route, str):
                pulled.add(route)
            elif isinstance(route, Send):
                sends.append(route)
            else:
                join, source = route
                seen = self.join_seen.setdefault(join, set())
                seen.add(source)
                if seen >= join.sources:
                    seen.clear()
                    if join.target != END:
                        pulled.add(join.target)
        # by name, as the writes of a step are applied in task order (node names, then Sends)
        tasks = [self.runner.pull_task(name, step) for name in sorted(pulled)]
        tasks.extend(self.runner.push_task(s, i, step) for i, s in enumerate(sends))
        return tasks

    async def routes_after(self, task: Task) -> None:
        """Fill in ``task.routes`` once its node has returned."""
        who = f"node {task.name!r}"
        values = self.local_state(task.writes, who) if self.plan.branches.get(task.name) else {}
        task.routes = await self._routes_from(task.name, values, task.goto)


def _in_map(item: Any, path_map: dict[Any, str]) -> bool:
    try:
        return item in path_map
    except TypeError:  # an unhashable value cannot be a key of the path map
        return False
