"""@tool: names, descriptions, schemas and calls for sync and async functions."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from streamgraph.errors import ConfigurationError, ToolError
from streamgraph.tools import BaseTool, StructuredTool, tool


@tool
def add(a: int, b: int = 2) -> int:
    """Add two integers."""
    return a + b


@tool
async def shout(text: str) -> str:
    """Say it louder."""
    await asyncio.sleep(0)
    return text.upper()


def test_bare_decorator_reads_name_description_and_schema() -> None:
    assert isinstance(add, BaseTool)
    assert add.tool_spec() == {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 2}},
            "required": ["a"],
        },
    }


def test_decorator_with_a_name_renames_the_tool() -> None:
    @tool("sum_two")
    def whatever(a: int, b: int) -> int:
        """Sum."""
        return a + b

    assert whatever.name == "sum_two"
    assert whatever.invoke({"a": 1, "b": 2}) == 3


def test_name_and_function_positionally() -> None:
    def mul(a: int, b: int) -> int:
        """Multiply."""
        return a * b

    times = tool("times", mul)
    assert times.name == "times"
    assert times.invoke({"a": 3, "b": 4}) == 12


def test_decorator_with_options_and_description() -> None:
    @tool(description="Look up a user by id.")
    def lookup(user_id: int) -> str:
        return f"user {user_id}"

    assert lookup.description == "Look up a user by id."
    assert lookup.invoke({"user_id": "7"}) == "user 7"


def test_invoke_validates_and_coerces_arguments() -> None:
    assert add.invoke({"a": "3"}) == 5
    assert add.invoke({"a": 1, "b": 10}) == 11


def test_single_argument_tool_accepts_a_string() -> None:
    assert shout.invoke("hey") == "HEY"


async def test_async_tool_runs_with_ainvoke_and_invoke() -> None:
    assert await shout.ainvoke({"text": "hi"}) == "HI"
    # a sync caller inside a running loop still gets the answer (run in a worker thread)
    assert shout.invoke({"text": "yo"}) == "YO"


def test_async_tool_invoke_without_a_loop() -> None:
    assert shout.invoke({"text": "ok"}) == "OK"


async def test_sync_tool_ainvoke_runs_in_a_worker_thread() -> None:
    import threading

    main = threading.get_ident()

    @tool
    def where() -> bool:
        """Report whether this runs off the event loop's thread."""
        return threading.get_ident() != main

    assert await where.ainvoke({}) is True


def test_invalid_argument_error_names_tool_argument_and_expectation() -> None:
    with pytest.raises(ToolError) as info:
        add.invoke({"a": "many"})
    message = str(info.value)
    assert "'add'" in message
    assert "'a'" in message
    assert "valid integer" in message
    assert "'many'" in message


def test_missing_argument_error_says_it_is_required() -> None:
    with pytest.raises(ToolError, match=r"argument 'a' is required"):
        add.invoke({"b": 1})


def test_arguments_must_be_a_mapping() -> None:
    with pytest.raises(ToolError, match="JSON object"):
        add.invoke([1, 2])


def test_tool_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        add.invoke({"a": None})


def test_user_exception_from_the_body_passes_through_unchanged() -> None:
    boom = KeyError("missing")

    @tool
    def fails() -> None:
        """Always fails."""
        raise boom

    with pytest.raises(KeyError) as info:
        fails.invoke({})
    assert info.value is boom


def test_parse_docstring_fills_description_and_argument_descriptions() -> None:
    @tool(parse_docstring=True)
    def search(query: str, limit: int = 5) -> list[str]:
        """Search the catalogue.

        Args:
            query: what to look for.
            limit: how many results,
                at most 20.

        Returns:
            matching titles.
        """
        return [query] * limit

    spec = search.tool_spec()
    assert spec["description"] == "Search the catalogue."
    props = spec["parameters"]["properties"]
    assert props["query"] == {"type": "string", "description": "what to look for."}
    assert props["limit"]["description"] == "how many results, at most 20."


def test_without_parse_docstring_the_whole_docstring_is_the_description() -> None:
    @tool
    def f(x: int) -> int:
        """Do it.

        Args:
            x: a number.
        """
        return x

    assert f.description == "Do it.\n\nArgs:\n    x: a number."
    assert "description" not in f.tool_spec()["parameters"]["properties"]["x"]


