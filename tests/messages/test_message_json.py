from __future__ import annotations

import json
from typing import Any

import pytest

from streamgraph.errors import MessageCoercionError
from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    invalid_tool_call,
    message_from_dict,
    message_to_dict,
    messages_from_dict,
    messages_to_dict,
    tool_call,
    tool_call_chunk,
)

USAGE: Any = {
    "input_tokens": 3,
    "output_tokens": 4,
    "total_tokens": 7,
    "output_token_details": {"reasoning": 2},
}

EXAMPLES: list[BaseMessage] = [
    HumanMessage("hi", id="h1", name="ada", additional_kwargs={"k": [1, {"x": None}]}),
    HumanMessage(
        [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "u"}}]
    ),
    SystemMessage("be brief", id="s1"),
    AIMessage(
        "sure",
        id="a1",
        response_metadata={"model_name": "m", "stop_reason": "tool_use"},
        tool_calls=[tool_call(name="f", args={"a": [1, 2]}, id="c1")],
        invalid_tool_calls=[invalid_tool_call(name="g", args="{", id="c2", error="bad")],
        usage_metadata=USAGE,
    ),
    AIMessageChunk(
        "",
        id="run-1",
        additional_kwargs={"reasoning_content": "hmm"},
        tool_calls=[tool_call(name="f", args={}, id="c1")],
        tool_call_chunks=[tool_call_chunk(name="f", args='{"a', id="c1", index=0)],
        usage_metadata=USAGE,
    ),
    ToolMessage("4", tool_call_id="c1", status="error", artifact={"raw": [4]}, id="t1"),
    ToolMessage([{"type": "text", "text": "x"}], tool_call_id="c2"),
    RemoveMessage(id="gone"),
    ChatMessage("meh", role="critic", id="c"),
]


@pytest.mark.parametrize("msg", EXAMPLES, ids=lambda m: f"{m.type}-{m.id}")
def test_message_json_round_trip_is_exact(msg: BaseMessage) -> None:
    dumped = message_to_dict(msg)
    assert message_from_dict(dumped) == msg
    via_json = json.loads(json.dumps(dumped))
    restored = message_from_dict(via_json)
    assert restored == msg
    assert type(restored) is type(msg)


def test_message_to_dict_flat_shape_per_kind() -> None:
    common = ["content", "additional_kwargs", "response_metadata", "type", "name", "id"]
    assert list(message_to_dict(HumanMessage("x"))) == common
    assert list(message_to_dict(AIMessage("x"))) == [
        *common,
        "tool_calls",
        "invalid_tool_calls",
        "usage_metadata",
    ]
    chunk = message_to_dict(AIMessageChunk("x"))
    assert chunk["type"] == "AIMessageChunk"
    assert list(chunk) == [
        *common,
        "tool_calls",
        "invalid_tool_calls",
        "usage_metadata",
        "tool_call_chunks",
    ]
    assert list(message_to_dict(ToolMessage("x", tool_call_id="c"))) == [
        *common,
        "tool_call_id",
        "artifact",
        "status",
    ]
    assert list(message_to_dict(ChatMessage("x", role="r"))) == [*common, "role"]


def test_message_to_dict_copies_containers() -> None:
    msg = AIMessage(
        "x",
        additional_kwargs={"a": {"b": [1]}},
        tool_calls=[tool_call(name="f", args={"q": 1}, id="c")],
    )
    dumped = message_to_dict(msg)
    dumped["additional_kwargs"]["a"]["b"].append(2)
    dumped["tool_calls"][0]["args"]["q"] = 2
    assert msg.additional_kwargs == {"a": {"b": [1]}}
    assert msg.tool_calls[0]["args"] == {"q": 1}
    restored = message_from_dict(dumped)
    dumped["additional_kwargs"]["a"]["b"].append(3)
    assert restored.additional_kwargs == {"a": {"b": [1, 2]}}


def test_message_from_dict_accepts_chunk_types_and_defaults() -> None:
    assert message_from_dict({"type": "HumanMessageChunk", "content": "x"}) == HumanMessage("x")
    assert message_from_dict({"type": "SystemMessageChunk", "content": "x"}) == SystemMessage("x")
    assert message_from_dict({"type": "ToolMessageChunk", "content": "x", "tool_call_id": "c"}) == (
        ToolMessage("x", tool_call_id="c")
    )
    assert message_from_dict({"type": "ai"}) == AIMessage("")
    chunk = message_from_dict(
        {
            "type": "AIMessageChunk",
            "content": "t",
            "tool_call_chunks": [{"name": None, "args": "1}", "id": None, "index": 0}],
        }
    )
    assert isinstance(chunk, AIMessageChunk)
    assert chunk.tool_calls == []


def test_message_from_dict_ignores_unknown_keys_like_example() -> None:
    data = {"type": "human", "content": "x", "example": False, "chunk_position": None}
    assert message_from_dict(data) == HumanMessage("x")


def test_message_from_dict_accepts_nested_data_form() -> None:
    nested = {"type": "ai", "data": {"content": "x", "type": "ai", "id": "1"}}
    assert message_from_dict(nested) == AIMessage("x", id="1")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"type": "nope"}, "unknown message type 'nope'"),
        ({"content": "x"}, "unknown message type None"),
        ({"type": "tool", "content": "x"}, "'tool_call_id'"),
        ({"type": "chat", "content": "x"}, "'role'"),
        ({"type": "remove"}, "'id'"),
        ({"type": "human", "content": 3}, "str or a list"),
        ({"type": "tool", "content": "x", "tool_call_id": "c", "status": "meh"}, "status"),
    ],
)
def test_message_from_dict_rejects_bad_dicts(data: dict[str, Any], needle: str) -> None:
    with pytest.raises(MessageCoercionError) as info:
        message_from_dict(data)
    assert needle in str(info.value)


def test_message_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(MessageCoercionError, match="list"):
        message_from_dict([])  # type: ignore[arg-type]


def test_messages_list_round_trip() -> None:
    dumped = messages_to_dict(EXAMPLES)
    assert len(dumped) == len(EXAMPLES)
    assert messages_from_dict(json.loads(json.dumps(dumped))) == EXAMPLES
