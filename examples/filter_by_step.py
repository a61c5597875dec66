"""Filter by step: skip the tokens of the early steps, show the ones from step 3 on.

The graph runs ``outline`` (step 1), ``draft`` (step 2) and ``polish`` (step 3), each an LLM
call; ``langgraph_step`` in the metadata tells them apart.

Run it with ``python examples/filter_by_step.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _models import pick_model

from streamgraph import START, MessagesState, StateGraph
from streamgraph.messages import SystemMessage

STAGES = {
    "outline": ("Outline the answer in a few words.", "Outline: greet, name the day."),
    "draft": ("Draft the answer from the outline.", "Draft: hello, it is a fine day."),
    "polish": ("Polish the draft into the final answer.", "Hello! What a fine day it is."),
}


def stage(instruction: str, scripted: str) -> Callable[[MessagesState], dict[str, Any]]:
    """A node that asks the LLM to do one stage of the work."""
    model = pick_model(scripted)

    def node(state: MessagesState) -> dict[str, Any]:
        question, *work = state["messages"]
        brief = instruction + (f"\nThe previous stage gave:\n{work[-1].text}" if work else "")
        return {"messages": [model.invoke([SystemMessage(brief), question])]}

    return node


builder = StateGraph(MessagesState)
previous = START
for name, (instruction, scripted) in STAGES.items():
    builder.add_node(name, stage(instruction, scripted))
    builder.add_edge(previous, name)
    previous = name
graph = builder.compile()
inputs = {"messages": [("user", "Greet me in one short sentence.")]}

if __name__ == "__main__":
    for msg, meta in graph.stream(inputs, stream_mode="messages"):
        if meta["langgraph_step"] > 2:  # Skip early steps
            print(msg.content, end="")
    print()
