"""``create_react_agent``: a chat model that calls tools in a loop until it answers.

::

    from streamgraph.models import FakeChatModel
    from streamgraph.prebuilt import create_react_agent
    from streamgraph.tools import tool

    @tool
    def weather(city: str) -> str:
        "Current weather for a city."
        return f"sunny in {city}"

    agent = create_react_agent(FakeChatModel(responses=["It is sunny."]), [weather])
    agent.invoke({"messages": [("user", "Weather in Oslo?")]})["messages"][-1].content

The graph has two nodes, ``"agent"`` (the model) and ``"tools"`` (a :class:`ToolNode`):
``START -> agent -> (tools_condition) -> tools -> agent``, ending when the model answers
without tool calls. Streamed with ``stream_mode="messages"``, it yields the model's tokens
and tool-call chunks, each ToolMessage once, then the answer's tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, Union

from streamgraph.errors import ConfigurationError
from streamgraph.prebuilt.condition import tools_condition
from streamgraph.prebuilt.tool_node import ToolNode

if TYPE_CHECKING:
    from streamgraph.graph import CompiledStateGraph
    from streamgraph.messages import BaseMessage, SystemMessage

__all__ = ["Prompt", "create_react_agent"]

Prompt: TypeAlias = Union[str, "SystemMessage", Callable[[Any], Sequence[Any]], None]


def create_react_agent(
    model: Any,
    tools: Sequence[Any] | ToolNode,
    *,
    prompt: Prompt = None,
    state_schema: type[Any] | None = None,
    context_schema: type[Any] | None = None,
    name: str | None = None,
    checkpointer: Any = None,
    store: Any = None,
    interrupt_before: Any = None,
    interrupt_after: Any = None,
    debug: bool = False,
) -> CompiledStateGraph:
    """Build and compile a tool-calling agent around ``model``.

    ``model`` is a chat model (tools are bound to it with ``bind_tools`` unless it already
    has tools bound); ``tools`` is a list of tools, functions or LangChain tools, or a
    :class:`ToolNode` (to choose its error handling). ``prompt`` is a string or a
    ``SystemMessage`` put before the conversation on every model call, or a function
    ``(state) -> messages`` that builds the model's input. ``state_schema`` replaces
    ``MessagesState`` (it must have a ``messages`` key); ``context_schema`` is the graph's
    run-time context type; ``name`` names the compiled graph. ``checkpointer``, ``store``,
    ``interrupt_before`` and ``interrupt_after`` are handed to ``compile()``.
    """
    from streamgraph.graph import END, START, MessagesState, StateGraph

    tool_node = tools if isinstance(tools, ToolNode) else ToolNode(list(tools))
    bound = _bind(model, tool_node)
    builder = StateGraph(state_schema or MessagesState, context_schema)
    builder.add_node("agent", _AgentNode(bound, _prompt_runner(prompt), tool_node.messages_key))
    builder.add_edge(START, "agent")
    if tool_node.tools_by_name:
        builder.add_node("tools", tool_node)
        builder.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
        builder.add_edge("tools", "agent")
    else:
        builder.add_edge("agent", END)
    return builder.compile(
        checkpointer=checkpointer,
        name=name or "agent",
        debug=debug,
        store=store,
        interrupt_before=interrupt_before,
        interrupt_after=interrupt_after,
    )


class _AgentNode:
    """The ``agent`` node: the model's reply to the (prompted) conversation."""

    def __init__(
        self, model: Any, prompt: Callable[[Any, list[Any]], list[Any]], messages_key: str
    ) -> None:
        self.model = model
        self.prompt = prompt
        self.messages_key = messages_key

    async def __call__(self, state: Any) -> dict[str, Any]:
        messages = _messages_of(state, self.messages_key)
        reply = await self.model.ainvoke(self.prompt(state, messages))
        return {self.messages_key: [reply]}


def _bind(model: Any, tool_node: ToolNode) -> Any:
    if not tool_node.tools_by_name or getattr(model, "_tools", None):
        return model  # nothing to offer, or the caller bound tools (and a tool_choice) already
    if not hasattr(model, "bind_tools"):
        raise ConfigurationError(
            f"create_react_agent needs a chat model with bind_tools(); got {type(model).__name__}"
        )
    return model.bind_tools(tool_node.tools)


def _messages_of(state: Any, key: str) -> list[Any]:
    found = state.get(key) if isinstance(state, Mapping) else getattr(state, key, None)
    if not isinstance(found, list):
        raise ConfigurationError(f"the agent's state needs a {key!r} list of messages")
    return found


def _prompt_runner(prompt: Prompt) -> Callable[[Any, list[Any]], list[Any]]:
    from streamgraph.messages import SystemMessage

    if prompt is None:
        return lambda state, messages: messages
    if isinstance(prompt, str):
        prompt = SystemMessage(prompt)
    if isinstance(prompt, SystemMessage):
        system: BaseMessage = prompt
        return lambda state, messages: [system, *messages]
    if callable(prompt):
        build = prompt
        return lambda state, messages: list(build(state))
    raise ConfigurationError(
        "prompt must be a string, a SystemMessage or a function (state) -> messages; "
        f"got {type(prompt).__name__}"
    )
