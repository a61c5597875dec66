from __future__ import annotations

import sys
from typing import Any

import pytest

from streamgraph.errors import MessageCoercionError
from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    merge_chunks,
    message_chunk_to_message,
    tool_call,
    tool_call_chunk,
)


def usage(i: int, o: int, **details: Any) -> Any:
    return {"input_tokens": i, "output_tokens": o, "total_tokens": i + o, **details}


def test_add_three_text_chunks_concatenates_and_sums_usage() -> None:
    a = AIMessageChunk("Hel", id="run-1")
    b = AIMessageChunk("lo", id="run-1")
    c = AIMessageChunk("!", id="run-1", usage_metadata=usage(10, 3))
    merged = a + b + c
    assert isinstance(merged, AIMessageChunk)
    assert merged.content == "Hello!"
    assert merged.id == "run-1"
    assert merged.usage_metadata == usage(10, 3)
    assert a.content == "Hel"  # inputs untouched


def test_add_sums_usage_key_by_key_with_nested_details() -> None:
    a = AIMessageChunk(usage_metadata=usage(10, 1, input_token_details={"cache_read": 4}))
    b = AIMessageChunk()
    c = AIMessageChunk(
        usage_metadata=usage(
            0,
            5,
            input_token_details={"cache_read": 1, "cache_creation": 2},
            output_token_details={"reasoning": 3},
        )
    )
    merged = merge_chunks([a, b, c])
    assert merged.usage_metadata == {
        "input_tokens": 10,
        "output_tokens": 6,
        "total_tokens": 16,
        "input_token_details": {"cache_read": 5, "cache_creation": 2},
        "output_token_details": {"reasoning": 3},
    }
    assert a.usage_metadata == usage(10, 1, input_token_details={"cache_read": 4})


def test_add_usage_none_on_both_sides_stays_none() -> None:
    assert (AIMessageChunk("a") + AIMessageChunk("b")).usage_metadata is None


def test_add_takes_first_non_none_id_and_name() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk("a"),
            AIMessageChunk("b", id="x", name="n"),
            AIMessageChunk("c", id="y", name="m"),
        ]
    )
    assert merged.id == "x"
    assert merged.name == "n"


def test_add_with_list_or_tuple_of_chunks() -> None:
    a, b, c = AIMessageChunk("a"), AIMessageChunk("b"), AIMessageChunk("c")
    assert (a + [b, c]).content == "abc"  # noqa: RUF005 - adding a list of chunks is the API
    assert (a + (b, c)).content == "abc"  # noqa: RUF005 - adding a tuple of chunks is the API


def test_add_rejects_non_chunks() -> None:
    with pytest.raises(TypeError):
        AIMessageChunk("a") + AIMessage("b")
    with pytest.raises(TypeError):
        AIMessageChunk("a") + [HumanMessage("b")]  # noqa: RUF005


def test_merge_chunks_rejects_empty_and_foreign_input() -> None:
    with pytest.raises(MessageCoercionError, match="at least one"):
        merge_chunks([])
    with pytest.raises(MessageCoercionError, match="HumanMessage"):
        merge_chunks([AIMessageChunk("a"), HumanMessage("b")])  # type: ignore[list-item]


def test_merge_parallel_tool_call_chunks_by_index() -> None:
    chunks = [
        AIMessageChunk(
            tool_call_chunks=[tool_call_chunk(name="weather", args="", id="c1", index=0)],
            tool_calls=[tool_call(name="weather", args={}, id="c1")],
        ),
        AIMessageChunk(
            tool_call_chunks=[tool_call_chunk(name="time", args='{"tz', id="c2", index=1)],
            tool_calls=[tool_call(name="time", args={}, id="c2")],
        ),
        AIMessageChunk(tool_call_chunks=[tool_call_chunk(args='{"city": "Pa', index=0)]),
        AIMessageChunk(tool_call_chunks=[tool_call_chunk(args='": "CET"}', index=1)]),
        AIMessageChunk(tool_call_chunks=[tool_call_chunk(args='ris"}', index=0)]),
    ]
    merged = merge_chunks(chunks)
    assert merged.tool_call_chunks == [
        tool_call_chunk(name="weather", args='{"city": "Paris"}', id="c1", index=0),
        tool_call_chunk(name="time", args='{"tz": "CET"}', id="c2", index=1),
    ]
    assert merged.tool_calls == [
        tool_call(name="weather", args={"city": "Paris"}, id="c1"),
        tool_call(name="time", args={"tz": "CET"}, id="c2"),
    ]
    assert merged.invalid_tool_calls == []
    assert merged.to_message().tool_calls == merged.tool_calls


