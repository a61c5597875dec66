"""Checks against the real ``langchain_core`` when it is installed (the ``langchain`` extra)."""

from __future__ import annotations

from typing import Any

import pytest

from streamgraph import messages as sg

lc: Any = pytest.importorskip("langchain_core.messages")

USAGE: Any = {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}


def pairs() -> list[tuple[Any, sg.BaseMessage]]:
    call: Any = {"name": "f", "args": {"a": 1}, "id": "c"}
    return [
        (lc.HumanMessage("hi", id="1", name="n"), sg.HumanMessage("hi", id="1", name="n")),
        (
            lc.AIMessage("x", id="a", tool_calls=[call], usage_metadata=USAGE),
            sg.AIMessage("x", id="a", tool_calls=[call], usage_metadata=USAGE),
        ),
        (lc.AIMessageChunk("x", id="a"), sg.AIMessageChunk("x", id="a")),
        (
            lc.ToolMessage("4", tool_call_id="c", status="error"),
            sg.ToolMessage("4", tool_call_id="c", status="error"),
        ),
        (lc.SystemMessage("s"), sg.SystemMessage("s")),
        (lc.ChatMessage("s", role="r"), sg.ChatMessage("s", role="r")),
        (lc.RemoveMessage(id="z"), sg.RemoveMessage(id="z")),
    ]


@pytest.mark.parametrize(("theirs", "ours"), pairs(), ids=lambda m: type(m).__name__)
def test_langchain_message_converts_and_dumps_alike(theirs: Any, ours: sg.BaseMessage) -> None:
    assert sg.coerce_to_message(theirs) == ours
    assert sg.message_from_dict(theirs.model_dump()) == ours
    dumped = theirs.model_dump()
    dumped.pop("chunk_position", None)
    assert sg.message_to_dict(ours) == dumped


def test_merge_matches_langchain_chunk_addition() -> None:
    steps: list[dict[str, Any]] = [
        {
            "content": "",
            "id": "r",
            "additional_kwargs": {
                "reasoning_content": "a",
                "thinking_blocks": [{"index": 0, "type": "thinking", "thinking": "x"}],
            },
            "response_metadata": {"model_name": "m"},
        },
        {
            "content": "Hel",
            "additional_kwargs": {
                "reasoning_content": "b",
                "thinking_blocks": [{"index": 0, "type": "thinking", "signature": "sig"}],
            },
        },
        {
            "content": "lo",
            "tool_call_chunks": [{"name": "f", "args": '{"a":', "id": "c", "index": 0}],
        },
        {
            "content": "",
            "tool_call_chunks": [{"name": None, "args": " 1}", "id": None, "index": 0}],
            "usage_metadata": USAGE,
            "response_metadata": {"stop_reason": "end_turn"},
        },
    ]
    theirs = lc.AIMessageChunk(**steps[0])
    for step in steps[1:]:
        theirs = theirs + lc.AIMessageChunk(**step)
    ours = sg.merge_chunks([sg.AIMessageChunk(**step) for step in steps])
    expected = theirs.model_dump()
    expected.pop("chunk_position", None)
    assert sg.message_to_dict(ours) == expected
    final = lc.message_chunk_to_message(theirs).model_dump()
    assert sg.message_to_dict(ours.to_message()) == final
