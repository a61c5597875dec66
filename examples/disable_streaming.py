"""Disable streaming: a model made with ``streaming=False`` or ``disable_streaming=True``.

Such a model calls the LLM without streaming, so ``messages`` mode yields exactly one whole
message for the call instead of its tokens. Useful for models that cannot stream, or
where a reply is only useful once it is complete.

Run it with ``python examples/disable_streaming.py``.
"""

from __future__ import annotations

from typing import Any

from _models import pick_model

from streamgraph import START, MessagesState, StateGraph
from streamgraph.models import BaseChatModel

REPLY = "The whole reply arrives at once, as a single message."


def graph_for(model: BaseChatModel) -> Any:
    def assistant(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    return StateGraph(MessagesState).add_node(assistant).add_edge(START, "assistant").compile()


# For models that don't support streaming
model = pick_model(REPLY, streaming=False)
not_streaming = graph_for(model)

# Or with disable_streaming
model = pick_model(REPLY, disable_streaming=True)
streaming_disabled = graph_for(model)

inputs = {"messages": [("user", "Say something in one sentence.")]}

if __name__ == "__main__":
    for label, graph in [
        ("streaming=False", not_streaming),
        ("disable_streaming=True", streaming_disabled),
    ]:
        received = [msg for msg, meta in graph.stream(inputs, stream_mode="messages")]
        print(f"{label}: {len(received)} message(s)")
        for msg in received:
            print(f"  {type(msg).__name__}: {msg.content}")
