"""Messages built with fields of the wrong type fail at once, with a typed error saying which.

Each case here was once accepted and failed later (an unhashable id, a JSON encoding error)
or failed with a bare ``AttributeError``/``TypeError`` from inside the library.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any
from uuid import UUID

import pytest

from streamgraph.errors import InvalidMessageError, MessageCoercionError, StreamGraphError
from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    add_messages,
    message_to_dict,
    parse_partial_json,
)


def _typed(info: pytest.ExceptionInfo[InvalidMessageError]) -> str:
    error = info.value
    assert isinstance(error, MessageCoercionError) and isinstance(error, StreamGraphError)
    assert isinstance(error, TypeError) and isinstance(error, ValueError)
    return str(error)


@pytest.mark.parametrize("field", ["additional_kwargs", "response_metadata"])
@pytest.mark.parametrize("value", [5, [1], "text"])
def test_containers_that_are_not_dicts(field: str, value: Any) -> None:
    with pytest.raises(InvalidMessageError) as info:
        HumanMessage("hi", **{field: value})
    message = _typed(info)
    assert f"HumanMessage's {field} must be a dict" in message
    assert f"{field}={{'key': 'value'}}" in message


def test_an_id_that_is_a_list() -> None:
    with pytest.raises(InvalidMessageError) as info:
        HumanMessage("hi", id=[1])  # type: ignore[arg-type]
    message = _typed(info)
    assert "HumanMessage id must be a str or None, got list [1]" in message


def test_a_chunk_id_that_is_a_list() -> None:
    with pytest.raises(InvalidMessageError, match="AIMessageChunk id must be a str"):
        AIMessageChunk("tok", id=[1])  # type: ignore[arg-type]


def test_numeric_ids_become_their_str_as_in_langchain() -> None:
    assert HumanMessage("hi", id=5).id == "5"  # type: ignore[arg-type]
    assert AIMessageChunk("tok", id=7).id == "7"  # type: ignore[arg-type]


def test_content_list_with_a_number() -> None:
    with pytest.raises(InvalidMessageError) as info:
        _ = HumanMessage(["hi", 5]).text  # type: ignore[list-item]
    message = _typed(info)
    assert "content[1] is int 5" in message and "str()" in message


def test_bytes_in_a_content_block() -> None:
    with pytest.raises(InvalidMessageError) as info:
        HumanMessage([{"type": "text", "text": b"hi"}])
    message = _typed(info)
    assert "content[0]['text'] holds bytes b'hi'" in message
    assert "base64.b64encode(data).decode()" in message


def test_bytes_deep_inside_a_block_name_the_path() -> None:
    with pytest.raises(InvalidMessageError, match=r"content\[1\]\['source'\]\['data'\]\[0\]"):
        HumanMessage(["see", {"type": "image", "source": {"data": [b"\x00"]}}])


def test_a_chunk_with_bytes_in_a_block_fails_when_it_becomes_a_message() -> None:
    chunk = AIMessageChunk([{"type": "text", "text": b"x", "index": 0}], id="r")  # per token
    with pytest.raises(InvalidMessageError, match="holds bytes"):
        chunk.to_message()


def test_tool_call_args_that_are_not_a_dict() -> None:
    with pytest.raises(InvalidMessageError) as info:
        AIMessage("", tool_calls=[{"name": "f", "args": 1j, "id": "c1"}])  # type: ignore[typeddict-item]
    message = _typed(info)
    assert "tool_calls[0] ('f') has args complex 1j" in message
    assert "must be a dict" in message


@pytest.mark.parametrize(
    ("calls", "needle"),
    [
        ([5], "tool_calls[0] must be a dict"),
        ([{"args": {}, "id": "c"}], "needs a str 'name'"),
        ([{"name": "f", "args": {}, "id": 5}], "needs a str or None 'id'"),
        ("abc", "tool_calls must be a list of dicts"),
    ],
)
def test_other_malformed_tool_calls(calls: Any, needle: str) -> None:
    with pytest.raises(InvalidMessageError) as info:
        AIMessage("", tool_calls=calls)
    assert needle in _typed(info)


def test_tool_call_chunks_of_the_wrong_type_fail_when_merged() -> None:
    first = AIMessageChunk("", tool_call_chunks=[{"name": "f", "args": 5, "id": "c", "index": 0}])  # type: ignore[typeddict-item]
    second = AIMessageChunk("", tool_call_chunks=[{"args": "}", "index": 0}])  # type: ignore[typeddict-item]
    with pytest.raises(InvalidMessageError, match="tool call chunk's 'args' must be a str"):
        first + second


def test_chunk_fields_left_unchecked_per_token_are_checked_when_merged() -> None:
    odd = AIMessageChunk("a", id="r", additional_kwargs=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidMessageError, match="additional_kwargs must be a dict"):
        odd + AIMessageChunk("b")


def test_other_kinds_check_their_own_fields() -> None:
    with pytest.raises(InvalidMessageError, match="ChatMessage role must be a str"):
        ChatMessage("x", role=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidMessageError, match="RemoveMessage needs the str id"):
        RemoveMessage(id=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidMessageError, match="tool_call_id=call"):
        ToolMessage("4", tool_call_id=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidMessageError, match="'success' or 'error'"):
        ToolMessage("4", tool_call_id="c", status="fine")  # type: ignore[arg-type]
    with pytest.raises(InvalidMessageError, match="usage_metadata must be a dict"):
        AIMessage("x", usage_metadata=[1])  # type: ignore[arg-type]


def test_what_langchain_accepts_still_builds() -> None:
    call_id = UUID(int=1)
    assert ToolMessage("4", tool_call_id=call_id).tool_call_id == str(call_id)  # type: ignore[arg-type]
    assert SystemMessage(("a", "b")).content == ["a", "b"]  # type: ignore[arg-type]
    extra = HumanMessage("hi", additional_kwargs=MappingProxyType({"k": 1}))  # type: ignore[arg-type]
    assert extra.additional_kwargs == {"k": 1}
    blocks: list[str | dict[str, Any]] = [
        {"type": "text", "text": "hi", "extras": {"n": [1, 2.5, None, True]}}
    ]
    message = HumanMessage(blocks, id="m")
    assert json.loads(json.dumps(message_to_dict(message)))["content"] == blocks
    assert [m.text for m in add_messages([], [message])] == ["hi"]


def test_text_skips_items_that_are_neither_str_nor_blocks_when_set_later() -> None:
    message = HumanMessage("hi")
    message.content = ["a", 5, {"type": "text", "text": "b"}]  # type: ignore[list-item]
    assert message.text == "ab"


# -- partial JSON -------------------------------------------------------------------------


def test_partial_json_bytes_parse_like_whole_bytes() -> None:
    assert parse_partial_json(b'{"a": 1') == {"a": 1}
    assert parse_partial_json(b'{"a": 1}') == {"a": 1}
    assert parse_partial_json(bytearray(b'{"a": [1, 2')) == {"a": [1, 2]}


def test_partial_json_bytes_cut_inside_a_character_drop_it() -> None:
    assert parse_partial_json('{"a": "é'.encode()[:-1]) == {"a": ""}
    assert parse_partial_json(b'{"a": "\xff') is None  # not UTF-8: not the start of JSON


def test_partial_json_of_something_that_is_not_text() -> None:
    with pytest.raises(InvalidMessageError, match=r"takes a str \(or UTF-8 bytes\)"):
        parse_partial_json(5)  # type: ignore[arg-type]
    assert parse_partial_json(None) is None  # type: ignore[arg-type]
