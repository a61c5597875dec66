"""``InjectedState``: hand a tool the graph state (or one key of it), hidden from the model.

::

    from typing import Annotated
    from streamgraph.prebuilt import InjectedState
    from streamgraph.tools import tool

    @tool
    def count_messages(messages: Annotated[list, InjectedState("messages")]) -> int:
        "How long the conversation is."
        return len(messages)

:class:`~streamgraph.prebuilt.ToolNode` fills such parameters from the state it runs on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streamgraph.errors import ToolError
from streamgraph.tools.injection import InjectedToolArg

__all__ = ["InjectedState", "state_marker_field", "state_value"]

_WHOLE = object()


class InjectedState(InjectedToolArg):
    """Marks a parameter that receives the state: ``InjectedState`` (all of it) or
    ``InjectedState("key")`` (one key)."""

    def __init__(self, field: str | None = None) -> None:
        self.field = field

    def __repr__(self) -> str:
        return f"InjectedState({self.field!r})" if self.field else "InjectedState()"


def state_marker_field(marker: Any) -> object | None:
    """For an ``InjectedState`` marker, the key it asks for (``_WHOLE`` for all of it)."""
    if isinstance(marker, InjectedState):
        return marker.field if marker.field is not None else _WHOLE
    if isinstance(marker, type) and issubclass(marker, InjectedState):
        return _WHOLE
    return None


def state_value(state: Any, field: object, tool: str) -> Any:
    """The part of ``state`` a tool asked for; ``ToolError`` when the key is missing."""
    if field is _WHOLE:
        return state
    assert isinstance(field, str)
    if isinstance(state, Mapping):
        if field in state:
            return state[field]
    elif hasattr(state, field):
        return getattr(state, field)
    raise ToolError(f"tool {tool!r} asked for the state key {field!r}, which the state lacks")
