"""Metadata fields: print the metadata that comes with one streamed chunk.

Every chunk of one LLM call shares one metadata dict: the node that made the call
(``langgraph_node``), the superstep (``langgraph_step``), what triggered the node
(``langgraph_triggers``), the run's id (``run_id``), the model's ``tags`` and its
identity (``ls_model_name`` and the other ``ls_*`` keys), among others.

Run it with ``python examples/metadata_fields.py``.
"""

from __future__ import annotations

import json
from typing import Any

from _models import pick_model

from streamgraph import START, MessagesState, StateGraph

model = pick_model("Sure, here is a short answer.", tags=["main_response"])


def agent(state: MessagesState) -> dict[str, Any]:
    return {"messages": [model.invoke(state["messages"])]}


graph = StateGraph(MessagesState).add_node(agent).add_edge(START, "agent").compile()
inputs = {"messages": [("user", "Give me a short answer.")]}

if __name__ == "__main__":
    for msg, metadata in graph.stream(inputs, stream_mode="messages"):
        print(f"First chunk: {msg.content!r}")
        # The metadata is a dict, so it serialises as it is (its tuples become JSON lists).
        print(json.dumps(metadata, indent=2))
        break  # one chunk is enough; leaving the loop early stops the run
