from __future__ import annotations

import json
from typing import Any

import pytest

from streamgraph.errors import MessageCoercionError
from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    coerce_to_message,
    convert_to_messages,
    from_langchain,
    tool_call,
    tool_call_chunk,
)


def test_coerce_message_passes_through_same_object() -> None:
    msg = AIMessage("hi")
    assert coerce_to_message(msg) is msg
    chunk = AIMessageChunk("x")
    assert coerce_to_message(chunk) is chunk


def test_coerce_str_is_human_message() -> None:
    assert coerce_to_message("hello") == HumanMessage("hello")


@pytest.mark.parametrize(
    ("role", "cls"),
    [
        ("user", HumanMessage),
        ("human", HumanMessage),
        ("ai", AIMessage),
        ("assistant", AIMessage),
        ("system", SystemMessage),
        ("developer", SystemMessage),
    ],
)
def test_coerce_role_tuple(role: str, cls: type) -> None:
    msg = coerce_to_message((role, "text"))
    assert type(msg) is cls
    assert msg.content == "text"
    assert type(coerce_to_message([role, "text"])) is cls


def test_coerce_role_tuple_with_block_content() -> None:
    blocks = [{"type": "text", "text": "hi"}]
    assert coerce_to_message(("user", blocks)) == HumanMessage(blocks)  # type: ignore[arg-type]


def test_coerce_tool_tuple_is_rejected_with_hint() -> None:
    with pytest.raises(MessageCoercionError, match="tool_call_id"):
        coerce_to_message(("tool", "4"))


def test_coerce_unknown_role_lists_accepted_roles() -> None:
    with pytest.raises(MessageCoercionError) as info:
        coerce_to_message(("critic", "meh"))
    assert "'critic'" in str(info.value)
    assert "'assistant'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_coerce_bad_tuples_are_rejected() -> None:
    with pytest.raises(MessageCoercionError, match="pair"):
        coerce_to_message(("user", "a", "b"))
    with pytest.raises(MessageCoercionError, match="int"):
        coerce_to_message(("user", 5))


def test_coerce_openai_dicts() -> None:
    assert coerce_to_message({"role": "user", "content": "hi", "name": "ada", "id": "1"}) == (
        HumanMessage("hi", name="ada", id="1")
    )
    assert coerce_to_message({"role": "system", "content": "rules"}) == SystemMessage("rules")
    assert coerce_to_message({"role": "developer", "content": "rules"}) == SystemMessage("rules")
    assert coerce_to_message({"role": "assistant", "content": None}) == AIMessage("")


def test_coerce_openai_assistant_tool_calls_in_wire_form() -> None:
    msg = coerce_to_message(
        {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
                },
                {"id": "c2", "type": "function", "function": {"name": "now", "arguments": ""}},
                {"id": "c3", "type": "function", "function": {"name": "bad", "arguments": "{oops"}},
            ],
        }
    )
    assert isinstance(msg, AIMessage)
    assert msg.tool_calls == [
        tool_call(name="weather", args={"city": "Paris"}, id="c1"),
        tool_call(name="now", args={}, id="c2"),
    ]
    assert msg.invalid_tool_calls[0]["name"] == "bad"
    assert msg.invalid_tool_calls[0]["args"] == "{oops"
    assert "refusal" not in msg.additional_kwargs


def test_coerce_assistant_dict_with_langchain_style_tool_calls() -> None:
    msg = coerce_to_message(
        {"role": "ai", "content": "", "tool_calls": [{"name": "f", "args": {"a": 1}, "id": "c"}]}
    )
    assert msg.tool_calls == [tool_call(name="f", args={"a": 1}, id="c")]


def test_coerce_tool_dict_needs_tool_call_id() -> None:
    msg = coerce_to_message({"role": "tool", "content": "4", "tool_call_id": "c1"})
    assert msg == ToolMessage("4", tool_call_id="c1")
    with pytest.raises(MessageCoercionError, match="tool_call_id"):
        coerce_to_message({"role": "tool", "content": "4"})


def test_coerce_role_dict_keeps_unknown_keys_in_additional_kwargs() -> None:
    msg = coerce_to_message({"role": "assistant", "content": "x", "audio": {"id": "a1"}})
    assert msg.additional_kwargs == {"audio": {"id": "a1"}}


def test_coerce_type_dict_uses_message_from_dict() -> None:
    msg = coerce_to_message(
        {
            "type": "ai",
            "content": "x",
            "id": "1",
            "tool_calls": [{"name": "f", "args": {}, "id": "c"}],
        }
    )
    assert msg == AIMessage("x", id="1", tool_calls=[tool_call(name="f", args={}, id="c")])
    assert coerce_to_message({"type": "remove", "id": "9"}) == RemoveMessage(id="9")


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (42, "int"),
        (None, "NoneType"),
        (b"bytes", "bytes"),
        ({"content": "no role"}, "'role'"),
        ({"role": 3, "content": "x"}, "role must be a str"),
        ({"type": "text", "text": "hi"}, "unknown message type 'text'"),
        ({"role": "function", "content": "x"}, "unknown message role 'function'"),
    ],
)
def test_coerce_rejects_other_values_with_explanation(value: Any, needle: str) -> None:
    with pytest.raises(MessageCoercionError) as info:
        coerce_to_message(value)
    assert needle in str(info.value)


