"""Every Python snippet of the token-streaming reference runs against streamgraph unchanged.

The snippets are read from ``token-streaming-reference.md`` beside this file at test time.
Each runs as written, in a namespace that supplies what the reference leaves to the reader
(``graph``, ``inputs`` and a stand-in ``ChatAnthropic`` that streams a scripted reply), and
its printed output is checked against what its section says it does. The chat-UI snippet
cannot run as written (an async generator cannot return a value); it runs with that one bug
fixed, the way ``examples/chat_ui.py`` fixes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from streamgraph.messages import AIMessage, tool_call
from streamgraph.models import FakeChatModel
from tests.examples._graphs import (
    INPUTS,
    agent_with_tools,
    calls,
    chain,
    replying,
    stand_in_chat_anthropic,
)

REFERENCE = Path(__file__).with_name("token-streaming-reference.md")
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)


def snippets() -> dict[str, str]:
    """Each Python code block of the reference, by the title of the section holding it."""
    text = REFERENCE.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for block in _BLOCK.finditer(text):
        title = _HEADING.findall(text, 0, block.start())[-1]
        assert title not in found, f"two snippets under {title!r}; give each its own test"
        found[title] = block.group(1)
    return found


def run(title: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Run the snippet titled ``title`` in ``namespace`` (which it may add names to)."""
    exec(compile(snippets()[title], f"<reference: {title}>", "exec"), namespace)
    return namespace


# -- snippets that print a filtered stream ----------------------------------------------------


def _tags_namespace() -> dict[str, Any]:
    # The snippet builds the tagged model; the graph's `respond` node calls it once it exists.
    namespace: dict[str, Any] = {"inputs": INPUTS}
    namespace["ChatAnthropic"] = stand_in_chat_anthropic("Shown to the user.", [])
    namespace["graph"] = chain(
        [
            ("summarize", calls(FakeChatModel(["Private summary."]))),
            ("respond", calls(lambda: namespace["model"])),
        ]
    )
    return namespace


SCRIPTED_TOOL_RUN: list[str | AIMessage] = [
    AIMessage(
        "Checking.", tool_calls=[tool_call(name="get_weather", args={"city": "Rome"}, id=None)]
    ),
    "Rome is sunny.",
]

PRINTING: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
    "Basic Token Streaming": (
        lambda: {"graph": replying(("poet", "Circuits hum a quiet rhyme."))},
        "Circuits hum a quiet rhyme.",
    ),
    "Filter by Node": (
        lambda: {
            "graph": replying(("researcher", "Some notes."), ("writer", "The final text.")),
            "inputs": INPUTS,
        },
        "The final text.",
    ),
    "Filter by Tags": (_tags_namespace, "Shown to the user."),
    "Filter by Step": (
        lambda: {
            "graph": replying(("a", "one"), ("b", " two"), ("c", " three"), ("d", " four")),
            "inputs": INPUTS,
        },
        " three four",
    ),
    "With Tool Calls": (
        lambda: {"graph": agent_with_tools(SCRIPTED_TOOL_RUN), "inputs": INPUTS},
        "Checking.\n[Calling tool: get_weather]\nSunny in Rome.Rome is sunny.",
    ),
}


def test_every_snippet_is_tested() -> None:
    tested = {*PRINTING, "Metadata Fields", "Chat UI Integration", "Disable Streaming"}
    assert set(snippets()) == tested


@pytest.mark.parametrize("title", sorted(PRINTING))
def test_snippet_prints_what_its_section_promises(
    title: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_namespace, expected = PRINTING[title]
    run(title, make_namespace())
    assert capsys.readouterr().out == expected


# -- the other snippets -----------------------------------------------------------------------


def test_metadata_fields_are_those_a_streamed_chunk_carries() -> None:
    documented = run("Metadata Fields", {})["metadata"]
    chat_anthropic = stand_in_chat_anthropic("Hi.", [])
    model = chat_anthropic(model="claude-sonnet-4-20250514", tags=["main_response"])
    graph = chain(
        [
            ("plan", calls(FakeChatModel(["ok"]))),
            ("check", calls(FakeChatModel(["ok"]))),
            ("agent", calls(model)),
        ]
    )
    items = list(graph.stream(INPUTS, stream_mode="messages"))
    actual = next(meta for _, meta in items if meta["langgraph_node"] == "agent")
    assert set(documented) <= set(actual)
    assert actual["langgraph_node"] == documented["langgraph_node"] == "agent"
    assert actual["langgraph_step"] == documented["langgraph_step"] == 3
    assert list(actual["tags"]) == documented["tags"] == ["main_response"]
    assert all(isinstance(t, str) for t in actual["langgraph_triggers"])
    assert isinstance(actual["run_id"], str) and actual["run_id"]
    assert actual["ls_model_name"].startswith(documented["ls_model_name"].rstrip("."))


@dataclass
class ChatReply:
    """The holder the fixed chat-UI snippet leaves its full text on."""

    full_text: str = ""


CHAT_UI_FIX = {
    "async def stream_chat_response(user_message: str):": (
        "async def stream_chat_response(user_message: str, reply: ChatReply):"
    ),
    '    # Return full message for storage\n    return "".join(buffer)': (
        "    # Full message for storage: on the holder, since an async generator cannot return it\n"
        '    reply.full_text = "".join(buffer)'
    ),
}


def test_chat_ui_snippet_as_written_is_a_syntax_error() -> None:
    with pytest.raises(SyntaxError, match="'return' with value in async generator"):
        compile(snippets()["Chat UI Integration"], "<reference: Chat UI Integration>", "exec")


async def test_chat_ui_snippet_fixed_streams_chunks_and_keeps_the_full_text() -> None:
    fixed = snippets()["Chat UI Integration"]
    for wrong, right in CHAT_UI_FIX.items():
        assert fixed.count(wrong) == 1, f"the reference changed; update the fix for {wrong!r}"
        fixed = fixed.replace(wrong, right)
    graph = replying(("router", "Routing."), ("assistant", "Happy to help with that."))
    namespace: dict[str, Any] = {"graph": graph, "ChatReply": ChatReply}
    exec(compile(fixed, "<reference: Chat UI Integration, fixed>", "exec"), namespace)
    reply = ChatReply()
    chunks = [c async for c in namespace["stream_chat_response"]("help?", reply)]
    assert chunks == ["Happy", " to", " help", " with", " that."]
    assert reply.full_text == "".join(chunks)


def test_disable_streaming_snippet_models_each_yield_one_whole_message() -> None:
    made: list[FakeChatModel] = []
    run("Disable Streaming", {"ChatAnthropic": stand_in_chat_anthropic("All at once.", made)})
    assert [(m.streaming, m.disable_streaming) for m in made] == [(False, False), (None, True)]
    for model in made:
        items = list(chain([("assistant", calls(model))]).stream(INPUTS, stream_mode="messages"))
        assert [type(message) for message, _ in items] == [AIMessage]
        assert items[0][0].content == "All at once."
        assert items[0][1]["langgraph_node"] == "assistant"
        assert items[0][1]["ls_model_name"] == "claude-sonnet-4-20250514"
