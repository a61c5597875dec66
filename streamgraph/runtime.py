"""The Runtime a node may receive: the run's context object and its stream writer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from streamgraph.engine.context import current_task
from streamgraph.types import StreamWriter

__all__ = ["Runtime", "get_runtime"]

ContextT = TypeVar("ContextT")


@dataclass(frozen=True)
class Runtime(Generic[ContextT]):
    """Given to a node that declares a ``runtime`` parameter::

    @dataclass
    class Ctx:
        user_id: str

    def node(state: State, runtime: Runtime[Ctx]) -> dict:
        runtime.stream_writer({"user": runtime.context.user_id})
        return {}

    graph = StateGraph(State, context_schema=Ctx)...compile()
    graph.invoke(inputs, context=Ctx(user_id="u1"))
    """

    context: ContextT
    stream_writer: StreamWriter
    store: Any = None
    previous: Any = None


def get_runtime() -> Runtime[Any]:
    """The Runtime of the node being run."""
    task = current_task()
    if task is None:
        raise RuntimeError("get_runtime() was called outside a running graph")
    runtime: Runtime[Any] = task.runtime
    return runtime
