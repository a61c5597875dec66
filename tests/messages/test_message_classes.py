from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from streamgraph.messages import (
    REMOVE_ALL_MESSAGES,
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    BaseMessageChunk,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    invalid_tool_call,
    tool_call,
    tool_call_chunk,
)

ALL_MESSAGES: list[BaseMessage] = [
    HumanMessage("hi"),
    SystemMessage("be brief"),
    AIMessage("hello"),
    AIMessageChunk("hel"),
    ToolMessage("4", tool_call_id="c1"),
    RemoveMessage(id="m1"),
    ChatMessage("ok", role="critic"),
]


def test_message_types_match_langchain_names() -> None:
    assert [m.type for m in ALL_MESSAGES] == [
        "human",
        "system",
        "ai",
        "AIMessageChunk",
        "tool",
        "remove",
        "chat",
    ]


def test_message_defaults_are_empty() -> None:
    msg = AIMessage()
    assert msg.content == ""
    assert msg.id is None
    assert msg.name is None
    assert msg.additional_kwargs == {}
    assert msg.response_metadata == {}
    assert msg.tool_calls == []
    assert msg.invalid_tool_calls == []
    assert msg.usage_metadata is None


def test_message_default_containers_are_fresh_per_instance() -> None:
    a, b = AIMessageChunk(), AIMessageChunk()
    a.additional_kwargs["x"] = 1
    a.response_metadata["y"] = 2
    a.tool_calls.append(tool_call(name="f", args={}, id="1"))
    a.invalid_tool_calls.append(invalid_tool_call(name="f"))
    a.tool_call_chunks.append(tool_call_chunk(name="f"))
    assert b.additional_kwargs == {}
    assert b.response_metadata == {}
    assert b.tool_calls == []
    assert b.invalid_tool_calls == []
    assert b.tool_call_chunks == []
    h1, h2 = HumanMessage(), HumanMessage()
    h1.additional_kwargs["x"] = 1
    assert h2.additional_kwargs == {}


def test_message_content_is_positional_and_fields_are_keywords() -> None:
    msg = HumanMessage("hi", id="1", name="ada")
    assert (msg.content, msg.id, msg.name) == ("hi", "1", "ada")
    with pytest.raises(TypeError):
        HumanMessage("hi", "1")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "msg",
    [
        HumanMessage("a"),
        SystemMessage("b"),
        ToolMessage("c", tool_call_id="x"),
        RemoveMessage(id="r"),
        ChatMessage("d", role="r"),
    ],
)
def test_tool_calls_is_empty_list_on_non_ai_messages(msg: BaseMessage) -> None:
    assert msg.tool_calls == []
    msg.tool_calls.append(tool_call(name="f", args={}, id="1"))
    assert msg.tool_calls == []


def test_messages_are_mutable_and_have_slots() -> None:
    msg = AIMessageChunk("a")
    msg.content = "b"
    msg.id = "x"
    assert msg.content == "b"
    assert msg.id == "x"
    with pytest.raises(AttributeError):
        msg.unknown_field = 1  # type: ignore[attr-defined]


