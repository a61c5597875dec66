"""Each example runs offline and prints what its section of the reference promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

from tests.examples._support import EXAMPLES, example_env, run_example

STAND_IN_NOTE = "ANTHROPIC_API_KEY is not set: a scripted model stands in for Claude."

# Each has tests in this folder; agent.py is run by tests/prebuilt/test_agent_example.py.
TESTED_HERE = {
    "basic_streaming.py",
    "chat_ui.py",
    "demo.py",
    "disable_streaming.py",
    "filter_by_node.py",
    "filter_by_step.py",
    "filter_by_tags.py",
    "metadata_fields.py",
    "tool_calls.py",
}


def test_every_example_is_run_by_a_test() -> None:
    examples = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert examples - {"agent.py"} == TESTED_HERE


def test_basic_streaming_prints_the_whole_poem_in_order() -> None:
    result = run_example("basic_streaming.py")
    assert result.stdout == (
        "Silicon minds in quiet hum,\n"
        "we learn the words before they come;\n"
        "a spark of thought in borrowed light,\n"
        "we write the day, you dream the night.\n"
    )
    assert result.stderr.strip() == STAND_IN_NOTE


def test_basic_streaming_prints_tokens_as_they_arrive() -> None:
    """The poem reaches the terminal in many pieces over time, not in one write at the end."""
    arrivals: list[float] = []
    with subprocess.Popen(
        [sys.executable, str(EXAMPLES / "basic_streaming.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=example_env(),
    ) as process:
        assert process.stdout is not None
        while os.read(process.stdout.fileno(), 4096):
            arrivals.append(time.perf_counter())
        assert process.wait(timeout=60) == 0
    assert len(arrivals) >= 5
    assert arrivals[-1] - arrivals[0] > 0.1


def test_filter_by_node_shows_only_the_writer_tokens() -> None:
    result = run_example("filter_by_node.py")
    assert result.stdout == "Rivers carve the valleys deep, then feed the fields before the sea.\n"
    assert "Notes" not in result.stdout


def test_filter_by_tags_shows_only_the_tagged_model_tokens() -> None:
    result = run_example("filter_by_tags.py")
    assert result.stdout == "Use water just off the boil and steep black tea for four minutes.\n"
    assert "Summary" not in result.stdout


def test_filter_by_step_skips_the_first_two_steps() -> None:
    result = run_example("filter_by_step.py")
    assert result.stdout == "Hello! What a fine day it is.\n"
    assert "Outline" not in result.stdout
    assert "Draft" not in result.stdout


def test_metadata_fields_prints_the_documented_fields_of_one_chunk() -> None:
    first_line, _, rest = run_example("metadata_fields.py").stdout.partition("\n")
    assert first_line == "First chunk: 'Sure,'"
    metadata = json.loads(rest)
    assert metadata["langgraph_node"] == "agent"
    assert metadata["langgraph_step"] == 1
    assert metadata["langgraph_triggers"] == ["branch:to:agent"]
    assert uuid.UUID(metadata["run_id"])
    assert metadata["tags"] == ["main_response"]
    assert metadata["ls_model_name"] == "fake-chat-model"


def test_chat_ui_stores_the_full_text_of_the_streamed_chunks() -> None:
    streamed, summary, stored = run_example("chat_ui.py").stdout.splitlines()
    reply = "Hi! I can help you plan a trip, draft an email or explain a concept."
    assert streamed == reply
    assert stored == f"Stored: {reply}"
    assert summary == f"[stored {len(reply)} characters, streamed as 15 chunks]"


def test_tool_calls_print_each_call_once_between_the_texts() -> None:
    result = run_example("tool_calls.py")
    assert result.stdout.count("[Calling tool:") == 1
    assert result.stdout == (
        "Let me check the weather in Paris.\n"
        "[Calling tool: get_weather]\n"
        "Sunny, 22 °C and a light breeze in Paris."  # the ToolMessage, printed by the loop too
        "It is sunny in Paris right now: 22 °C with a light breeze.\n"
    )


def test_disable_streaming_gives_one_whole_message_per_call() -> None:
    reply = "The whole reply arrives at once, as a single message."
    assert run_example("disable_streaming.py").stdout.splitlines() == [
        "streaming=False: 1 message(s)",
        f"  AIMessage: {reply}",
        "disable_streaming=True: 1 message(s)",
        f"  AIMessage: {reply}",
    ]
