"""Build graphs: ``StateGraph``, ``START``, ``END``, ``MessagesState``, ``add_messages``."""

from streamgraph.graph.compiled import CompiledStateGraph
from streamgraph.graph.message import MessagesState, add_messages
from streamgraph.graph.state import END, START, StateGraph

__all__ = ["END", "START", "CompiledStateGraph", "MessagesState", "StateGraph", "add_messages"]
