from __future__ import annotations

import uuid

import pytest

from streamgraph.errors import MessageCoercionError
from streamgraph.messages import (
    REMOVE_ALL_MESSAGES,
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    add_messages,
    coerce_message_update,
    tool_call_chunk,
)


def ids(messages: list[BaseMessage]) -> list[str | None]:
    return [m.id for m in messages]


def test_add_messages_appends_new_messages() -> None:
    left = [HumanMessage("a", id="1")]
    result = add_messages(left, [AIMessage("b", id="2"), HumanMessage("c", id="3")])
    assert ids(result) == ["1", "2", "3"]  # type: ignore[arg-type]


def test_add_messages_accepts_single_messages_on_both_sides() -> None:
    result = add_messages(HumanMessage("a", id="1"), AIMessage("b", id="2"))
    assert [m.content for m in result] == ["a", "b"]


def test_add_messages_replaces_by_id_in_place() -> None:
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2"), HumanMessage("c", id="3")]
    replacement = AIMessage("B", id="2")
    result = add_messages(left, replacement)
    assert ids(result) == ["1", "2", "3"]  # type: ignore[arg-type]
    assert result[1] is replacement


def test_add_messages_does_not_mutate_left() -> None:
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2")]
    snapshot = list(left)
    result = add_messages(
        left, [AIMessage("B", id="2"), RemoveMessage(id="1"), HumanMessage("c", id="3")]
    )
    assert left == snapshot
    assert left[1].content == "b"
    assert result is not left
    assert add_messages(left, []) is not left


def test_add_messages_removes_by_id() -> None:
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2"), HumanMessage("c", id="3")]
    result = add_messages(left, RemoveMessage(id="2"))
    assert ids(result) == ["1", "3"]  # type: ignore[arg-type]


def test_add_messages_remove_then_readd_in_same_update_keeps_message() -> None:
    left = [HumanMessage("a", id="1")]
    result = add_messages(left, [RemoveMessage(id="1"), HumanMessage("again", id="1")])
    assert [m.content for m in result] == ["again"]


def test_add_messages_can_remove_message_added_in_same_update() -> None:
    result = add_messages([], [HumanMessage("a", id="1"), RemoveMessage(id="1")])
    assert result == []


def test_add_messages_remove_unknown_id_raises() -> None:
    with pytest.raises(MessageCoercionError, match="'missing'") as info:
        add_messages([HumanMessage("a", id="1")], RemoveMessage(id="missing"))
    assert isinstance(info.value, ValueError)


def test_add_messages_remove_all_drops_everything_before_it() -> None:
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2")]
    result = add_messages(
        left,
        [
            HumanMessage("x", id="3"),
            RemoveMessage(id=REMOVE_ALL_MESSAGES),
            SystemMessage("fresh", id="4"),
            HumanMessage("y", id="5"),
        ],
    )
    assert ids(result) == ["4", "5"]  # type: ignore[arg-type]
    assert add_messages(left, RemoveMessage(id=REMOVE_ALL_MESSAGES)) == []


def test_add_messages_assigns_uuid_ids_on_the_objects() -> None:
    new = HumanMessage("no id")
    old = AIMessage("old without id")
    result = add_messages([old], new)
    assert result[1] is new
    assert new.id is not None and str(uuid.UUID(new.id)) == new.id
    assert old.id is not None
    assert ids(result) == [old.id, new.id]  # type: ignore[arg-type]


def test_add_messages_coerces_tuples_dicts_and_strings() -> None:
    result = add_messages([("user", "hi")], [{"role": "assistant", "content": "yo"}, "more"])
    assert [type(m) for m in result] == [HumanMessage, AIMessage, HumanMessage]
    assert all(m.id for m in result)


def test_add_messages_turns_chunks_into_messages() -> None:
    chunk = AIMessageChunk(
        "",
        id="run-1",
        tool_call_chunks=[tool_call_chunk(name="f", args='{"a": 1}', id="c", index=0)],
    )
    (result,) = add_messages([], chunk)
    assert type(result) is AIMessage
    assert result.id == "run-1"
    assert result.tool_calls[0]["args"] == {"a": 1}


def test_add_messages_left_none_is_empty() -> None:
    assert ids(add_messages(None, HumanMessage("a", id="1"))) == ["1"]  # type: ignore[arg-type]


def test_add_messages_duplicate_new_ids_keep_last() -> None:
    result = add_messages([], [HumanMessage("a", id="1"), HumanMessage("b", id="1")])
    assert [m.content for m in result] == ["b"]


def test_coerce_message_update_assigns_ids_and_add_messages_keeps_objects() -> None:
    update = coerce_message_update(
        [("user", "hi"), ToolMessage("4", tool_call_id="c"), AIMessageChunk("x", id="run-9")]
    )
    assert all(m.id for m in update)
    assert update[2].id == "run-9"
    assert type(update[2]) is AIMessage
    result = add_messages([], update)
    assert all(a is b for a, b in zip(result, update, strict=True))


def test_coerce_message_update_keeps_whole_messages_with_ids() -> None:
    msg = AIMessage("x", id="1")
    assert coerce_message_update(msg)[0] is msg
    assert coerce_message_update([]) == []


def test_add_messages_is_linear_with_index() -> None:
    left = [HumanMessage(str(i), id=str(i)) for i in range(20_000)]
    right = [AIMessage("r", id=str(i)) for i in range(0, 20_000, 2)]
    result = add_messages(left, right)
    assert len(result) == 20_000
    assert result[0].content == "r"
    assert result[1].content == "1"


def test_merges_replaces_and_removes_across_ours_and_langchains() -> None:
    # the same history and update as in tests/integrations/test_port_langchain_messages.py,
    # where LangGraph 1.2.22 gives [b2, c, d]; here half of the messages are ours
    lc = pytest.importorskip("langchain_core.messages")
    history = [lc.HumanMessage("a", id="1"), AIMessage("b", id="2"), lc.HumanMessage("c", id="3")]
    update = [lc.AIMessage("b2", id="2"), RemoveMessage(id="1"), HumanMessage("d")]
    merged = add_messages(history, update)
    assert [(type(m), m.content) for m in merged] == [
        (lc.AIMessage, "b2"),
        (lc.HumanMessage, "c"),
        (HumanMessage, "d"),
    ]
    assert merged[2].id  # given a fresh id, as every message without one
    gone = add_messages(merged, [lc.RemoveMessage(id=merged[2].id)])
    assert [m.content for m in gone] == ["b2", "c"]
    cleared = add_messages(history, [lc.RemoveMessage(id=REMOVE_ALL_MESSAGES), ("user", "z")])
    assert [(type(m), m.content) for m in cleared] == [(HumanMessage, "z")]
    with pytest.raises(MessageCoercionError, match="no message with that id"):
        add_messages(history, lc.RemoveMessage(id="nope"))