def test_annotated_string_and_field_descriptions() -> None:
    @tool
    def f(
        city: Annotated[str, "the city"],
        days: Annotated[int, Field(description="how many days", ge=1)] = 1,
    ) -> str:
        """Forecast."""
        return city

    props = f.tool_spec()["parameters"]["properties"]
    assert props["city"]["description"] == "the city"
    assert props["days"] == {
        "type": "integer",
        "description": "how many days",
        "minimum": 1,
        "default": 1,
    }
    with pytest.raises(ToolError, match="'days'"):
        f.invoke({"city": "Oslo", "days": 0})


def test_args_schema_replaces_the_hints() -> None:
    class Query(BaseModel):
        """ignored: the tool's description is the function's."""

        text: str = Field(description="the query")
        mode: Literal["fast", "deep"] = "fast"

    @tool(args_schema=Query)
    def find(text: str, mode: str) -> str:
        """Find things."""
        return f"{mode}:{text}"

    spec = find.tool_spec()
    assert spec["parameters"]["properties"]["text"] == {
        "type": "string",
        "description": "the query",
    }
    assert spec["parameters"]["required"] == ["text"]
    assert find.invoke({"text": "x"}) == "fast:x"
    with pytest.raises(ToolError, match="'mode'"):
        find.invoke({"text": "x", "mode": "slow"})


class Point(BaseModel):
    x: float
    y: float


class Opaque:
    pass


def test_nested_pydantic_argument_is_validated_into_the_model() -> None:
    @tool
    def norm(p: Point) -> float:
        """Length of a vector."""
        return float((p.x**2 + p.y**2) ** 0.5)

    assert norm.invoke({"p": {"x": 3, "y": 4}}) == 5.0
    assert "$defs" in norm.tool_spec()["parameters"]


def test_parameter_names_that_shadow_pydantic_attributes_work() -> None:
    @tool
    def fmt(json: str, schema: str = "v1", model_name: str = "m") -> str:
        """Format."""
        return f"{json}|{schema}|{model_name}"

    props = fmt.tool_spec()["parameters"]["properties"]
    assert list(props) == ["json", "schema", "model_name"]
    assert fmt.invoke({"json": "{}", "schema": "v2"}) == "{}|v2|m"


def test_optional_and_collection_types() -> None:
    @tool
    def f(tags: list[str], note: str | None = None) -> str:
        """Tag."""
        return ",".join(tags) + (note or "")

    props = f.tool_spec()["parameters"]["properties"]
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert f.invoke({"tags": ["a", "b"]}) == "a,b"


def test_tool_without_parameters_has_an_empty_object_schema() -> None:
    @tool
    def now() -> str:
        """The time."""
        return "noon"

    assert now.tool_spec()["parameters"] == {"type": "object", "properties": {}}
    assert now.invoke({}) == "noon"


def test_missing_docstring_is_a_configuration_error() -> None:
    def nodoc(x: int) -> int:
        return x

    with pytest.raises(ConfigurationError, match="docstring"):
        tool(nodoc)


def test_unusable_type_hint_is_a_configuration_error() -> None:
    def bad(thing: Opaque) -> None:
        """Bad."""

    with pytest.raises(ConfigurationError, match="'bad'"):
        tool(bad)


def test_unresolvable_type_hint_names_the_tool_and_the_way_out() -> None:
    class Local(BaseModel):
        x: int

    def local(thing: Local) -> None:
        """Local."""

    with pytest.raises(ConfigurationError, match=r"'local'.*args_schema"):
        tool(local)


def test_decorating_a_non_callable_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        tool(description="x")(42)  # type: ignore[arg-type]


def test_from_function_with_both_bodies() -> None:
    def double(n: int) -> int:
        return n * 2

    async def adouble(n: int) -> int:
        return n * 2

    both = StructuredTool.from_function(double, adouble, description="Double it.")
    assert both.name == "double"
    assert both.invoke({"n": 2}) == 4
    assert asyncio.run(both.ainvoke({"n": 3})) == 6


def test_content_and_artifact_keeps_the_artifact_off_the_content() -> None:
    @tool(response_format="content_and_artifact")
    def pick(n: int) -> tuple[str, list[int]]:
        """Pick numbers."""
        return f"picked {n}", list(range(n))

    assert pick.invoke({"n": 2}) == "picked 2"
    message: Any = pick.invoke({"name": "pick", "args": {"n": 3}, "id": "c1", "type": "tool_call"})
    assert message.content == "picked 3"
    assert message.artifact == [0, 1, 2]


def test_content_and_artifact_requires_a_pair() -> None:
    @tool(response_format="content_and_artifact")
    def pick() -> str:
        """Pick."""
        return "oops"

    with pytest.raises(ToolError, match="pair"):
        pick.invoke({})
