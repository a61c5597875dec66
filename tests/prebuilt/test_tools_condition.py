"""tools_condition routes to "tools" exactly when the model asked for tools."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from streamgraph.errors import ConfigurationError
from streamgraph.graph import END
from streamgraph.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    InvalidToolCall,
    ToolCall,
    ToolMessage,
)
from streamgraph.prebuilt import tools_condition

CALL: ToolCall = {"name": "add", "args": {}, "id": "c1", "type": "tool_call"}


def test_ai_message_with_tool_calls_goes_to_tools() -> None:
    assert tools_condition(
        {"messages": [HumanMessage("hi"), AIMessage("", tool_calls=[CALL])]}
    ) == ("tools")


def test_plain_answer_ends() -> None:
    assert tools_condition({"messages": [AIMessage("done")]}) == END


def test_tool_message_last_ends() -> None:
    assert tools_condition([ToolMessage("x", tool_call_id="c1")]) == END


def test_unparseable_calls_still_go_to_tools() -> None:
    bad: InvalidToolCall = {"name": "add", "args": "{", "id": "c1", "error": "bad JSON"}
    assert tools_condition([AIMessage("", invalid_tool_calls=[bad])]) == "tools"


def test_empty_messages_end() -> None:
    assert tools_condition({"messages": []}) == END


@dataclass
class Obj:
    history: list[BaseMessage]


def test_object_state_and_custom_key() -> None:
    assert tools_condition(Obj([AIMessage("", tool_calls=[CALL])]), messages_key="history") == (
        "tools"
    )


def test_missing_messages_is_a_configuration_error() -> None:
    state: dict[str, Any] = {"other": 1}
    with pytest.raises(ConfigurationError, match="'messages'"):
        tools_condition(state)
