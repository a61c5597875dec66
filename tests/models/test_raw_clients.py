"""A node that calls a provider SDK directly streams into messages mode through relay_chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from streamgraph import START, MessagesState, StateGraph
from streamgraph.messages import AIMessageChunk, merge_chunks
from streamgraph.models import arelay_chunks, relay_chunks
from streamgraph.testing import MockProviderServer, Reply, Text

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")

MODEL = "claude-sonnet-5"
WORDS = ["Straight", " from", " the", " SDK."]


@pytest.fixture
def server() -> Iterator[MockProviderServer]:
    with MockProviderServer() as srv:
        yield srv


def _check(items: list[Any], state: dict[str, Any], provider: str) -> None:
    chunks = [(c, m) for c, m in items if m["langgraph_node"] == "call_sdk"]
    assert "".join(c.content for c, _ in chunks) == "".join(WORDS)
    assert {m["ls_model_name"] for _, m in chunks} == {MODEL}
    assert {m["ls_provider"] for _, m in chunks} == {provider}
    ids = {c.id for c, _ in chunks}
    reply = state["messages"][-1]
    assert ids == {reply.id} and reply.text == "".join(WORDS)
    # the merged reply the node returned is not sent a second time, as a whole message
    assert all(isinstance(c, AIMessageChunk) for c, _ in items)


def test_anthropic_sdk_stream_in_a_sync_node(server: MockProviderServer) -> None:
    from streamgraph.models.raw import anthropic_chunks

    server.enqueue(Reply(Text("".join(WORDS))))
    client = anthropic.Anthropic(
        api_key="test-key", base_url=server.base_url_anthropic, max_retries=0
    )

    def call_sdk(state: MessagesState) -> dict[str, Any]:
        prompt = [{"role": "user", "content": state["messages"][-1].text}]
        with client.messages.stream(model=MODEL, max_tokens=64, messages=prompt) as events:
            parts = list(
                relay_chunks(anthropic_chunks(events), model_name=MODEL, provider="anthropic")
            )
        return {"messages": [merge_chunks(parts).to_message()]}

    graph = StateGraph(MessagesState).add_node(call_sdk).add_edge(START, "call_sdk").compile()
    items: list[Any] = []
    final: dict[str, Any] = {}
    for mode, data in graph.stream(
        {"messages": [("user", "hi")]}, stream_mode=["messages", "values"]
    ):
        if mode == "messages":
            items.append(data)
        else:
            final = data
    client.close()
    _check(items, final, "anthropic")


async def test_openai_sdk_stream_in_an_async_node(server: MockProviderServer) -> None:
    server.enqueue(Reply(Text("".join(WORDS))))
    client = openai.AsyncOpenAI(api_key="test-key", base_url=server.base_url_openai, max_retries=0)
    try:
        await _stream_openai(client)
    finally:
        await client.close()


async def _stream_openai(client: Any) -> None:
    from streamgraph.models.raw import aopenai_chunks

    async def call_sdk(state: MessagesState) -> dict[str, Any]:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": state["messages"][-1].text}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = aopenai_chunks(stream)
        parts = [c async for c in arelay_chunks(chunks, model_name=MODEL, provider="openai")]
        return {"messages": [merge_chunks(parts).to_message()]}

    graph = StateGraph(MessagesState).add_node(call_sdk).add_edge(START, "call_sdk").compile()
    items = []
    final: dict[str, Any] = {}
    async for mode, data in graph.astream(
        {"messages": [("user", "hi")]}, stream_mode=["messages", "values"]
    ):
        if mode == "messages":
            items.append(data)
        else:
            final = data
    _check(items, final, "openai")
