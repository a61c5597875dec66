"""Filter by tags: tag the model whose reply the user should see, and show only its tokens.

A ``summarize`` node calls an untagged model for a private summary; the ``respond`` node calls
the model tagged ``main_response``. Metadata carries the model's tags with every chunk.

Run it with ``python examples/filter_by_tags.py``.
"""

from __future__ import annotations

from typing import Any

from _models import pick_model

from streamgraph import START, MessagesState, StateGraph
from streamgraph.messages import SystemMessage

SUMMARY = "Summary: the user wants a tip for brewing tea."
ANSWER = "Use water just off the boil and steep black tea for four minutes."

summary_model = pick_model(SUMMARY)

# Tag your model
model = pick_model(ANSWER, tags=["main_response"])


def summarize(state: MessagesState) -> dict[str, Any]:
    brief = SystemMessage("Summarize the request in one line, for internal use.")
    return {"messages": [summary_model.invoke([brief, *state["messages"]])]}


def respond(state: MessagesState) -> dict[str, Any]:
    brief = SystemMessage("Answer the user's request in one sentence.")
    return {"messages": [model.invoke([brief, state["messages"][0]])]}


graph = (
    StateGraph(MessagesState)
    .add_node(summarize)
    .add_node(respond)
    .add_edge(START, "summarize")
    .add_edge("summarize", "respond")
    .compile()
)
inputs = {"messages": [("user", "How do I brew black tea?")]}

if __name__ == "__main__":
    # Filter by tag
    for msg, meta in graph.stream(inputs, stream_mode="messages"):
        if "main_response" in meta.get("tags", []):
            print(msg.content, end="")
    print()
