"""Streaming from inside tools: progress in custom mode, an inner LLM's tokens in messages mode.

Ordering is checked with events the tool waits on and the test sets after it has seen the
progress item: if progress were only delivered after the tool returned, the tool's wait
would time out and the test would fail. No sleeps.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from streamgraph.config import get_stream_writer
from streamgraph.messages import AIMessageChunk, ToolMessage
from streamgraph.models import FakeChatModel
from streamgraph.prebuilt import create_react_agent
from streamgraph.tools import tool
from streamgraph.types import StreamWriter
from tests.prebuilt.helpers import calls

USER = {"messages": [("user", "go")]}
WAIT = 10.0  # seconds a tool waits for the test before giving up (never reached when correct)


def test_sync_tool_progress_arrives_while_the_tool_runs() -> None:
    seen_progress = threading.Event()
    waited: list[bool] = []

    @tool
    def crunch(size: int, writer: StreamWriter) -> str:
        """Crunch numbers, reporting progress."""
        writer({"progress": "started", "size": size})
        waited.append(seen_progress.wait(WAIT))
        get_stream_writer()({"progress": "done"})
        return "crunched"

    model = FakeChatModel(responses=[calls(("crunch", {"size": 3}, "c1")), "Finished."])
    agent = create_react_agent(model, [crunch])
    order: list[str] = []
    for mode, payload in agent.stream(USER, stream_mode=["custom", "messages"]):
        if mode == "custom":
            order.append(f"custom:{payload['progress']}")
            if payload["progress"] == "started":
                seen_progress.set()
        elif isinstance(payload[0], ToolMessage):
            order.append(f"tool:{payload[0].content}")
    assert waited == [True]
    assert order == ["custom:started", "custom:done", "tool:crunched"]


async def test_async_tool_progress_arrives_while_the_tool_runs() -> None:
    seen_progress = asyncio.Event()
    waited: list[bool] = []

    @tool
    async def fetch(url: str) -> str:
        """Fetch a page, reporting progress."""
        get_stream_writer()({"fetching": url})
        try:
            await asyncio.wait_for(seen_progress.wait(), WAIT)
            waited.append(True)
        except asyncio.TimeoutError:
            waited.append(False)
        return "page"

    model = FakeChatModel(responses=[calls(("fetch", {"url": "a.example"}, "c1")), "Done."])
    agent = create_react_agent(model, [fetch])
    custom: list[Any] = []
    async for mode, payload in agent.astream(USER, stream_mode=["custom", "updates"]):
        if mode == "custom":
            custom.append(payload)
            seen_progress.set()
    assert waited == [True]
    assert custom == [{"fetching": "a.example"}]


def test_custom_mode_off_makes_the_writer_a_no_op() -> None:
    @tool
    def chatty(writer: StreamWriter) -> str:
        """Writes a lot."""
        for i in range(3):
            writer(i)
        return "ok"

    model = FakeChatModel(responses=[calls(("chatty", {}, "c1")), "Done."])
    items = list(create_react_agent(model, [chatty]).stream(USER, stream_mode="messages"))
    assert [m.content for m, _ in items if isinstance(m, ToolMessage)] == ["ok"]


def inner_model() -> FakeChatModel:
    return FakeChatModel(responses=["inner summary text"], tags=["inner"])


def test_llm_tokens_inside_tools_carry_the_tool_call_id() -> None:
    summarizer = inner_model()

    @tool
    def summarize(topic: str) -> str:
        """Summarize a topic with another model (sync)."""
        return summarizer.invoke(f"Summarize {topic}").text

    @tool
    async def asummarize(topic: str) -> str:
        """Summarize a topic with another model (async)."""
        return (await summarizer.ainvoke(f"Summarize {topic}")).text

    model = FakeChatModel(
        responses=[
            calls(
                ("summarize", {"topic": "tea"}, "call_sync"),
                ("asummarize", {"topic": "jam"}, "call_async"),
            ),
            "All summarized.",
        ]
    )
    agent = create_react_agent(model, [summarize, asummarize])
    items = list(agent.stream(USER, stream_mode="messages"))

    inner = [(m, meta) for m, meta in items if "inner" in meta["tags"]]
    by_call: dict[str, str] = {}
    for chunk, meta in inner:
        assert isinstance(chunk, AIMessageChunk)
        assert meta["langgraph_node"] == "tools"
        by_call[meta["tool_call_id"]] = by_call.get(meta["tool_call_id"], "") + chunk.text
    assert by_call == {"call_sync": "inner summary text", "call_async": "inner summary text"}

    outer = [meta for m, meta in items if meta["langgraph_node"] == "agent"]
    assert outer and all("tool_call_id" not in meta for meta in outer)

    # the inner tokens come before the ToolMessages that carry their results
    first_tool = next(i for i, (m, _) in enumerate(items) if isinstance(m, ToolMessage))
    last_inner = max(i for i, (_, meta) in enumerate(items) if "inner" in meta["tags"])
    assert last_inner < first_tool
    assert [m.content for m, _ in items if isinstance(m, ToolMessage)] == [
        "inner summary text",
        "inner summary text",
    ]


async def test_llm_tokens_inside_tools_with_astream() -> None:
    summarizer = inner_model()

    @tool
    async def asummarize(topic: str) -> str:
        """Summarize a topic with another model."""
        return (await summarizer.ainvoke(topic)).text

    model = FakeChatModel(responses=[calls(("asummarize", {"topic": "x"}, "c9")), "Ok."])
    agent = create_react_agent(model, [asummarize])
    metas = [meta async for _, meta in agent.astream(USER, stream_mode="messages")]
    inner = [meta for meta in metas if "inner" in meta["tags"]]
    assert len(inner) == 3
    assert {(meta["langgraph_node"], meta["tool_call_id"]) for meta in inner} == {("tools", "c9")}
