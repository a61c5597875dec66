"""With tool calls: text streams token by token; a tool call shows up once, as one line.

The model first says it will look something up and calls ``get_weather``; ``ToolNode``
runs the tool; the model then answers with the result. A tool call is not printed token by
token: the chunk that starts it carries the call in ``tool_calls``, the chunks that follow
carry only pieces of its arguments, so the loop below prints each call exactly once. The
tool's answer (the ``ToolMessage`` that ``ToolNode`` returns) comes through ``messages`` mode
as one whole message, so the loop prints it too, just before the model's final answer.

Run it with ``python examples/tool_calls.py``.
"""

from __future__ import annotations

from typing import Any

from _models import pick_model

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.messages import AIMessage
from streamgraph.prebuilt import ToolNode
from streamgraph.tools import tool


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny, 22 °C and a light breeze in {city}."


SCRIPT = [
    AIMessage(
        "Let me check the weather in Paris.",
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_weather_1"}],
    ),
    "It is sunny in Paris right now: 22 °C with a light breeze.",
]
model = pick_model(SCRIPT).bind_tools([get_weather])


def agent(state: MessagesState) -> dict[str, Any]:
    return {"messages": [model.invoke(state["messages"])]}


def after_agent(state: MessagesState) -> str:
    """Run the tools when the model asked for any, else stop."""
    last = state["messages"][-1]
    return "tools" if isinstance(last, AIMessage) and last.tool_calls else END


graph = (
    StateGraph(MessagesState)
    .add_node(agent)
    .add_node("tools", ToolNode([get_weather]))
    .add_edge(START, "agent")
    .add_conditional_edges("agent", after_agent, ["tools", END])
    .add_edge("tools", "agent")
    .compile()
)
inputs = {"messages": [("user", "What's the weather in Paris?")]}

if __name__ == "__main__":
    for msg, meta in graph.stream(inputs, stream_mode="messages"):  # noqa: B007 (reference loop)
        if msg.content:
            # Regular text content
            print(msg.content, end="")
        elif msg.tool_calls:
            # Tool call (not streamed token-by-token)
            for tc in msg.tool_calls:
                print(f"\n[Calling tool: {tc['name']}]")
    print()
