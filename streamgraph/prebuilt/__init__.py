"""Ready-made graph parts for tool-using agents.

``ToolNode`` runs a model's tool calls, ``tools_condition`` routes to it, and
``create_react_agent`` wires both around a chat model::

    from streamgraph.prebuilt import create_react_agent

    agent = create_react_agent(model, [search, add], prompt="Be brief.")
    for chunk, meta in agent.stream({"messages": [("user", "hi")]}, stream_mode="messages"):
        print(chunk.content, end="")
"""

from streamgraph.prebuilt.condition import tools_condition
from streamgraph.prebuilt.injection import InjectedState
from streamgraph.prebuilt.react_agent import create_react_agent
from streamgraph.prebuilt.tool_node import ToolNode

__all__ = [
    "InjectedState",
    "ToolNode",
    "create_react_agent",
    "tools_condition",
]
