"""convert_to_tool_spec and convert_to_tool: every accepted shape, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from streamgraph.errors import ConfigurationError
from streamgraph.tools import BaseTool, convert_to_tool, convert_to_tool_spec, tool

WEATHER = {
    "name": "weather",
    "description": "Current weather.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def test_our_tool() -> None:
    @tool
    def weather(city: str) -> str:
        """Current weather."""
        return city

    assert convert_to_tool_spec(weather) == WEATHER


def test_plain_function_is_wrapped_with_tool() -> None:
    def weather(city: str) -> str:
        """Current weather."""
        return city

    assert convert_to_tool_spec(weather) == WEATHER


def test_pydantic_model_class() -> None:
    class Weather(BaseModel):
        """Current weather."""

        city: str = Field(description="the city")

    assert convert_to_tool_spec(Weather) == {
        "name": "Weather",
        "description": "Current weather.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "the city"}},
            "required": ["city"],
        },
    }


def test_openai_form() -> None:
    openai = {"type": "function", "function": dict(WEATHER)}
    assert convert_to_tool_spec(openai) == WEATHER


def test_anthropic_form() -> None:
    anthropic = {
        "name": "weather",
        "description": "Current weather.",
        "input_schema": WEATHER["parameters"],
    }
    assert convert_to_tool_spec(anthropic) == WEATHER


def test_neutral_form_round_trips() -> None:
    assert convert_to_tool_spec(WEATHER) == WEATHER


def test_missing_parameters_and_description_get_defaults() -> None:
    assert convert_to_tool_spec({"name": "now"}) == {
        "name": "now",
        "description": "",
        "parameters": {"type": "object", "properties": {}},
    }


@pytest.mark.parametrize(
    "bad",
    [
        42,
        "weather",
        {"description": "no name"},
        {"type": "function", "function": {"description": "no name"}},
        {"name": "x", "parameters": {"type": "array"}},
        {"name": "x", "parameters": "not a schema"},
    ],
)
def test_anything_else_is_a_configuration_error_listing_what_is_accepted(bad: Any) -> None:
    with pytest.raises(ConfigurationError):
        convert_to_tool_spec(bad)


def test_refusal_lists_the_accepted_shapes() -> None:
    with pytest.raises(ConfigurationError) as info:
        convert_to_tool_spec(3.5)
    message = str(info.value)
    for shape in ("pydantic model", "OpenAI", "Anthropic", "neutral", "LangChain"):
        assert shape in message


def test_convert_to_tool() -> None:
    def double(n: int) -> int:
        """Double."""
        return n * 2

    made = convert_to_tool(double)
    assert isinstance(made, BaseTool)
    assert convert_to_tool(made) is made
    with pytest.raises(ConfigurationError):
        convert_to_tool(WEATHER)