def test_coerce_error_lists_accepted_forms() -> None:
    with pytest.raises(MessageCoercionError) as info:
        coerce_to_message(object())
    text = str(info.value)
    assert "object" in text
    for form in ("str", "(role, content)", "'role'", "'type'", "langchain_core"):
        assert form in text


def test_convert_to_messages_lists_tuples_and_single_values() -> None:
    a = HumanMessage("a")
    assert convert_to_messages([a, ("ai", "b"), "c"]) == [a, AIMessage("b"), HumanMessage("c")]
    assert convert_to_messages(("user", "hi")) == [HumanMessage("hi")]
    assert convert_to_messages((a, AIMessage("b"))) == [a, AIMessage("b")]
    assert convert_to_messages("hi") == [HumanMessage("hi")]
    assert convert_to_messages({"role": "user", "content": "x"}) == [HumanMessage("x")]
    assert convert_to_messages([]) == []
    assert convert_to_messages([a])[0] is a


def _langchain_class(class_name: str, /, **attrs: Any) -> Any:
    cls = type(class_name, (), attrs)
    cls.__module__ = "langchain_core.messages.fake"
    return cls


def test_from_langchain_reads_attributes_without_importing_langchain() -> None:
    lc_ai = _langchain_class(
        "AIMessage",
        type="ai",
        content="hi",
        id="m1",
        name=None,
        additional_kwargs={"reasoning_content": "r"},
        response_metadata={"model_name": "x"},
        tool_calls=[{"name": "f", "args": {"a": 1}, "id": "c", "type": "tool_call"}],
        invalid_tool_calls=[],
        usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
    )()
    msg = coerce_to_message(lc_ai)
    assert msg == AIMessage(
        "hi",
        id="m1",
        additional_kwargs={"reasoning_content": "r"},
        response_metadata={"model_name": "x"},
        tool_calls=[tool_call(name="f", args={"a": 1}, id="c")],
        usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
    )
    assert msg.additional_kwargs is not lc_ai.additional_kwargs


def test_from_langchain_each_kind() -> None:
    tool = _langchain_class(
        "ToolMessage",
        type="tool",
        content="4",
        tool_call_id="c",
        status="error",
        artifact={"raw": 4},
    )()
    assert from_langchain(tool) == ToolMessage(
        "4", tool_call_id="c", status="error", artifact={"raw": 4}
    )
    chunk = _langchain_class(
        "AIMessageChunk",
        type="AIMessageChunk",
        content="",
        tool_call_chunks=[{"name": "f", "args": "{", "id": "c", "index": 0}],
        tool_calls=[],
    )()
    converted = from_langchain(chunk)
    assert isinstance(converted, AIMessageChunk)
    assert converted.tool_call_chunks == [tool_call_chunk(name="f", args="{", id="c", index=0)]
    human_chunk = _langchain_class("HumanMessageChunk", type="HumanMessageChunk", content="x")()
    assert from_langchain(human_chunk) == HumanMessage("x")
    chat = _langchain_class("ChatMessage", type="chat", content="x", role="critic")()
    assert from_langchain(chat) == ChatMessage("x", role="critic")
    for kind, cls in (("human", HumanMessage), ("system", SystemMessage)):
        assert type(from_langchain(_langchain_class("M", type=kind, content="x")())) is cls
    assert from_langchain(_langchain_class("R", type="remove", content="", id="z")()) == (
        RemoveMessage(id="z")
    )


def test_from_langchain_subclass_defined_elsewhere_is_recognised() -> None:
    base = _langchain_class("HumanMessage", type="human", content="x")
    user_cls = type("MyHuman", (base,), {})
    assert coerce_to_message(user_cls()) == HumanMessage("x")


def test_from_langchain_unknown_type_is_rejected() -> None:
    function_message = _langchain_class("FunctionMessage", type="function", content="x")()
    with pytest.raises(MessageCoercionError, match="'function'"):
        coerce_to_message(function_message)


def test_lookalike_outside_langchain_is_rejected() -> None:
    lookalike = type("Msg", (), {"type": "human", "content": "x"})()
    with pytest.raises(MessageCoercionError, match="Msg"):
        coerce_to_message(lookalike)


def test_coerced_messages_serialize() -> None:
    msg = coerce_to_message(
        {"role": "assistant", "content": "x", "tool_calls": [{"name": "f", "args": {}, "id": "c"}]}
    )
    assert json.loads(json.dumps(msg.model_dump()))["tool_calls"][0]["name"] == "f"
