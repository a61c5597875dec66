"""Filter by node: two nodes call the LLM, only the ``writer`` node's tokens are shown.

The ``researcher`` node gathers notes first; its tokens stream too, and the loop skips them
by reading ``langgraph_node`` from each chunk's metadata.

Run it with ``python examples/filter_by_node.py``.
"""

from __future__ import annotations

from typing import Any

from _models import pick_model

from streamgraph import START, MessagesState, StateGraph
from streamgraph.messages import SystemMessage

NOTES = "Notes: rivers carve valleys; deltas feed fields; the sea takes them all."
ANSWER = "Rivers carve the valleys deep, then feed the fields before the sea."

research_model = pick_model(NOTES)
writer_model = pick_model(ANSWER)


def researcher(state: MessagesState) -> dict[str, Any]:
    brief = SystemMessage("List three short facts the writer can use. Do not write the answer.")
    return {"messages": [research_model.invoke([brief, *state["messages"]])]}


def writer(state: MessagesState) -> dict[str, Any]:
    question, notes = state["messages"][0], state["messages"][-1]
    brief = SystemMessage(f"Answer in one sentence. Notes you may use:\n{notes.text}")
    return {"messages": [writer_model.invoke([brief, question])]}


graph = (
    StateGraph(MessagesState)
    .add_node(researcher)
    .add_node(writer)
    .add_edge(START, "researcher")
    .add_edge("researcher", "writer")
    .compile()
)
inputs = {"messages": [("user", "Write one line about rivers.")]}

if __name__ == "__main__":
    for msg, meta in graph.stream(inputs, stream_mode="messages"):
        # Only show tokens from specific node
        if meta["langgraph_node"] == "writer":
            print(msg.content, end="")
    print()
