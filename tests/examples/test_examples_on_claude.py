"""The examples with ``ANTHROPIC_API_KEY`` set: they talk to Claude through ChatAnthropic.

"Claude" here is the offline mock server, which speaks Anthropic's real streaming wire
protocol; the examples reach it through the official SDK, which reads ``ANTHROPIC_BASE_URL``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from subprocess import CompletedProcess

import pytest

from streamgraph.testing import MockProviderServer, Reply, Text, ToolCall
from tests.examples._support import run_example

pytest.importorskip("anthropic", reason="the [anthropic] extra is not installed")

CLAUDE = "claude-sonnet-4-20250514"
Run = Callable[[str], CompletedProcess[str]]


@pytest.fixture
def claude() -> Iterator[MockProviderServer]:
    with MockProviderServer(api_key="test-key") as server:
        yield server


@pytest.fixture
def run_on_claude(claude: MockProviderServer) -> Run:
    def run(name: str) -> CompletedProcess[str]:
        env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": claude.url}
        result = run_example(name, env)
        assert "stands in for Claude" not in result.stderr
        return result

    return run


def test_basic_streaming_prints_claudes_tokens(
    claude: MockProviderServer, run_on_claude: Run
) -> None:
    claude.enqueue(Reply(Text("Wires that dream in light.")))
    assert run_on_claude("basic_streaming.py").stdout == "Wires that dream in light.\n"
    request = claude.last_request
    assert request.body["model"] == CLAUDE
    assert request.body["stream"] is True
    assert request.body["messages"][-1]["content"] in (
        "Write a poem about AI",
        [{"type": "text", "text": "Write a poem about AI"}],
    )


def test_filter_by_tags_shows_only_the_tagged_claude_call(
    claude: MockProviderServer, run_on_claude: Run
) -> None:
    claude.enqueue(Reply(Text("A private summary.")), Reply(Text("Steep it for four minutes.")))
    assert run_on_claude("filter_by_tags.py").stdout == "Steep it for four minutes.\n"
    assert len(claude.requests) == 2


def test_metadata_names_the_claude_model(claude: MockProviderServer, run_on_claude: Run) -> None:
    claude.enqueue(Reply(Text("Sure thing.")))
    metadata = json.loads(run_on_claude("metadata_fields.py").stdout.partition("\n")[2])
    assert metadata["ls_provider"] == "anthropic"
    assert metadata["ls_model_name"] == CLAUDE
    assert metadata["tags"] == ["main_response"]


def test_chat_ui_stores_claudes_full_reply(claude: MockProviderServer, run_on_claude: Run) -> None:
    claude.enqueue(Reply(Text("Happy to help with plans.")))
    assert run_on_claude("chat_ui.py").stdout.splitlines() == [
        "Happy to help with plans.",
        "[stored 25 characters, streamed as 5 chunks]",
        "Stored: Happy to help with plans.",
    ]


def test_tool_calls_on_claude_print_each_call_once(
    claude: MockProviderServer, run_on_claude: Run
) -> None:
    claude.enqueue(
        Reply(
            Text("Let me look."),
            ToolCall("get_weather", {"city": "Paris"}, id="toolu_1"),
            stop_reason="tool_use",
        ),
        Reply(Text("Sunny in Paris.")),
    )
    assert run_on_claude("tool_calls.py").stdout == (
        "Let me look.\n"
        "[Calling tool: get_weather]\n"
        "Sunny, 22 °C and a light breeze in Paris."
        "Sunny in Paris.\n"
    )
    tool_result = claude.requests[1].body["messages"][-1]["content"][0]
    assert tool_result["type"] == "tool_result"
    assert tool_result["tool_use_id"] == "toolu_1"


def test_disable_streaming_asks_claude_for_whole_messages(
    claude: MockProviderServer, run_on_claude: Run
) -> None:
    claude.enqueue(Reply(Text("One whole reply.")), Reply(Text("One whole reply.")))
    assert run_on_claude("disable_streaming.py").stdout.splitlines() == [
        "streaming=False: 1 message(s)",
        "  AIMessage: One whole reply.",
        "disable_streaming=True: 1 message(s)",
        "  AIMessage: One whole reply.",
    ]
    assert [r.body.get("stream", False) for r in claude.requests] == [False, False]
