"""Markers for tool parameters that the runtime fills in and the model never sees.

A parameter is *injected* when its annotation carries a marker::

    from typing import Annotated
    from streamgraph.tools import InjectedToolCallId, tool

    @tool
    def remember(fact: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
        "Store a fact."
        return f"stored {fact!r} for call {tool_call_id}"

``remember.tool_spec()`` lists only ``fact``; the call id arrives when the tool is invoked
with a tool call (as :class:`~streamgraph.prebuilt.ToolNode` does).

Three more parameters are injected without a marker:

- one named ``config``, or annotated ``RunnableConfig``: the run's config;
- one annotated ``StreamWriter`` (from ``streamgraph.types``): the run's stream writer;
- ``run_manager`` and ``callbacks``: accepted for ported code, always left to their default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "InjectedToolArg",
    "InjectedToolCallId",
    "Injection",
    "InjectionKind",
    "marker_of",
]

InjectionKind = Literal["tool_call_id", "config", "writer", "marker", "ignored"]


class InjectedToolArg:
    """Base of every marker that hides a parameter from the model.

    Subclass it for markers of your own; fill such parameters yourself by passing them
    in the arguments given to ``invoke``. The marker may be used as a class
    (``Annotated[T, Marker]``) or as an instance (``Annotated[T, Marker(...)]``).
    """


class InjectedToolCallId(InjectedToolArg):
    """Marks a ``str`` parameter that receives the id of the tool call being served."""


@dataclass(frozen=True, slots=True)
class Injection:
    """One parameter of a tool that is filled by the runtime, not by the model.

    ``marker`` is the :class:`InjectedToolArg` class or instance found in the annotation
    (``None`` for the config, writer and ignored kinds); ``required`` is true when the
    parameter has no default.
    """

    name: str
    kind: InjectionKind
    marker: Any
    required: bool


def marker_of(metadata: tuple[Any, ...]) -> Any:
    """The first :class:`InjectedToolArg` class or instance in ``Annotated`` metadata."""
    for item in metadata:
        if isinstance(item, InjectedToolArg):
            return item
        if isinstance(item, type) and issubclass(item, InjectedToolArg):
            return item
    return None


def is_tool_call_id_marker(marker: Any) -> bool:
    """Whether ``marker`` asks for the tool call id."""
    if isinstance(marker, type):
        return issubclass(marker, InjectedToolCallId)
    return isinstance(marker, InjectedToolCallId)
