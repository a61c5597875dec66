"""Tasks: one node run within a step, its context, and how it is executed."""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from streamgraph._ids import new_id
from streamgraph.engine import running_loop
from streamgraph.engine.context import _TASK, TaskContext, reset_var
from streamgraph.engine.green import task_point
from streamgraph.engine.hooks import open_task_scope
from streamgraph.engine.messages import emit_returned_messages
from streamgraph.engine.threads import all_in_workers, in_worker_thread
from streamgraph.graph.nodes import NodeSpec
from streamgraph.graph.schema import ROOT
from streamgraph.types import Command, RetryPolicy, Send

if TYPE_CHECKING:
    from streamgraph.engine.loop import GraphRun

__all__ = ["ParentCommand", "Task", "TaskRunner"]

_CONFIGURABLE_COPIED = ("thread_id", "checkpoint_id", "assistant_id", "graph_id")
_PULL = "__pregel_pull"
_PUSH = "__pregel_push"


class ParentCommand(Exception):
    """Carries a ``Command(graph=Command.PARENT)`` out of a subgraph to its parent's task."""

    def __init__(self, command: Command[Any]) -> None:
        super().__init__("Command(graph=Command.PARENT) outside a subgraph")
        self.command = command


class Task:
    """One node run in one step."""

    __slots__ = ("ctx", "goto", "input", "name", "routes", "scope", "spec", "writes")

    def __init__(self, spec: NodeSpec, ctx: TaskContext, node_input: Any) -> None:
        self.spec = spec
        self.name = spec.name
        self.ctx = ctx
        self.input = node_input
        self.writes: list[dict[str, Any]] = []
        self.goto: list[str | Send] = []
        self.routes: list[Any] = []
        self.scope: Any = None


