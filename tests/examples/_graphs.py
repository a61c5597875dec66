"""Small graphs and a stand-in ``ChatAnthropic`` for running the reference's snippets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from streamgraph import END, START, CompiledStateGraph, MessagesState, StateGraph
from streamgraph.messages import AIMessage
from streamgraph.models import BaseChatModel, FakeChatModel
from streamgraph.prebuilt import ToolNode
from streamgraph.tools import tool

Node = Callable[[MessagesState], dict[str, Any]]
INPUTS = {"messages": [("user", "hello")]}


def stand_in_chat_anthropic(reply: str, made: list[FakeChatModel]) -> Callable[..., FakeChatModel]:
    """A class taking ChatAnthropic's arguments that streams ``reply`` instead of calling Claude.

    Every instance is appended to ``made``, so a test can look at the models a snippet built.
    """

    class ChatAnthropic(FakeChatModel):
        def __init__(self, *, model: str, **options: Any) -> None:
            super().__init__([reply], model_name=model, **options)
            made.append(self)

    return ChatAnthropic


def calls(model: BaseChatModel | Callable[[], BaseChatModel]) -> Node:
    """A node that calls ``model`` (or the model the function returns, looked up at call time)."""

    def node(state: MessagesState) -> dict[str, Any]:
        chosen = model if isinstance(model, BaseChatModel) else model()
        return {"messages": [chosen.invoke(state["messages"])]}

    return node


def chain(nodes: Sequence[tuple[str, Node]]) -> CompiledStateGraph:
    """START -> each node in turn -> END."""
    builder = StateGraph(MessagesState)
    previous = START
    for name, node in nodes:
        builder.add_node(name, node)
        builder.add_edge(previous, name)
        previous = name
    return builder.add_edge(previous, END).compile()


def replying(*names_and_replies: tuple[str, str]) -> CompiledStateGraph:
    """A chain of nodes, each calling its own scripted model that streams the given reply."""
    return chain([(name, calls(FakeChatModel([reply]))) for name, reply in names_and_replies])


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


def agent_with_tools(script: Sequence[str | AIMessage]) -> CompiledStateGraph:
    """agent -> tools -> agent, until the agent's message has no tool calls."""
    model = FakeChatModel(script).bind_tools([get_weather])

    def route(state: MessagesState) -> str:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    return (
        StateGraph(MessagesState)
        .add_node("agent", calls(model))
        .add_node("tools", ToolNode([get_weather]))
        .add_edge(START, "agent")
        .add_conditional_edges("agent", route, ["tools", END])
        .add_edge("tools", "agent")
        .compile()
    )
