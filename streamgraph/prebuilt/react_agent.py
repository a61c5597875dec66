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

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, Union

from streamgraph.errors import ConfigurationError
from streamgraph.prebuilt.condition import tools_condition
from streamgraph.prebuilt.tool_node import ToolNode

if TYPE_CHECKING:
    from streamgraph.graph import CompiledStateGraph
    from streamgraph.messages import SystemMessage

__all__ = ["Prompt", "create_react_agent"]

Prompt: TypeAlias = Union[
    str,
    "SystemMessage",
    Callable[[Any], Sequence[Any]],
    Callable[[Any], Awaitable[Sequence[Any]]],
    Any,  # a LangChain SystemMessage or runnable
    None,
]


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

    ``model`` is a chat model, ours or LangChain's (tools are bound to it with ``bind_tools``
    unless it already has tools bound; a LangChain model gets the LangChain tools themselves);
    ``tools`` is a list of tools, functions or LangChain tools, or a :class:`ToolNode` (to
    choose its error handling). ``prompt`` is a string or a ``SystemMessage`` (ours or
    LangChain's) put before the conversation on every model call, a function ``(state) ->
    messages`` (sync or async) that builds the model's input, or a LangChain runnable (a
    prompt template) given the state. ``state_schema`` replaces ``MessagesState`` (it must
    have a ``messages`` key; with a LangChain model the default holds LangChain's message
    classes, as in LangGraph); ``context_schema`` is the graph's run-time context type;
    ``name`` names the compiled graph and is set as the ``name`` of every AI message the
    agent makes. ``checkpointer``, ``store``, ``interrupt_before`` and ``interrupt_after`` are
    handed to ``compile()``.
    """
    from streamgraph.graph import END, START, MessagesState, StateGraph

    tool_node = tools if isinstance(tools, ToolNode) else ToolNode(list(tools))
    langchain = _is_langchain(model)
    bound = _bind(model, tool_node, langchain=langchain)
    if state_schema is None and langchain:
        from streamgraph.integrations.langchain import MessagesState as LangChainMessagesState

        state_schema = LangChainMessagesState
    builder = StateGraph(state_schema or MessagesState, context_schema)
    agent = _AgentNode(bound, _prompt_runner(prompt), tool_node.messages_key, name)
    builder.add_node("agent", agent)
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
        self,
        model: Any,
        prompt: Callable[[Any, list[Any]], Any],
        messages_key: str,
        name: str | None,
    ) -> None:
        self.model = model
        self.prompt = prompt
        self.messages_key = messages_key
        self.name = name

    async def __call__(self, state: Any) -> dict[str, Any]:
        messages = _messages_of(state, self.messages_key)
        prompted = self.prompt(state, messages)
        if inspect.isawaitable(prompted):
            prompted = await prompted
        reply = await self.model.ainvoke(prompted)
        if self.name is not None and getattr(reply, "type", None) == "ai":
            reply.name = self.name  # supervisors and multi-agent UIs route by it
        return {self.messages_key: [reply]}


def _is_langchain(model: Any) -> bool:
    """Whether ``model`` is a LangChain runnable (a chat model, or one with tools bound)."""
    return any(klass.__module__.startswith("langchain_core.") for klass in type(model).__mro__)


def _bind(model: Any, tool_node: ToolNode, *, langchain: bool) -> Any:
    if not tool_node.tools_by_name or _has_tools(model, langchain):
        return model  # nothing to offer, or the caller bound tools (and a tool_choice) already
    if not hasattr(model, "bind_tools"):
        raise ConfigurationError(
            f"create_react_agent needs a chat model with bind_tools(); got {type(model).__name__}"
        )
    if langchain:
        return model.bind_tools([_for_langchain(t) for t in tool_node.tools])
    return model.bind_tools(tool_node.tools)


def _has_tools(model: Any, langchain: bool) -> bool:
    if langchain:
        return bool((getattr(model, "kwargs", None) or {}).get("tools"))
    return bool(getattr(model, "_tools", None))


def _for_langchain(tool: Any) -> Any:
    """What a LangChain model's ``bind_tools`` is given for one of the node's tools.

    A LangChain tool goes as itself, unless it has parameters marked with our injection
    markers (which LangChain cannot see): then, like our own tools, as an OpenAI-style spec
    without them.
    """
    from streamgraph.tools.langchain import LangChainTool

    if isinstance(tool, LangChainTool) and not tool.injections:
        return tool.lc_tool
    spec = tool.tool_spec()
    return {"type": "function", "function": dict(spec)}


def _messages_of(state: Any, key: str) -> list[Any]:
    found = state.get(key) if isinstance(state, Mapping) else getattr(state, key, None)
    if not isinstance(found, list):
        raise ConfigurationError(f"the agent's state needs a {key!r} list of messages")
    return found


def _prompt_runner(prompt: Prompt) -> Callable[[Any, list[Any]], Any]:
    from streamgraph.messages import SystemMessage
    from streamgraph.messages.langchain import is_langchain_message

    if prompt is None:
        return lambda state, messages: messages
    if isinstance(prompt, str):
        prompt = SystemMessage(prompt)
    if isinstance(prompt, SystemMessage) or (
        is_langchain_message(prompt) and getattr(prompt, "type", None) == "system"
    ):
        system: Any = prompt
        return lambda state, messages: [system, *messages]
    if hasattr(prompt, "ainvoke") and not inspect.isfunction(prompt):
        runnable: Any = prompt
        return lambda state, messages: runnable.ainvoke(state)
    if callable(prompt):
        build: Any = prompt
        if inspect.iscoroutinefunction(build):
            return lambda state, messages: build(state)
        return lambda state, messages: list(build(state))
    raise ConfigurationError(
        "prompt must be a string, a SystemMessage, a function (state) -> messages or a "
        f"LangChain runnable; got {type(prompt).__name__}"
    )