class TaskRunner:
    """Builds the tasks of a :class:`GraphRun` and runs them, sync or async."""

    def __init__(
        self, graph: GraphRun, parent_checkpoint_ns: str, inline_sync: bool, context: Any
    ) -> None:
        self.graph = graph
        self.run = graph.run
        self.parent_checkpoint_ns = parent_checkpoint_ns
        self.inline_sync = inline_sync
        config = graph.config
        self.run_tags = tuple(config.get("tags") or ())
        self.run_metadata = dict(config.get("metadata") or {})
        configurable = config.get("configurable") or {}
        self.copied = {k: configurable[k] for k in _CONFIGURABLE_COPIED if k in configurable}
        self.max_concurrency = config.get("max_concurrency")
        self.context = context
        ns, run = graph.ns, self.run
        self.want_updates = run.wants(ns, "updates")
        self.want_debug = run.wants(ns, "debug")
        self.want_task_events = run.wants(ns, "tasks") or self.want_debug
        # a sync door's run that nobody streams from: its own thread may run sync nodes of a
        # parallel step, as nothing waits to be handed over meanwhile
        self.caller_helps = inline_sync and not run.modes and run.parent is None

    # -- building tasks ----------------------------------------------------------------
    def pull_task(self, name: str, step: int) -> Task:
        spec = self.graph.plan.nodes[name]
        node_input = spec.input_schema.build(
            self.graph.values, reader=f"node {name!r}", writers=self.graph.written_by
        )
        return self._task(spec, node_input, step, (_PULL, name), self.graph.plan.triggers[name])

    def push_task(self, send: Send, index: int, step: int) -> Task:
        spec = self.graph.plan.nodes[send.node]
        return self._task(spec, send.arg, step, (_PUSH, index, False), (_PUSH,))

    def _task(
        self,
        spec: NodeSpec,
        node_input: Any,
        step: int,
        path: tuple[Any, ...],
        triggers: tuple[str, ...],
    ) -> Task:
        task_id = new_id()
        own = f"{spec.name}:{task_id}"
        checkpoint_ns = f"{self.parent_checkpoint_ns}|{own}" if self.parent_checkpoint_ns else own
        user = {**self.run_metadata, **spec.metadata} if spec.metadata else self.run_metadata
        tags = tuple(dict.fromkeys((*self.run_tags, *spec.tags))) if spec.tags else self.run_tags
        ctx = TaskContext(
            run=self.run,
            node=spec.name,
            task_id=task_id,
            step=step,
            triggers=triggers,
            path=path,
            ns=self.graph.ns,
            checkpoint_ns=checkpoint_ns,
            tags=tags,
            user_metadata=user,
            graph_config=self.graph.config,
            copied=self.copied,
            context=self.context,
        )
        return Task(spec, ctx, node_input)

    # -- running a step ----------------------------------------------------------------
    async def run_step(self, tasks: list[Task]) -> None:
        """Run the tasks of one step; the first failure cancels the others and is raised."""
        if self.run.cancelled:
            raise asyncio.CancelledError  # a stopped run starts nothing new
        self._announce(tasks)
        if len(tasks) == 1:
            task = tasks[0]
            if task.spec.is_async:
                await self._run_async(task)
            elif self.inline_sync and running_loop.FAST:
                self._run_inline(task)
            else:
                await self._dispatch(task)
            await self.graph.routes_after(task)
            return
        limit = self.max_concurrency
        gate = asyncio.Semaphore(limit) if limit else None
        batch: list[Task] = []  # sync tasks, sent to the workers together when nothing gates
        futures: list[asyncio.Future[Any]] = []
        for t in tasks:
            if gate is None and not t.spec.is_async:
                batch.append(t)
            else:
                futures.append(asyncio.ensure_future(self._guarded(t, gate)))
        if batch:
            # sync nodes go to the workers together and wake the loop once, not once each
            fns = [functools.partial(self._run_sync, t) for t in batch]
            futures.append(all_in_workers(fns, caller_helps=self.caller_helps))
        try:
            if len(futures) == 1:
                await futures[0]  # done already when this thread ran the whole batch itself
            else:
                for fut in asyncio.as_completed(futures):
                    await fut
        except BaseException:
            for t in tasks:
                t.ctx.stop()
            await cancel_and_wait([f for f in futures if not f.done()])
            _retrieve_failures(futures)
            raise
        for task in batch:
            await self.graph.routes_after(task)

    def _run_inline(self, task: Task) -> None:
        """Run a lone sync node right in the sync door's private loop, which it cannot see.

        Like a node in a worker thread, it runs with no running event loop, so its own code
        may use ``asyncio.run``, and tokens it streams need not swap loops on their way out.
        """
        if self.run.cancelled:
            raise asyncio.CancelledError
        with running_loop.Hidden():
            self._run_sync(task)

    async def _guarded(self, task: Task, gate: asyncio.Semaphore | None) -> None:
        if gate is not None:
            async with gate:
                await self._dispatch(task)
        else:
            await self._dispatch(task)
        await self.graph.routes_after(task)

    async def _dispatch(self, task: Task) -> None:
        if task.spec.is_async:
            await self._run_async(task)
        else:
            await in_worker_thread(lambda: self._run_sync(task))

    def _run_sync(self, task: Task) -> None:
        with _Running(self, task):
            for attempt in itertools.count(1):
                try:
                    result = self._call(task)
                    break
                except Exception as exc:
                    time.sleep(self._retry_after(task, attempt, exc))
            self._finish(task, result)

    async def _run_async(self, task: Task) -> None:
        await task_point()
        with _Running(self, task):
            for attempt in itertools.count(1):
                try:
                    result = self._call(task)
                    if asyncio.iscoroutine(result):
                        result = await result
                    break
                except Exception as exc:
                    await asyncio.sleep(self._retry_after(task, attempt, exc))
            self._finish(task, result)

    def _call(self, task: Task) -> Any:
        spec = task.spec
        if spec.subgraph is not None:
            return spec.subgraph.run_as_node(task.input, task.ctx)
        if not spec.inject:
            return spec.fn(task.input)
        ctx = task.ctx
        kwargs: dict[str, Any] = {}
        if "config" in spec.inject:
            kwargs["config"] = ctx.config
        if "writer" in spec.inject:
            kwargs["writer"] = ctx.writer
        if "runtime" in spec.inject:
            kwargs["runtime"] = ctx.runtime
        return spec.fn(task.input, **kwargs)

    @staticmethod
    def _retry_after(task: Task, attempt: int, exc: Exception) -> float:
        """Seconds to wait before retrying after failed ``attempt``; re-raises ``exc`` if not."""
        policies = task.spec.retry_policy
        if policies is not None and not isinstance(exc, ParentCommand):
            for policy in [policies] if isinstance(policies, RetryPolicy) else policies:
                if policy.should_retry(exc):
                    if attempt < policy.max_attempts:
                        return policy.interval(attempt)
                    break
        raise exc

    # -- events ------------------------------------------------------------------------
    def _enter(self, task: Task) -> None:
        for run in self.run.chain():
            with run.lock:
                run.live_tasks.add(task.ctx)
            if run.cancelled:
                task.ctx.stop()
        task.scope = open_task_scope(task.ctx)

    def _exit(self, task: Task) -> None:
        for run in self.run.chain():
            with run.lock:
                run.live_tasks.discard(task.ctx)
        if task.scope is not None:
            task.scope.__exit__(None, None, None)

    def _announce(self, tasks: list[Task]) -> None:
        if self.want_task_events:
            for t in tasks:
                payload = {
                    "id": t.ctx.task_id,
                    "name": t.name,
                    "input": t.input,
                    "triggers": t.ctx.triggers,
                }
                self._task_event(t, "task", payload)

    def _task_event(self, task: Task, kind: str, payload: dict[str, Any]) -> None:
        ns = self.graph.ns
        self.run.send(ns, "tasks", payload)
        if self.want_debug:
            stamp = datetime.now(timezone.utc).isoformat()
            event = {"step": task.ctx.step, "timestamp": stamp, "type": kind, "payload": payload}
            self.run.send(ns, "debug", event)

    def _finish(self, task: Task, result: Any) -> None:
        if result.__class__ is dict or result is None:
            parts: Any = (result,)  # the common case, checked first
        elif isinstance(result, Command):
            parts = (self._take_command(task, result),)
        elif isinstance(result, (list, tuple)) and any(isinstance(r, Command) for r in result):
            # Commands and plain updates, applied in the order given
            parts = [self._take_command(task, r) if isinstance(r, Command) else r for r in result]
        else:
            parts = (result,)
        graph = self.graph
        who = f"node {task.name!r}"
        plan, channels = graph.plan, graph.channels
        read, subgraph = plan.state_schema.read_update, task.spec.subgraph is not None
        writes: list[dict[str, Any]] = []
        for update in parts:
            if subgraph and isinstance(update, dict):
                update = {k: v for k, v in update.items() if k in channels}
            written = read(update, who=who, known=channels)
            if written:
                writes.append(emit_returned_messages(task.ctx, written, plan.message_keys))
        task.writes = writes
        if self.want_updates:
            shown: list[Any] = [w[ROOT] for w in writes] if plan.root else writes
            update_shown = shown[0] if len(shown) == 1 else (shown or None)
            self.run.send(graph.ns, "updates", {task.name: update_shown})
        if self.want_task_events:
            payload: dict[str, Any] = {
                "id": task.ctx.task_id,
                "name": task.name,
                "error": None,
                "result": writes[0] if len(writes) == 1 else (writes or {}),
                "interrupts": [],
            }
            self._task_event(task, "task_result", payload)

    @staticmethod
    def _take_command(task: Task, command: Command[Any]) -> Any:
        """Record where ``command`` goes and give back its update."""
        if command.graph == Command.PARENT:
            raise ParentCommand(command)
        task.goto.extend(command.goto_targets())
        return command.update

    def _failed(self, task: Task, exc: BaseException) -> None:
        if isinstance(exc, Exception) and not isinstance(exc, ParentCommand):
            if getattr(exc, "streamgraph_node", None) is None:
                try:
                    exc.streamgraph_node = task.name  # type: ignore[attr-defined]
                except AttributeError:
                    pass
            if self.want_task_events:
                payload = {
                    "id": task.ctx.task_id,
                    "name": task.name,
                    "error": repr(exc),
                    "result": {},
                    "interrupts": [],
                }
                self._task_event(task, "task_result", payload)


async def cancel_and_wait(pending: Sequence[asyncio.Future[Any]]) -> None:
    """Cancel futures and wait until the async ones have finished unwinding."""
    for fut in pending:
        fut.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


def _retrieve_failures(futures: Sequence[asyncio.Future[Any]]) -> None:
    """Mark the failures of siblings that finished beside the one raised as seen.

    Only the first failure of a step reaches the caller; asyncio would otherwise report
    the others as "exception was never retrieved" when they are collected.
    """
    for fut in futures:
        if fut.done() and not fut.cancelled():
            fut.exception()


class _Running:
    """A task's time on the stack: its context set, registered as live, failures recorded."""

    __slots__ = ("runner", "task", "token")

    def __init__(self, runner: TaskRunner, task: Task) -> None:
        self.runner = runner
        self.task = task

    def __enter__(self) -> None:
        self.token = _TASK.set(self.task.ctx)
        self.runner._enter(self.task)

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            if exc is not None:
                self.runner._failed(self.task, exc)
        finally:
            self.runner._exit(self.task)
            reset_var(_TASK, self.token)
