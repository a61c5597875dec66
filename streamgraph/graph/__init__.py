"""Build graphs: ``StateGraph``, ``START``, ``END``, ``MessagesState``, ``add_messages``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streamgraph.graph.message import MessagesState, add_messages
from streamgraph.graph.state import END, START, StateGraph

if TYPE_CHECKING:
    from streamgraph.graph.compiled import CompiledStateGraph

__all__ = ["END", "START", "CompiledStateGraph", "MessagesState", "StateGraph", "add_messages"]


def __getattr__(name: str) -> Any:
    # The compiled graph pulls in the engine and asyncio: loaded when first needed, so
    # that building a graph (and importing streamgraph) stays fast.
    if name == "CompiledStateGraph":
        from streamgraph.graph.compiled import CompiledStateGraph

        return CompiledStateGraph
    from streamgraph._not_yet import not_yet

    not_yet(__name__, name)
