"""Ready-made graph parts for tool-using agents.

``ToolNode`` runs a model's tool calls, ``tools_condition`` routes to it, and
``create_react_agent`` wires both around a chat model::

    from streamgraph.prebuilt import create_react_agent

    agent = create_react_agent(model, [search, add], prompt="Be brief.")
    for chunk, meta in agent.stream({"messages": [("user", "hi")]}, stream_mode="messages"):
        print(chunk.content, end="")
"""

from typing import TYPE_CHECKING

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


if not TYPE_CHECKING:  # type checkers keep flagging unknown names

    def __getattr__(name: str) -> object:
        """LangGraph names not implemented yet raise ``NotImplementedYetError``."""
        if name.startswith("__"):  # the import system probes `__path__` and the like
            raise AttributeError(name)
        from streamgraph._not_yet import not_yet

        not_yet(__name__, name)
