"""The Runtime a node may receive: the run's context object and its stream writer."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from streamgraph.engine.context import current_task
from streamgraph.errors import ConfigurationError
from streamgraph.types import StreamWriter

__all__ = ["Runtime", "coerce_context", "get_runtime"]

ContextT = TypeVar("ContextT")


def _no_writer(value: Any) -> None:
    """The stream writer of a Runtime made outside a run: it drops what it is given."""
    return None


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
    graph.invoke(inputs, context={"user_id": "u1"})  # or context=Ctx(user_id="u1")

    Every field has a default, so ``Runtime(context=Ctx(...))`` builds one for a test.
    """

    context: ContextT = None  # type: ignore[assignment]
    store: Any = None
    stream_writer: StreamWriter = field(default=_no_writer)
    previous: Any = None

    def override(self, **changes: Any) -> Runtime[ContextT]:
        """A copy with the given fields replaced: ``runtime.override(context=other)``."""
        return dataclasses.replace(self, **changes)

    def merge(self, other: Runtime[Any]) -> Runtime[Any]:
        """A copy where each field ``other`` set (not left at its default) wins."""
        changes = {
            f.name: getattr(other, f.name)
            for f in dataclasses.fields(other)
            if getattr(other, f.name) is not f.default
        }
        return dataclasses.replace(self, **changes)


def get_runtime(context_schema: type[ContextT] | None = None) -> Runtime[ContextT]:
    """The Runtime of the node being run.

    ``context_schema`` only types the result (``get_runtime(Ctx).context`` is a ``Ctx``).
    """
    task = current_task()
    if task is None:
        raise RuntimeError("get_runtime() was called outside a running graph")
    runtime: Runtime[ContextT] = task.runtime
    return runtime


def coerce_context(schema: Any, context: Any) -> Any:
    """A dict ``context=`` made into ``schema`` when that is a dataclass or pydantic model.

    Anything else (an instance already, a TypedDict or no schema) is passed on as given.
    """
    if schema is None or not isinstance(context, Mapping) or not isinstance(schema, type):
        return context
    try:
        if dataclasses.is_dataclass(schema):
            return schema(**context)
        validate = getattr(schema, "model_validate", None)
        if validate is not None:
            return validate(context)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"context={dict(context)!r} does not fit context_schema {schema.__name__}: {exc}"
        ) from exc
    return context
