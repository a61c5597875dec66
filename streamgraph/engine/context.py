"""The run context: what the runtime knows about the current run and task.

One context variable, ``_TASK``, holds the :class:`TaskContext` of the node being run.
Asyncio tasks and ``asyncio.to_thread`` copy context variables, so everything a node
calls in its own thread or task (a model, a tool, a nested graph, a stream writer) finds
the run without being handed any config. Threads that user code starts itself do not
copy context variables and are not followed.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamgraph.config import RunnableConfig
    from streamgraph.runtime import Runtime

__all__ = [
    "FrozenMetadata",
    "FrozenTags",
    "RunState",
    "TaskContext",
    "abort_on_stop",
    "current_task",
    "metadata_scope",
    "payload_only",
    "reset_var",
]

Emit = Callable[[Any], None]


def payload_only(ns: tuple[str, ...], mode: str, data: Any) -> Any:
    """The shape of a stream with one mode and no namespaces: each payload alone."""
    return data


class FrozenMetadata(dict[str, Any]):
    """A read-only ``dict``: ``json.dumps`` and ``isinstance(m, dict)`` work, writes raise."""

    __slots__ = ()

    def _readonly(self, *args: object, **kwargs: object) -> Any:
        raise TypeError("stream metadata is read-only; copy it with dict(metadata) to change it")

    __setitem__ = _readonly
    __delitem__ = _readonly
    __ior__ = _readonly
    clear = _readonly
    pop = _readonly
    popitem = _readonly
    setdefault = _readonly
    update = _readonly

    def __reduce__(self) -> Any:
        return (FrozenMetadata, (dict(self),))


class FrozenTags(list[str]):
    """A read-only ``list`` of tags: ``tags == ["joke"]`` and ``json.dumps`` work, writes raise.

    One is made per LLM call (or per node, for the messages it returns) and shared by every
    chunk of it, so reading tags costs nothing per token.
    """

    __slots__ = ()

    def _readonly(self, *args: object, **kwargs: object) -> Any:
        raise TypeError("stream tags are read-only; copy them with list(tags) to change them")

    __setitem__ = _readonly
    __delitem__ = _readonly
    __iadd__ = _readonly
    __imul__ = _readonly
    append = _readonly
    extend = _readonly
    insert = _readonly
    pop = _readonly
    remove = _readonly
    clear = _readonly
    sort = _readonly
    reverse = _readonly

    def __reduce__(self) -> Any:
        return (FrozenTags, (list(self),))


@dataclass(eq=False, slots=True)
class RunState:
    """Everything one run shares with its tasks and the graphs nested in them.

    ``emit`` puts an already shaped item on the consumer's stream; it is safe to call
    from any thread. ``shape`` turns ``(namespace, mode, payload)`` into what the
    consumer asked for (the payload alone, ``(mode, payload)``, a v2 dict, ...).
    A graph streamed inside a node of another run has that run as ``parent``: its
    tokens reach both consumers, and stopping the parent stops it.
    """

    run_id: str
    modes: frozenset[str]
    subgraphs: bool
    emit: Emit
    shape: Callable[[tuple[str, ...], str, Any], Any]
    seen_ids: set[str] = field(default_factory=set)
    cancelled: bool = False
    live_tasks: set[TaskContext] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    parent: RunState | None = None
    parent_ns: tuple[str, ...] = ()
    messages_on: bool = field(init=False, default=False)
    capture: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.messages_on = "messages" in self.modes
        self.capture = self.messages_on or (self.parent is not None and self.parent.capture)

    def chain(self) -> Iterator[RunState]:
        """This run and the runs it is nested in."""
        run: RunState | None = self
        while run is not None:
            yield run
            run = run.parent

    def message_sink(self, ns: tuple[str, ...]) -> Emit:
        """Deliver ``(message, metadata)`` from namespace ``ns`` to every run that wants it."""
        targets = []
        run: RunState | None = self
        while run is not None:
            if run.messages_on:
                targets.append((run.emit, run.shape, ns))
            ns = run.parent_ns + ns
            run = run.parent
        if len(targets) == 1:
            emit, shape, where = targets[0]
            if shape is payload_only:
                return emit  # the consumer takes the (message, metadata) pair as it is
            return lambda item: emit(shape(where, "messages", item))

        def fan_out(item: Any) -> None:
            for emit, shape, where in targets:
                emit(shape(where, "messages", item))

        return fan_out

    def mark_seen(self, message_id: str) -> None:
        """Record that a message went out, so no run in the chain sends it again."""
        run: RunState | None = self
        while run is not None:
            run.seen_ids.add(message_id)
            run = run.parent

    def _own(self, ns: tuple[str, ...], mode: str) -> bool:
        return mode in self.modes and (not ns or self.subgraphs or mode == "messages")

    def wants(self, ns: tuple[str, ...], mode: str) -> bool:
        """Whether any consumer in the chain takes ``mode`` events from namespace ``ns``."""
        run: RunState | None = self
        while run is not None:
            if run._own(ns, mode):
                return True
            ns = run.parent_ns + ns
            run = run.parent
        return False

    def send(self, ns: tuple[str, ...], mode: str, payload: Any) -> None:
        """Deliver one event of ``mode`` to every consumer in the chain that asked for it."""
        run: RunState | None = self
        while run is not None:
            if run._own(ns, mode):
                run.emit(run.shape(ns, mode, payload))
            ns = run.parent_ns + ns
            run = run.parent

    def cancel(self) -> None:
        """Mark the run and every live task cancelled (sync nodes notice at their next chunk,
        and I/O they block on under :class:`abort_on_stop` ends at once)."""
        with self.lock:
            self.cancelled = True
            tasks = list(self.live_tasks)
        for task in tasks:
            task.stop()


@dataclass(eq=False, slots=True)
class TaskContext:
    """The node being run: who it is, where it sits, and how it reaches the stream."""

    run: RunState
    node: str
    task_id: str
    step: int
    triggers: tuple[str, ...]
    path: tuple[Any, ...]
    ns: tuple[str, ...]
    checkpoint_ns: str
    tags: tuple[str, ...]
    user_metadata: dict[str, Any]
    graph_config: RunnableConfig
    copied: dict[str, Any]
    context: Any = None
    cancelled: bool = False
    _runtime: Runtime[Any] | None = None
    _base: dict[str, Any] | None = None
    _config: RunnableConfig | None = None
    _aborts: list[Callable[[], None]] | None = None
    _tags: FrozenTags | None = None

    def __hash__(self) -> int:
        return id(self)

    def stop(self) -> None:
        """Mark the task cancelled and end the I/O it blocks on (safe from any thread)."""
        self.cancelled = True
        aborts = self._aborts
        if aborts:
            for abort in tuple(aborts):
                abort()

    @property
    def base_metadata(self) -> dict[str, Any]:
        """The built-in metadata keys of this task (built on first use)."""
        if self._base is None:
            self._base = {
                "langgraph_step": self.step,
                "langgraph_node": self.node,
                "langgraph_triggers": self.triggers,
                "langgraph_path": self.path,
                "langgraph_checkpoint_ns": self.checkpoint_ns,
                "checkpoint_ns": self.checkpoint_ns,
                "run_id": self.run.run_id,
                **self.copied,
            }
        return self._base

    @property
    def frozen_tags(self) -> FrozenTags:
        """The task's tags as stream metadata gives them (built on first use)."""
        if self._tags is None:
            self._tags = FrozenTags(self.tags)
        return self._tags

    @property
    def config(self) -> RunnableConfig:
        """The config a node receives (built on first use)."""
        if self._config is None:
            config: RunnableConfig = {**self.graph_config}
            # the run's id is the run's: a node passing its config on to another runnable
            # must not hand that runnable the same id for every call it makes
            config.pop("run_id", None)
            config["configurable"] = {
                **(config.get("configurable") or {}),
                "checkpoint_ns": self.checkpoint_ns,
            }
            config["tags"] = list(self.tags)
            config["metadata"] = {**self.user_metadata, **self.base_metadata}
            self._config = config
        return self._config

    @property
    def runtime(self) -> Runtime[Any]:
        """The :class:`Runtime` of this task (built on first use)."""
        if self._runtime is None:
            from streamgraph.runtime import Runtime

            self._runtime = Runtime(context=self.context, stream_writer=self.writer)
        return self._runtime

    def write_custom(self, value: Any) -> None:
        """The stream writer of this task."""
        if self.cancelled:
            from streamgraph.errors import RunCancelled

            raise RunCancelled(f"the run was stopped while node {self.node!r} was writing")
        self.run.send(self.ns, "custom", value)

    @property
    def writer(self) -> Callable[[Any], None]:
        """The stream writer: a cheap no-op when ``custom`` was not requested."""
        if self.run.wants(self.ns, "custom"):
            return self.write_custom
        return _noop_writer

    @property
    def child_ns(self) -> tuple[str, ...]:
        """Namespace of a graph run by this task."""
        return (*self.ns, f"{self.node}:{self.task_id}")


