"""A tool-calling agent, streamed: the model's tokens, its tool calls, tool progress, results.

Run it with ``python examples/agent.py``.

``create_react_agent`` loops model -> tools -> model until the model answers without
calling a tool. The two weather lookups run at the same time; the one for a city without a
station fails, and with ``ToolNode(..., handle_tool_errors=True)`` the model reads that
failure as an error ToolMessage instead of the run crashing (by default only arguments
that do not fit the tool become one, as in LangGraph). Progress the tool writes with its
stream writer arrives in ``custom`` mode while the tool runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from _models import pick_model

from streamgraph.messages import AIMessage, ToolMessage, tool_call
from streamgraph.prebuilt import ToolNode, create_react_agent
from streamgraph.tools import tool
from streamgraph.types import StreamWriter

STATIONS = {"Paris": "18°C, light rain", "Oslo": "4°C, clear sky"}


@tool
async def get_weather(city: str, writer: StreamWriter) -> str:
    """Current weather for a city."""
    writer(f"looking up {city}")
    await asyncio.sleep(0.05)  # a real tool would call a weather service here
    if city not in STATIONS:
        raise LookupError(f"no weather station in {city}")
    return f"{city}: {STATIONS[city]}"


# What the scripted stand-in answers; with ANTHROPIC_API_KEY set, Claude decides instead.
SCRIPT: list[str | AIMessage] = [
    AIMessage(
        "Let me check both cities.",
        tool_calls=[
            tool_call(name="get_weather", args={"city": "Paris"}, id="call_paris"),
            tool_call(name="get_weather", args={"city": "Atlantis"}, id="call_atlantis"),
        ],
    ),
    "Paris has 18°C and light rain. Atlantis has no weather station, so I cannot say.",
]

agent = create_react_agent(
    pick_model(SCRIPT),
    ToolNode([get_weather], handle_tool_errors=True),
    prompt="You are a concise weather assistant.",
)


def describe(mode: str, data: Any) -> str | None:
    """A line for everything that is not a text token (None for chunks with nothing to show)."""
    if mode == "custom":
        return f"  ... {data}"
    message, _metadata = data
    if isinstance(message, ToolMessage):
        return f"  -> {message.name} ({message.status}): {message.text.splitlines()[0]}"
    if message.tool_calls:
        return "\n".join(f"[Calling tool: {call['name']}]" for call in message.tool_calls)
    return None


def main() -> None:
    question = "What's the weather in Paris and in Atlantis?"
    print(f"User: {question}\n")
    at_line_start = True
    for mode, data in agent.stream(
        {"messages": [("user", question)]}, stream_mode=["messages", "custom"]
    ):
        message = data[0] if mode == "messages" else None
        if message is not None and not isinstance(message, ToolMessage) and message.content:
            print(message.content, end="", flush=True)  # a token of the model's reply
            at_line_start = False
            continue
        line = describe(mode, data)
        if line:
            print(line if at_line_start else f"\n{line}")
            at_line_start = True
    print()


if __name__ == "__main__":
    main()
