"""The streamgraph demo: plan, call a tool, then stream the answer token by token.

Three nodes: ``planner`` decides (by a plain rule, no model) to look up the weather,
``tool`` runs the lookup and reports it through the stream writer, and ``writer`` asks the
LLM for the answer, whose tokens print as they arrive. A closing line gives the time to the
first token and the rate.

The model: Claude when ``ANTHROPIC_API_KEY`` is set, else OpenAI when ``OPENAI_API_KEY`` is
set, else SmolLM2 running on this machine's CPU (``ChatLocal``, the ``[local]`` extra), and
only where that cannot run, a scripted model. ``STREAMGRAPH_DEMO_MODEL`` (``anthropic``,
``openai``, ``local`` or ``scripted``) picks one directly.

Run it with ``make demo`` or ``python examples/demo.py``.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from streamgraph import END, START, MessagesState, StateGraph, get_stream_writer
from streamgraph.errors import ConfigurationError, ProviderError
from streamgraph.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage, tool_call
from streamgraph.models import BaseChatModel, FakeChatModel
from streamgraph.tools import tool

QUESTION = "What's the weather in Lisbon today, and do I need an umbrella?"
CITIES = ("Lisbon", "Paris", "Oslo")
SCRIPTED_ANSWER = (
    "Lisbon is sunny today at 22 °C with a light breeze from the north-west, and no rain is "
    "expected, so you can leave the umbrella at home and bring sunglasses instead."
)
MAX_TOKENS = 120


@tool
def get_weather(city: str) -> str:
    """Today's weather in a city."""
    return f"{city}: sunny, 22 °C, light north-west breeze, 0% chance of rain."


# -- the model --------------------------------------------------------------------------------


def _scripted(why: str) -> tuple[BaseChatModel, str]:
    model = FakeChatModel([SCRIPTED_ANSWER], delay=0.03, model_name="scripted")
    return model, f"FakeChatModel, a scripted stand-in that streams a fixed answer ({why})"