def test_message_equality_compares_class_and_every_field() -> None:
    assert HumanMessage("a", id="1") == HumanMessage("a", id="1")
    assert HumanMessage("a", id="1") != HumanMessage("a", id="2")
    assert HumanMessage("a") != HumanMessage("a", name="n")
    assert HumanMessage("a") != HumanMessage("a", additional_kwargs={"k": 1})
    assert HumanMessage("a") != SystemMessage("a")
    assert AIMessage("a") != AIMessageChunk("a")
    assert AIMessage("a") != AIMessage(
        "a", usage_metadata={"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}
    )
    assert ToolMessage("a", tool_call_id="1") != ToolMessage("a", tool_call_id="1", status="error")
    assert HumanMessage("a") != "a"


def test_messages_are_unhashable_because_mutable() -> None:
    with pytest.raises(TypeError):
        hash(HumanMessage("a"))


def test_message_repr_shows_class_content_and_set_fields() -> None:
    assert repr(HumanMessage("hi")) == "HumanMessage(content='hi')"
    assert repr(AIMessageChunk("tok", id="run-1")) == "AIMessageChunk(content='tok', id='run-1')"
    text = repr(ToolMessage("4", tool_call_id="c1", status="error"))
    assert text == "ToolMessage(content='4', tool_call_id='c1', status='error')"


def test_ai_message_chunk_is_an_ai_message_and_a_chunk() -> None:
    chunk = AIMessageChunk("x")
    assert isinstance(chunk, AIMessage)
    assert isinstance(chunk, BaseMessageChunk)
    assert not isinstance(AIMessage("x"), BaseMessageChunk)


def test_ai_message_tool_calls_get_type_and_id_keys() -> None:
    msg = AIMessage(tool_calls=[{"name": "f", "args": {"a": 1}}])  # type: ignore[typeddict-item]
    assert msg.tool_calls == [{"name": "f", "args": {"a": 1}, "id": None, "type": "tool_call"}]


def test_ai_message_chunk_does_not_derive_tool_calls_from_chunks() -> None:
    chunk = AIMessageChunk(
        tool_call_chunks=[tool_call_chunk(name="f", args='{"a": 1}', id="c", index=0)]
    )
    assert chunk.tool_calls == []
    assert chunk.tool_call_chunks[0]["type"] == "tool_call_chunk"


def test_ai_message_chunk_keeps_explicit_tool_calls() -> None:
    chunk = AIMessageChunk(
        tool_calls=[tool_call(name="f", args={}, id="c")],
        tool_call_chunks=[tool_call_chunk(name="f", args="", id="c", index=0)],
    )
    assert [c["name"] for c in chunk.tool_calls] == ["f"]


def test_text_of_str_and_list_content() -> None:
    assert AIMessage("plain").text == "plain"
    content: list[str | dict[str, Any]] = [
        "a",
        {"type": "text", "text": "b"},
        {"type": "thinking", "thinking": "hidden"},
        {"type": "image_url", "image_url": {"url": "x"}},
        {"type": "text", "text": "c"},
    ]
    assert AIMessage(content).text == "abc"


def test_reasoning_reads_reasoning_content_and_thinking_blocks() -> None:
    assert AIMessage("x").reasoning == ""
    assert AIMessageChunk("", additional_kwargs={"reasoning_content": "hmm"}).reasoning == "hmm"
    content: list[str | dict[str, Any]] = [
        {"type": "thinking", "thinking": "step 1. ", "signature": "sig"},
        {"type": "reasoning", "reasoning": "step 2. "},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "step 3."}]},
        {"type": "text", "text": "answer"},
    ]
    msg = AIMessage(content, additional_kwargs={"reasoning_content": "pre. "})
    assert msg.reasoning == "pre. step 1. step 2. step 3."
    assert msg.text == "answer"


def test_tool_message_requires_tool_call_id_and_defaults_success() -> None:
    msg = ToolMessage("done", tool_call_id="c1")
    assert msg.status == "success"
    assert msg.artifact is None
    with pytest.raises(TypeError):
        ToolMessage("done")  # type: ignore[call-arg]


def test_tool_message_turns_other_content_into_str() -> None:
    assert ToolMessage(42, tool_call_id="c").content == "42"
    assert ToolMessage(("a", 1), tool_call_id="c").content == ["a", "1"]
    assert ToolMessage("x", tool_call_id=7).tool_call_id == "7"  # type: ignore[arg-type]


def test_remove_message_has_id_and_empty_content() -> None:
    msg = RemoveMessage(id="m1")
    assert msg.content == ""
    assert RemoveMessage("m2").id == "m2"
    assert REMOVE_ALL_MESSAGES == "__remove_all__"