def test_merge_tool_call_chunks_gives_partial_args_while_streaming() -> None:
    first = AIMessageChunk(
        tool_call_chunks=[tool_call_chunk(name="f", args='{"a": 1, "b": "x', id="c", index=0)]
    )
    merged = first + AIMessageChunk(tool_call_chunks=[tool_call_chunk(args="yz", index=0)])
    assert merged.tool_calls == [tool_call(name="f", args={"a": 1, "b": "xyz"}, id="c")]


def test_merge_tool_call_chunks_without_index_are_appended() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk(tool_call_chunks=[tool_call_chunk(name="f", args="{}", id="a")]),
            AIMessageChunk(tool_call_chunks=[tool_call_chunk(name="g", args="{}", id="b")]),
        ]
    )
    assert [c["name"] for c in merged.tool_call_chunks] == ["f", "g"]
    assert [c["id"] for c in merged.tool_calls] == ["a", "b"]


def test_merge_tool_call_chunk_name_and_id_first_non_empty() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk(tool_call_chunks=[tool_call_chunk(name="", args="{", id=None, index=0)]),
            AIMessageChunk(tool_call_chunks=[tool_call_chunk(name="f", args="}", id="c", index=0)]),
            AIMessageChunk(tool_call_chunks=[tool_call_chunk(name="g", args="", id="d", index=0)]),
        ]
    )
    assert merged.tool_call_chunks == [tool_call_chunk(name="f", args="{}", id="c", index=0)]


def test_merge_unparseable_tool_args_become_invalid_tool_calls() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk(
                tool_call_chunks=[tool_call_chunk(name="f", args="[1, 2]", id="c", index=0)]
            ),
        ]
    )
    assert merged.tool_calls == []
    assert merged.invalid_tool_calls[0]["args"] == "[1, 2]"
    assert merged.invalid_tool_calls[0]["name"] == "f"


def test_merge_without_tool_call_chunks_concatenates_tool_calls() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk(tool_calls=[tool_call(name="f", args={}, id="1")]),
            AIMessageChunk(tool_calls=[tool_call(name="g", args={}, id="2")]),
        ]
    )
    assert [c["name"] for c in merged.tool_calls] == ["f", "g"]


def test_merge_reasoning_content_is_concatenated() -> None:
    chunks = [
        AIMessageChunk("", id="r", additional_kwargs={"reasoning_content": "Let me "}),
        AIMessageChunk("", id="r", additional_kwargs={"reasoning_content": "think."}),
        AIMessageChunk("Answer", id="r"),
    ]
    merged = merge_chunks(chunks)
    assert merged.additional_kwargs == {"reasoning_content": "Let me think."}
    assert merged.reasoning == "Let me think."
    assert merged.content == "Answer"


def test_merge_thinking_blocks_in_additional_kwargs_by_index_with_signature() -> None:
    def blocks(*items: dict[str, Any]) -> AIMessageChunk:
        return AIMessageChunk(additional_kwargs={"thinking_blocks": list(items)})

    merged = merge_chunks(
        [
            blocks({"index": 0, "type": "thinking", "thinking": "", "signature": ""}),
            blocks({"index": 0, "type": "thinking", "thinking": "I need "}),
            blocks({"index": 0, "type": "thinking", "thinking": "the GCD."}),
            blocks({"index": 0, "type": "thinking", "signature": "EqQB"}),
            blocks({"index": 1, "type": "redacted_thinking", "data": "opaque"}),
        ]
    )
    assert merged.additional_kwargs["thinking_blocks"] == [
        {"index": 0, "type": "thinking", "thinking": "I need the GCD.", "signature": "EqQB"},
        {"index": 1, "type": "redacted_thinking", "data": "opaque"},
    ]