def _local() -> tuple[BaseChatModel, str]:
    """ChatLocal, started before the graph runs; the scripted model where it cannot run."""
    try:
        from streamgraph.models import ChatLocal

        model = ChatLocal(max_tokens=MAX_TOKENS, temperature=0.2)
        print("Starting the local model (SmolLM2 on the CPU) ...", file=sys.stderr)
        started = time.perf_counter()
        # Start llama.cpp's server now rather than on the first call, so a failure to start is
        # caught here. The one-token call loads what any first call needs (the HTTP client, the
        # weights into memory), so the timing below is the answer's, not the start-up's.
        model.server()
        ChatLocal(max_tokens=1).invoke("Hi")
        print(f"... ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    except (ImportError, ConfigurationError, ProviderError, OSError) as exc:
        # No [local] extra, no weights, or a server that would not start.
        print(f"The local model cannot run here: {exc}", file=sys.stderr)
        first_line = str(exc).splitlines()[0].rstrip(":")
        return _scripted(f"the local model cannot run here: {first_line}")
    return model, f"ChatLocal ({model.model_name} on the CPU, via llama.cpp)"


def choose_model() -> tuple[BaseChatModel, str]:
    """The model the demo uses, and a line saying what it is."""
    choice = os.environ.get("STREAMGRAPH_DEMO_MODEL", "auto").lower()
    if choice == "scripted":
        return _scripted("STREAMGRAPH_DEMO_MODEL=scripted")
    if choice == "anthropic" or (choice == "auto" and os.environ.get("ANTHROPIC_API_KEY")):
        from streamgraph.models import ChatAnthropic

        model: BaseChatModel = ChatAnthropic(model="claude-sonnet-4-20250514", max_tokens=400)
        return model, f"ChatAnthropic ({model.model_name})"
    if choice == "openai" or (choice == "auto" and os.environ.get("OPENAI_API_KEY")):
        from streamgraph.models import ChatOpenAI

        model = ChatOpenAI(model="gpt-4o-mini", max_tokens=400)
        return model, f"ChatOpenAI ({model.model_name})"
    if choice not in ("auto", "local"):
        sys.exit(f"STREAMGRAPH_DEMO_MODEL={choice!r}: use anthropic, openai, local or scripted")
    return _local()


# -- the graph --------------------------------------------------------------------------------


def planner(state: MessagesState) -> dict[str, Any]:
    """Decide, without a model, to look up the weather of the city the question names."""
    question = state["messages"][-1].text
    city = next((c for c in CITIES if c.lower() in question.lower()), CITIES[0])
    call = tool_call(name="get_weather", args={"city": city}, id="call_plan_1")
    return {"messages": [AIMessage("", tool_calls=[call])]}


def run_tool(state: MessagesState) -> dict[str, Any]:
    """Run the planned call and report it in ``custom`` mode."""
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    write = get_stream_writer()
    results = []
    for call in last.tool_calls:
        result = get_weather.invoke(call["args"])
        write({"tool": call["name"], "args": call["args"], "result": result})
        results.append(ToolMessage(result, tool_call_id=str(call["id"]), name=call["name"]))
    return {"messages": results}


def build_writer(model: BaseChatModel) -> Any:
    def writer(state: MessagesState) -> dict[str, Any]:
        """Ask the model for the answer, giving it the tool's result as plain text."""
        question, facts = state["messages"][0].text, state["messages"][-1].text
        prompt = [
            SystemMessage("You are a helpful assistant. Answer in two short sentences."),
            HumanMessage(f"{question}\n\nWeather report: {facts}"),
        ]
        return {"messages": [model.invoke(prompt)]}

    return writer


def build_graph(model: BaseChatModel) -> Any:
    return (
        StateGraph(MessagesState)
        .add_node(planner)
        .add_node("tool", run_tool)
        .add_node("writer", build_writer(model))
        .add_edge(START, "planner")
        .add_edge("planner", "tool")
        .add_edge("tool", "writer")
        .add_edge("writer", END)
        .compile()
    )


# -- running it -------------------------------------------------------------------------------


def run(graph: Any) -> None:
    """Stream the graph: tool lines from ``custom`` mode, the writer's tokens as they come."""
    print(f"You: {QUESTION}")
    started = time.perf_counter()
    first = last = 0.0
    chunks, reported = 0, 0
    inputs = {"messages": [("user", QUESTION)]}
    for mode, payload in graph.stream(inputs, stream_mode=["custom", "messages"]):
        if mode == "custom":
            args = ", ".join(f"{k}={v!r}" for k, v in payload["args"].items())
            print(f"[tool] {payload['tool']}({args}) -> {payload['result']}")
            continue
        chunk, meta = payload
        if meta["langgraph_node"] != "writer":
            continue
        if chunk.usage_metadata:  # the provider's own count, on the call's last chunk
            reported = chunk.usage_metadata["output_tokens"]
        if not chunk.content:
            continue
        if not chunks:
            first = time.perf_counter()
            print("Assistant: ", end="")
        print(chunk.content, end="", flush=True)
        chunks += 1
        last = time.perf_counter()
    print()
    print(_timing(first - started, last - first, reported or chunks))


def _timing(to_first: float, streaming: float, tokens: int) -> str:
    """The closing line; the rate counts the tokens after the first over the time they took."""
    if not tokens:
        return "[the model returned no text]"
    rate = f"{(tokens - 1) / streaming:.1f} tokens/s" if streaming > 0 else "all at once"
    return f"[time to first token {to_first:.2f} s, {tokens} tokens, {rate}]"


def main() -> None:
    try:
        model, description = choose_model()
        print(f"Model: {description}")
        run(build_graph(model))
    except (ConfigurationError, ProviderError) as exc:  # e.g. a missing or rejected API key
        sys.exit(f"\nThe demo cannot run: {exc}")


if __name__ == "__main__":
    main()