def test_chat_message_requires_role() -> None:
    assert ChatMessage("x", role="critic").role == "critic"
    with pytest.raises(TypeError):
        ChatMessage("x")  # type: ignore[call-arg]


@pytest.mark.parametrize("msg", ALL_MESSAGES, ids=lambda m: m.type)
def test_messages_pickle_and_copy(msg: BaseMessage) -> None:
    assert pickle.loads(pickle.dumps(msg)) == msg
    assert copy.deepcopy(msg) == msg
    assert copy.copy(msg) == msg


def test_model_copy_replaces_fields_and_deep_copies_on_request() -> None:
    original = AIMessage("a", additional_kwargs={"k": [1]})
    shallow = original.model_copy(update={"content": "b"})
    assert shallow.content == "b"
    assert shallow.additional_kwargs is original.additional_kwargs
    deep = original.model_copy(deep=True)
    assert deep == original
    assert deep.additional_kwargs["k"] is not original.additional_kwargs["k"]
    with pytest.raises(AttributeError):
        original.model_copy(update={"nope": 1})


def test_model_dump_is_the_dict_form() -> None:
    assert HumanMessage("hi", id="1").model_dump() == {
        "content": "hi",
        "additional_kwargs": {},
        "response_metadata": {},
        "type": "human",
        "name": None,
        "id": "1",
    }


# Expected renderings: what langchain-core 1.8.3 prints for the same messages.
_BAR_AI = "=" * 34 + " Ai Message " + "=" * 34
_BAR_HUMAN = "=" * 32 + " Human Message " + "=" * 33


def test_pretty_repr_matches_langchain_for_an_ai_message_with_tool_calls() -> None:
    msg = AIMessage(
        "x", name="bot", tool_calls=[tool_call(name="f", args={"a": 1, "city": "Paris"}, id="c1")]
    )
    assert msg.pretty_repr() == (
        f"{_BAR_AI}\nName: bot\n\nx\nTool Calls:\n  f (c1)\n Call ID: c1\n  Args:\n"
        "    a: 1\n    city: Paris"
    )
    assert len(_BAR_AI) == 80


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (AIMessage(""), _BAR_AI),
        (HumanMessage(""), f"{_BAR_HUMAN}\n\n"),
        (HumanMessage("n", name="bob"), f"{_BAR_HUMAN}\nName: bob\n\nn"),
        (
            AIMessage("", tool_calls=[tool_call(name="f", args={}, id="c1")]),
            f"{_BAR_AI}\nTool Calls:\n  f (c1)\n Call ID: c1\n  Args:",
        ),
        (
            AIMessage(
                "",
                invalid_tool_calls=[
                    {
                        "name": "f",
                        "args": "{x",
                        "id": "c2",
                        "error": "bad",
                        "type": "invalid_tool_call",
                    }
                ],
            ),
            f"{_BAR_AI}\nInvalid Tool Calls:\n  f (c2)\n Call ID: c2\n  Error: bad\n"
            "  Args:\n    {x",
        ),
        (
            HumanMessage(
                [{"type": "text", "text": "hello"}, {"type": "image_url", "image_url": {}}]
            ),
            f"{_BAR_HUMAN}\n\n[{{'type': 'text', 'text': 'hello'}}, "
            "{'type': 'image_url', 'image_url': {}}]",
        ),
        (
            ToolMessage("r", tool_call_id="c1"),
            "=" * 33 + " Tool Message " + "=" * 33 + "\n\nr",
        ),
        (AIMessageChunk("k"), "=" * 28 + " Aimessagechunk Message " + "=" * 28 + "\n\nk"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else "",
)
def test_pretty_repr_matches_langchain(message: Any, expected: str) -> None:
    assert message.pretty_repr() == expected


def test_pretty_print_prints(capsys: pytest.CaptureFixture[str]) -> None:
    HumanMessage("hello there").pretty_print()
    assert "hello there" in capsys.readouterr().out