def test_merge_additional_kwargs_recursive_rules() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk(
                additional_kwargs={
                    "function_call": {"name": "f", "arguments": '{"a"'},
                    "n": 1,
                    "flag": True,
                    "gone": None,
                    "id": "x",
                }
            ),
            AIMessageChunk(
                additional_kwargs={
                    "function_call": {"arguments": ": 1}"},
                    "n": 1,
                    "flag": True,
                    "gone": "here",
                    "id": "x",
                    "items": [{"k": 1}],
                }
            ),
            AIMessageChunk(additional_kwargs={"items": [{"k": 2}], "n": None}),
        ]
    )
    assert merged.additional_kwargs == {
        "function_call": {"name": "f", "arguments": '{"a": 1}'},
        "n": 1,
        "flag": True,
        "gone": "here",
        "id": "x",
        "items": [{"k": 1}, {"k": 2}],
    }


def test_merge_response_metadata_later_value_wins() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk(
                response_metadata={
                    "model_name": "m-1",
                    "stop_reason": None,
                    "nested": {"a": 1, "s": "x"},
                }
            ),
            AIMessageChunk(response_metadata={"stop_reason": "tool_use", "nested": {"a": 2}}),
            AIMessageChunk(
                response_metadata={
                    "stop_reason": "end_turn",
                    "model_name": None,
                    "nested": {"s": ""},
                }
            ),
        ]
    )
    assert merged.response_metadata == {
        "model_name": "m-1",
        "stop_reason": "end_turn",
        "nested": {"a": 2, "s": "x"},
    }


def test_merge_does_not_share_containers_with_inputs() -> None:
    a = AIMessageChunk(additional_kwargs={"d": {"x": "1"}}, response_metadata={"m": {"y": 1}})
    merged = a + AIMessageChunk()
    merged.additional_kwargs["d"]["x"] = "changed"
    merged.response_metadata["m"]["y"] = 2
    assert a.additional_kwargs == {"d": {"x": "1"}}
    assert a.response_metadata == {"m": {"y": 1}}


def test_merge_list_content_by_index() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk([{"index": 0, "type": "text", "text": "Hel"}]),
            AIMessageChunk([{"index": 0, "type": "text", "text": "lo"}]),
            AIMessageChunk([{"index": 1, "type": "tool_use", "id": "t", "input": "{}"}]),
        ]
    )
    assert merged.content == [
        {"index": 0, "type": "text", "text": "Hello"},
        {"index": 1, "type": "tool_use", "id": "t", "input": "{}"},
    ]


def test_merge_str_with_list_content() -> None:
    merged = merge_chunks(
        [
            AIMessageChunk("a"),
            AIMessageChunk("b"),
            AIMessageChunk([{"index": 0, "type": "text", "text": "c"}]),
            AIMessageChunk("d"),
            AIMessageChunk(""),
            AIMessageChunk("e"),
        ]
    )
    assert merged.content == ["ab", {"index": 0, "type": "text", "text": "c"}, "de"]
    assert merged.text == "abcde"


