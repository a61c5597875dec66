"""Messages to each provider's wire form, without a network."""

from __future__ import annotations

from streamgraph.messages import (
    AIMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from streamgraph.models._anthropic_wire import to_anthropic_messages
from streamgraph.models._openai_wire import to_openai_messages

PNG = "iVBORw0KGgo="


def test_anthropic_images_become_image_blocks() -> None:
    content: list[str | dict[str, object]] = [
        "Describe these.",
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": "https://example.test/cat.jpg"},
    ]
    _, messages = to_anthropic_messages([HumanMessage(content)])
    assert messages[0]["content"] == [
        {"type": "text", "text": "Describe these."},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://example.test/cat.jpg"}},
    ]


def test_anthropic_system_blocks_with_options_are_kept_as_blocks() -> None:
    cached = {"type": "text", "text": "Long rules.", "cache_control": {"type": "ephemeral"}}
    system, messages = to_anthropic_messages([SystemMessage([cached]), HumanMessage("hi")])
    assert system == [cached]
    assert messages == [{"role": "user", "content": "hi"}]


def test_anthropic_several_system_messages_are_joined() -> None:
    system, _ = to_anthropic_messages([SystemMessage("One."), SystemMessage("Two.")])
    assert system == "One.\n\nTwo."


def test_anthropic_chat_message_roles() -> None:
    _, messages = to_anthropic_messages(
        [ChatMessage("hello", role="user"), ChatMessage("hi!", role="assistant")]
    )
    assert [m["role"] for m in messages] == ["user", "assistant"]


def test_anthropic_assistant_text_only_stays_a_string() -> None:
    _, messages = to_anthropic_messages([HumanMessage("hi"), AIMessage("Hello.")])
    assert messages[1] == {"role": "assistant", "content": "Hello."}


def test_openai_roles_names_and_tool_messages() -> None:
    call = {"name": "f", "args": {"x": 1}, "id": "call_1", "type": "tool_call"}
    messages = to_openai_messages(
        [
            SystemMessage("Rules."),
            HumanMessage("hi", name="ada"),
            AIMessage("Calling.", tool_calls=[call]),  # type: ignore[list-item]
            ToolMessage(["part one", {"type": "text", "text": "part two"}], tool_call_id="call_1"),
        ]
    )
    assert messages == [
        {"role": "system", "content": "Rules."},
        {"role": "user", "content": "hi", "name": "ada"},
        {
            "role": "assistant",
            "content": "Calling.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "f", "arguments": '{"x": 1}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "part two"}],
        },
    ]


def test_openai_neutral_image_block_becomes_image_url() -> None:
    image = {"type": "image", "base64": PNG, "mime_type": "image/png"}
    [message] = to_openai_messages([HumanMessage(["look", image])])
    assert message["content"][1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{PNG}"},
    }
