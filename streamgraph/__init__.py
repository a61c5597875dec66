"""streamgraph: stateful LLM applications as graphs, with real-time token streaming.

::

    from streamgraph import END, START, MessagesState, StateGraph
    from streamgraph.models import FakeChatModel

    model = FakeChatModel(responses=["Hello from the graph"])

    def assistant(state: MessagesState) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState).add_node(assistant).add_edge(START, "assistant").compile()
    for chunk, meta in graph.stream({"messages": [("user", "hi")]}, stream_mode="messages"):
        print(chunk.content, end="", flush=True)
"""

from typing import TYPE_CHECKING, Any

from streamgraph.config import RunnableConfig, get_config, get_stream_writer
from streamgraph.errors import GraphRecursionError, InvalidUpdateError, StreamGraphError
from streamgraph.graph import END, START, MessagesState, StateGraph, add_messages
from streamgraph.runtime import Runtime, get_runtime
from streamgraph.types import Command, RetryPolicy, Send, StreamMode, StreamPart

if TYPE_CHECKING:
    from streamgraph.graph.compiled import CompiledStateGraph

__version__ = "0.1.0"

__all__ = [
    "END",
    "START",
    "Command",
    "CompiledStateGraph",
    "GraphRecursionError",
    "InvalidUpdateError",
    "MessagesState",
    "RetryPolicy",
    "RunnableConfig",
    "Runtime",
    "Send",
    "StateGraph",
    "StreamGraphError",
    "StreamMode",
    "StreamPart",
    "__version__",
    "add_messages",
    "get_config",
    "get_runtime",
    "get_stream_writer",
]


def __getattr__(name: str) -> Any:
    if name == "CompiledStateGraph":  # loads the engine: see streamgraph.graph
        from streamgraph.graph.compiled import CompiledStateGraph

        return CompiledStateGraph
    raise AttributeError(f"module 'streamgraph' has no attribute {name!r}")