def test_merge_chunks_of_10000_equals_iterated_add() -> None:
    chunks = [
        AIMessageChunk(
            f"t{i} ",
            id="run-1",
            additional_kwargs={"reasoning_content": f"r{i}"},
            response_metadata={"seq": i},
            tool_call_chunks=[tool_call_chunk(args=str(i % 10), index=i % 2)],
        )
        for i in range(10_000)
    ]
    chunks[0].tool_call_chunks = [
        tool_call_chunk(name="f", args='{"a": "', id="c0", index=0),
        tool_call_chunk(name="g", args='{"b": "', id="c1", index=1),
    ]
    chunks[-1].usage_metadata = usage(5, 7)
    merged = merge_chunks(chunks)

    iterated = chunks[0]
    for chunk in chunks[1:]:
        iterated = iterated + chunk
    assert merged == iterated
    assert merged.content == "".join(f"t{i} " for i in range(10_000))
    assert merged.response_metadata == {"seq": 9_999}
    assert merged.usage_metadata == usage(5, 7)
    assert [c["name"] for c in merged.tool_calls] == ["f", "g"]
    assert str(merged.tool_calls[0]["args"]["a"]).startswith("2468")


def test_merge_chunks_scales_linearly() -> None:
    # Counted, not timed: the calls merge_chunks makes (Python and C) grow with the input, so
    # 8x the chunks makes 8x the calls; a merge that revisits earlier chunks would make 64x.
    def calls(n: int) -> int:
        chunks = [
            AIMessageChunk("x" * 20, additional_kwargs={"reasoning_content": "y" * 20})
            for _ in range(n)
        ]
        count = 0

        def profile(frame: object, event: str, arg: object) -> None:
            nonlocal count
            if event in ("call", "c_call"):
                count += 1

        sys.setprofile(profile)
        try:
            merge_chunks(chunks)
        finally:
            sys.setprofile(None)
        return count

    small, large = calls(500), calls(4_000)
    assert large <= small * 8 * 1.05


def test_to_message_completes_tool_calls() -> None:
    chunk = AIMessageChunk(
        "",
        id="run-1",
        tool_call_chunks=[
            tool_call_chunk(name="f", args='{"a": [1, 2]}', id="c1", index=0),
            tool_call_chunk(name="g", args="", id="c2", index=1),
            tool_call_chunk(name="h", args=None, id="c3", index=2),
        ],
        usage_metadata=usage(1, 2),
    )
    msg = chunk.to_message()
    assert type(msg) is AIMessage
    assert msg.id == "run-1"
    assert msg.usage_metadata == usage(1, 2)
    assert msg.tool_calls == [
        tool_call(name="f", args={"a": [1, 2]}, id="c1"),
        tool_call(name="g", args={}, id="c2"),
        tool_call(name="h", args={}, id="c3"),
    ]
    assert msg.invalid_tool_calls == []


def test_to_message_invalid_json_becomes_invalid_tool_call() -> None:
    chunk = AIMessageChunk(
        tool_call_chunks=[
            tool_call_chunk(name="f", args='{"a": 1', id="c1", index=0),
            tool_call_chunk(name="g", args='"just a string"', id="c2", index=1),
            tool_call_chunk(name="ok", args='{"x": true}', id="c3", index=2),
        ]
    )
    msg = chunk.to_message()
    assert msg.tool_calls == [tool_call(name="ok", args={"x": True}, id="c3")]
    first, second = msg.invalid_tool_calls
    assert (first["name"], first["args"], first["id"]) == ("f", '{"a": 1', "c1")
    assert first["error"] is not None and "JSON" in first["error"]
    assert second["name"] == "g"
    assert second["error"] is not None and "str" in second["error"]


def test_to_message_without_tool_call_chunks_keeps_tool_calls() -> None:
    calls = [tool_call(name="f", args={"a": 1}, id="c")]
    msg = AIMessageChunk("hi", tool_calls=calls, response_metadata={"m": 1}).to_message()
    assert msg == AIMessage("hi", tool_calls=calls, response_metadata={"m": 1})


def test_message_chunk_to_message_leaves_non_chunks_unchanged() -> None:
    human = HumanMessage("hi")
    ai = AIMessage("yo")
    assert message_chunk_to_message(human) is human
    assert message_chunk_to_message(ai) is ai
    converted = message_chunk_to_message(AIMessageChunk("x", id="1"))
    assert converted == AIMessage("x", id="1")
