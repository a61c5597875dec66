"""The token-streaming reference's ChatAnthropic snippets, run in graphs against the mock.

Each snippet is the reference's code with its imports changed and ``base_url`` added (the key
comes from ``ANTHROPIC_API_KEY``, as it would in production).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from streamgraph import END, START, MessagesState, StateGraph
from streamgraph.graph import CompiledStateGraph
from streamgraph.messages import AIMessage, AIMessageChunk
from streamgraph.models import ChatAnthropic, ChatOpenAI
from streamgraph.testing import MockProviderServer, Reply, Text, ToolCall

from .conftest import API_KEY

pytest.importorskip("anthropic")

# The reference names claude-sonnet-4-20250514, which the SDK warns is past its end of life.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")

BOUND = 5.0  # seconds: only ever waited to confirm that something stopped
INPUTS: dict[str, Any] = {"messages": [("user", "Write a poem about AI")]}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockProviderServer]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    with MockProviderServer(api_key=API_KEY) as mock:
        yield mock


def single_node(
    model: Any, name: str = "assistant", *, use_async: bool = False
) -> CompiledStateGraph:
    def call(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    async def acall(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node(name, acall if use_async else call)
    builder.add_edge(START, name)
    builder.add_edge(name, END)
    return builder.compile()


@pytest.mark.parametrize("use_async", [False, True])
def test_basic_token_streaming(
    server: MockProviderServer, capsys: pytest.CaptureFixture[str], use_async: bool
) -> None:
    server.enqueue(Reply(Text("Silicon dreams in quiet rows.")))
    model = ChatAnthropic(model="claude-sonnet-4-20250514", base_url=server.base_url_anthropic)
    graph = single_node(model, use_async=use_async)

    for message_chunk, metadata in graph.stream(  # noqa: B007 - the reference's code
        {"messages": [("user", "Write a poem about AI")]}, stream_mode="messages"
    ):
        if message_chunk.content:
            print(message_chunk.content, end="", flush=True)

    assert capsys.readouterr().out == "Silicon dreams in quiet rows."
    assert server.last_request.body["stream"] is True


def test_metadata_names_node_step_and_model(server: MockProviderServer) -> None:
    server.enqueue(Reply(Text("Hi there.")))
    model = ChatAnthropic(model="claude-sonnet-4-20250514", base_url=server.base_url_anthropic)
    items = list(single_node(model, "writer").stream(INPUTS, stream_mode="messages"))
    assert items
    for msg, meta in items:
        assert isinstance(msg, AIMessageChunk)
        assert meta["langgraph_node"] == "writer"
        assert meta["langgraph_step"] == 1
        assert meta["ls_provider"] == "anthropic"
        assert meta["ls_model_name"] == "claude-sonnet-4-20250514"
        assert meta["ls_max_tokens"] == 1024
    assert len({msg.id for msg, _ in items}) == 1


def test_filter_by_tags(server: MockProviderServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.enqueue(Reply(Text("private plan")), Reply(Text("The public answer.")))
    planner = ChatOpenAI(model="gpt-test", base_url=server.base_url_openai)
    # Tag your model
    model = ChatAnthropic(
        model="claude-sonnet-4-20250514",
        tags=["main_response"],
        base_url=server.base_url_anthropic,
    )
    builder = StateGraph(MessagesState)
    builder.add_node("plan", lambda s: {"messages": [planner.invoke(s["messages"])]})
    builder.add_node("answer", lambda s: {"messages": [model.invoke(s["messages"])]})
    builder.add_edge(START, "plan")
    builder.add_edge("plan", "answer")
    graph = builder.compile()
    inputs = INPUTS

    # Filter by tag
    for msg, meta in graph.stream(inputs, stream_mode="messages"):
        if "main_response" in meta.get("tags", []):
            print(msg.content, end="")

    assert capsys.readouterr().out == "The public answer."
    assert [r.provider for r in server.requests] == ["openai", "anthropic"]


def test_with_tool_calls_each_call_is_printed_once(
    server: MockProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = Reply(Text("Let me check."), ToolCall("get_weather", {"city": "Paris"}))
    server.enqueue(reply, reply)
    weather = {
        "name": "get_weather",
        "description": "Weather in a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    model = ChatAnthropic(
        model="claude-sonnet-4-20250514", base_url=server.base_url_anthropic
    ).bind_tools([weather])
    graph = single_node(model)
    inputs = INPUTS

    for msg, meta in graph.stream(inputs, stream_mode="messages"):  # noqa: B007
        if msg.content:
            # Regular text content
            print(msg.content, end="")
        elif msg.tool_calls:
            # Tool call (not streamed token-by-token)
            for tc in msg.tool_calls:
                print(f"\n[Calling tool: {tc['name']}]")

    assert capsys.readouterr().out == "Let me check.\n[Calling tool: get_weather]\n"
    final = graph.invoke(INPUTS)  # the merged message that lands in state has full arguments
    assert final["messages"][-1].tool_calls[0]["args"] == {"city": "Paris"}


async def test_chat_ui_integration(server: MockProviderServer) -> None:
    server.enqueue(Reply(Text("Hello from the assistant.")))
    model = ChatAnthropic(model="claude-sonnet-4-20250514", base_url=server.base_url_anthropic)
    graph = single_node(model, use_async=True)

    async def stream_chat_response(user_message: str) -> AsyncIterator[str]:
        """Stream response for chat UI."""
        buffer = []

        async for msg, meta in graph.astream(
            {"messages": [("user", user_message)]}, stream_mode="messages"
        ):
            if meta["langgraph_node"] == "assistant":  # noqa: SIM102 - the reference's code
                if msg.content:
                    buffer.append(msg.content)
                    yield msg.content  # Yield each chunk

    pieces = [piece async for piece in stream_chat_response("hi")]
    assert "".join(pieces) == "Hello from the assistant."
    assert len(pieces) > 1


@pytest.mark.parametrize("use_async", [False, True])
@pytest.mark.parametrize(
    "make",
    [
        # For models that don't support streaming
        lambda url: ChatAnthropic(model="claude-sonnet-4-20250514", streaming=False, base_url=url),
        # Or with disable_streaming
        lambda url: ChatAnthropic(
            model="claude-sonnet-4-20250514", disable_streaming=True, base_url=url
        ),
    ],
    ids=["streaming_false", "disable_streaming"],
)
def test_disable_streaming_gives_one_whole_message(
    server: MockProviderServer, make: Callable[[str], ChatAnthropic], use_async: bool
) -> None:
    server.enqueue(Reply(Text("One whole reply.")))
    graph = single_node(make(server.base_url_anthropic), use_async=use_async)
    items = list(graph.stream(INPUTS, stream_mode="messages"))
    [(message, meta)] = items
    assert type(message) is AIMessage
    assert message.content == "One whole reply."
    assert meta["ls_model_name"] == "claude-sonnet-4-20250514"
    assert "stream" not in server.last_request.body


@pytest.mark.parametrize("use_async", [False, True])
def test_breaking_out_of_graph_stream_closes_the_response(
    server: MockProviderServer, use_async: bool
) -> None:
    # A sync node stops at its next chunk (cooperative cancellation), so tokens keep coming.
    server.enqueue(Reply(Text.tokens(500), interval=0.01))
    model = ChatAnthropic(model="claude-sonnet-4-20250514", base_url=server.base_url_anthropic)
    graph = single_node(model, use_async=use_async)
    for msg, _ in graph.stream(INPUTS, stream_mode="messages"):
        assert msg.content == "tok0 "
        break
    assert server.wait_for_disconnect(timeout=BOUND)
    assert not server.last_request.completed.is_set()


async def test_closing_graph_astream_closes_the_response(server: MockProviderServer) -> None:
    server.enqueue(Reply(Text.tokens(50), hold_after=2))
    model = ChatAnthropic(model="claude-sonnet-4-20250514", base_url=server.base_url_anthropic)
    stream = single_node(model, use_async=True).astream(INPUTS, stream_mode="messages")
    async for msg, _ in stream:
        assert msg.content == "tok0 "
        break
    await stream.aclose()
    assert await asyncio.to_thread(server.wait_for_disconnect, 1, BOUND)
