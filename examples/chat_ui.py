"""Chat UI integration: hand each chunk to the UI as it arrives, then store the whole reply.

The reference's version of ``stream_chat_response`` ends with ``return "".join(buffer)``,
which Python rejects: an async generator cannot return a value ("SyntaxError: 'return' with
value in async generator"). The fix kept here: the caller passes a small ``ChatReply``
holder, the generator yields each chunk as before and, once the stream is over, stores the
full text on the holder instead of returning it.

Run it with ``python examples/chat_ui.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from _models import pick_model

from streamgraph import START, MessagesState, StateGraph

model = pick_model("Hi! I can help you plan a trip, draft an email or explain a concept.")


async def assistant(state: MessagesState) -> dict[str, Any]:
    return {"messages": [await model.ainvoke(state["messages"])]}


graph = StateGraph(MessagesState).add_node(assistant).add_edge(START, "assistant").compile()


@dataclass
class ChatReply:
    """Where ``stream_chat_response`` leaves the full reply once its stream has ended."""

    full_text: str = ""


async def stream_chat_response(user_message: str, reply: ChatReply) -> AsyncIterator[str]:
    """Stream response for chat UI."""
    buffer = []

    async for msg, meta in graph.astream(
        {"messages": [("user", user_message)]}, stream_mode="messages"
    ):
        if meta["langgraph_node"] == "assistant":  # noqa: SIM102 (as in the reference)
            if msg.content:
                buffer.append(msg.content)
                yield msg.content  # Yield each chunk

    # Full message for storage: on the holder, since an async generator cannot return it
    reply.full_text = "".join(buffer)


async def main() -> None:
    reply = ChatReply()
    chunks = 0
    async for chunk in stream_chat_response("What can you do?", reply):
        print(chunk, end="", flush=True)  # a real UI would send it over a websocket or SSE
        chunks += 1
    print()
    print(f"[stored {len(reply.full_text)} characters, streamed as {chunks} chunks]")
    print(f"Stored: {reply.full_text}")


if __name__ == "__main__":
    asyncio.run(main())