def _noop_writer(value: Any) -> None:
    task = _TASK.get()
    if task is not None and task.cancelled:
        from streamgraph.errors import RunCancelled

        raise RunCancelled(f"the run was stopped while node {task.node!r} was writing")


_TASK: contextvars.ContextVar[TaskContext | None] = contextvars.ContextVar(
    "streamgraph_task", default=None
)
_SCOPED: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "streamgraph_scoped_metadata", default=None
)


class abort_on_stop:
    """While the block runs, stopping the current task calls ``abort`` in the stopping thread.

    For I/O that a sync node blocks on in a worker thread (a provider that has gone silent):
    the stop cannot reach into that thread, so ``abort`` ends the I/O from outside (it must
    be safe from any thread; it is called at most once, and never once the block is left).
    An exception the block raises after the abort becomes ``RunCancelled``. Outside a task
    it does nothing::

        with abort_on_stop(lambda: sock.shutdown(socket.SHUT_RDWR)):
            data = sock.recv(4096)
    """

    __slots__ = ("_abort", "_fire_once", "_fired", "_live", "_lock", "_task")

    def __init__(self, abort: Callable[[], None]) -> None:
        self._abort = abort
        self._task = _TASK.get()
        self._lock = threading.Lock()
        self._live = self._fired = False
        self._fire_once = self._fire

    def __enter__(self) -> None:
        task = self._task
        if task is None:
            return
        self._live = True
        if task._aborts is None:
            task._aborts = []
        task._aborts.append(self._fire_once)
        if task.cancelled:  # stopped before the block began
            self._fire()

    def _fire(self) -> None:
        # under the lock, so the block cannot be left (and its I/O closed) meanwhile
        with self._lock:
            if self._live:
                self._live, self._fired = False, True
                try:
                    self._abort()
                except Exception:
                    pass  # nothing left to end: the I/O has ended by itself

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        task = self._task
        if task is None:
            return
        with self._lock:
            self._live = False
        if task._aborts is not None:
            try:
                task._aborts.remove(self._fire_once)
            except ValueError:
                pass
        if self._fired and isinstance(exc, Exception):
            from streamgraph.errors import RunCancelled

            raise RunCancelled(
                f"the run was stopped while node {task.node!r} was waiting for I/O"
            ) from exc


def reset_var(var: contextvars.ContextVar[Any], token: contextvars.Token[Any]) -> None:
    """``var.reset(token)``, or nothing where the code unwinds outside the context it set
    ``var`` in: a run's coroutine closed by the garbage collector, whose context is gone
    with nothing left in it to restore."""
    try:
        var.reset(token)
    except ValueError:
        pass


def current_task() -> TaskContext | None:
    """The task being run in this thread or asyncio task, if any."""
    return _TASK.get()


def scoped_metadata() -> dict[str, Any] | None:
    """Metadata added by enclosing :func:`metadata_scope` blocks."""
    return _SCOPED.get()


@contextlib.contextmanager
def metadata_scope(**items: Any) -> Iterator[None]:
    """Add keys to the metadata of every LLM call made inside the block.

    ToolNode uses it to stamp ``tool_call_id`` on the tokens of models called by a tool::

        with metadata_scope(tool_call_id=call["id"]):
            result = tool.invoke(call["args"])
    """
    outer = _SCOPED.get()
    token = _SCOPED.set({**outer, **items} if outer else dict(items))
    try:
        yield
    finally:
        _SCOPED.reset(token)
