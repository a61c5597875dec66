"""Basic token streaming: print an LLM's reply token by token as the graph runs.

Run it with ``python examples/basic_streaming.py``.
"""

from __future__ import annotations

from typing import Any

from _models import pick_model

from streamgraph import START, MessagesState, StateGraph

POEM = (
    "Silicon minds in quiet hum,\n"
    "we learn the words before they come;\n"
    "a spark of thought in borrowed light,\n"
    "we write the day, you dream the night."
)

model = pick_model(POEM)


def poet(state: MessagesState) -> dict[str, Any]:
    return {"messages": [model.invoke(state["messages"])]}


graph = StateGraph(MessagesState).add_node(poet).add_edge(START, "poet").compile()

if __name__ == "__main__":
    for message_chunk, metadata in graph.stream(  # noqa: B007 (the reference's loop)
        {"messages": [("user", "Write a poem about AI")]}, stream_mode="messages"
    ):
        if message_chunk.content:
            print(message_chunk.content, end="", flush=True)
    print()
