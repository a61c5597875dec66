"""BaseTool subclasses, tool-call invocation and injected parameters."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from streamgraph.config import RunnableConfig
from streamgraph.errors import ConfigurationError, ToolError
from streamgraph.messages import ToolMessage
from streamgraph.tools import BaseTool, InjectedToolArg, InjectedToolCallId, tool
from streamgraph.types import Command, StreamWriter


class SearchArgs(BaseModel):
    query: str = Field(description="what to look for")
    limit: int = 3


class Search(BaseTool):
    name = "search"
    description = "Search the catalogue."
    args_schema = SearchArgs
    prefix: str = "result"

    def _run(self, query: str, limit: int) -> str:
        return ", ".join(f"{self.prefix} {i} for {query}" for i in range(limit))


class AsyncOnly(BaseTool):
    """Count characters."""

    name = "count"

    async def _arun(self, text: str) -> int:
        return len(text)


def call(name: str, args: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def test_subclass_with_args_schema_runs_and_describes_itself() -> None:
    search = Search(prefix="hit")
    assert search.invoke({"query": "lamp", "limit": 1}) == "hit 0 for lamp"
    spec = search.tool_spec()
    assert spec["name"] == "search"
    assert spec["description"] == "Search the catalogue."
    assert spec["parameters"]["properties"]["query"]["description"] == "what to look for"
    assert search.args["limit"] == {"type": "integer", "default": 3}


def test_subclass_without_args_schema_reads_the_body_signature() -> None:
    count = AsyncOnly()
    assert count.description == "Count characters."
    assert count.tool_spec()["parameters"]["properties"] == {"text": {"type": "string"}}
    assert count.invoke({"text": "abcd"}) == 4


async def test_async_only_subclass_with_ainvoke() -> None:
    assert await AsyncOnly().ainvoke({"text": "ab"}) == 2


def test_unknown_constructor_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="nope"):
        Search(nope=1)


def test_subclass_without_a_name_is_a_configuration_error() -> None:
    class Nameless(BaseTool):
        def _run(self) -> str:
            return ""

    with pytest.raises(ConfigurationError, match="name"):
        Nameless()


def test_invoking_with_a_tool_call_returns_a_tool_message() -> None:
    message = Search().invoke(call("search", {"query": "x", "limit": 1}, "call_9"))
    assert isinstance(message, ToolMessage)
    assert message.content == "result 0 for x"
    assert message.tool_call_id == "call_9"
    assert message.name == "search"
    assert message.status == "success"


async def test_ainvoke_with_a_tool_call_returns_a_tool_message() -> None:
    message = await AsyncOnly().ainvoke(call("count", {"text": "abc"}))
    assert isinstance(message, ToolMessage)
    assert message.content == "3"


def test_non_text_output_becomes_json_content() -> None:
    @tool
    def data() -> dict[str, Any]:
        """Some data."""
        return {"temp": 21, "city": "Zürich"}

    message = data.invoke(call("data", {}))
    assert message.content == '{"temp": 21, "city": "Zürich"}'


def test_returned_tool_message_gets_the_call_id() -> None:
    @tool
    def custom() -> ToolMessage:
        """Answer with a message of its own."""
        return ToolMessage("done", tool_call_id="", artifact={"k": 1})

    message = custom.invoke(call("custom", {}, "call_5"))
    assert message.tool_call_id == "call_5"
    assert message.name == "custom"
    assert message.artifact == {"k": 1}


def test_returned_command_passes_through() -> None:
    @tool
    def jump(tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Update the state."""
        return Command(update={"seen": tool_call_id})

    result = jump.invoke(call("jump", {}, "call_7"))
    assert isinstance(result, Command)
    assert result.update == {"seen": "call_7"}


def _assert_call_id_hidden_and_filled(
    remember: BaseTool, tool_call: dict[str, Any], content: str
) -> None:
    """``remember`` shows the model only ``fact``, and ``tool_call`` gets back ``content``."""
    assert list(remember.tool_spec()["parameters"]["properties"]) == ["fact"]
    assert remember.tool_spec()["parameters"]["required"] == ["fact"]
    assert remember.invoke(tool_call).content == content


def test_injected_tool_call_id_is_hidden_and_filled() -> None:
    @tool
    def remember(fact: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
        """Store a fact."""
        return f"{fact}@{tool_call_id}"

    _assert_call_id_hidden_and_filled(
        remember, call("remember", {"fact": "sky"}, "call_3"), "sky@call_3"
    )


def test_injected_tool_call_id_without_a_call_is_a_clear_error() -> None:
    @tool
    def remember(fact: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
        """Store a fact."""
        return fact

    with pytest.raises(ToolError, match="tool call id"):
        remember.invoke({"fact": "sky"})
    assert remember.invoke({"fact": "sky", "tool_call_id": "manual"}) == "sky"


def test_injected_tool_call_id_declared_in_args_schema() -> None:
    class Args(BaseModel):
        fact: str
        tool_call_id: Annotated[str, InjectedToolCallId]

    @tool(args_schema=Args)
    def remember(fact: str, tool_call_id: str) -> str:
        """Store a fact."""
        return f"{fact}@{tool_call_id}"

    _assert_call_id_hidden_and_filled(remember, call("remember", {"fact": "a"}, "c2"), "a@c2")


def test_config_parameter_receives_the_given_config() -> None:
    @tool
    def who(x: int, config: RunnableConfig) -> str:
        """Who is asking."""
        return str(config.get("configurable", {}).get("user"))

    assert list(who.tool_spec()["parameters"]["properties"]) == ["x"]
    assert who.invoke({"x": 1}, {"configurable": {"user": "ada"}}) == "ada"
    # outside a run, without a config, it gets an empty one
    assert who.invoke({"x": 1}) == "None"


def test_parameter_named_config_is_injected_even_without_annotation() -> None:
    @tool
    def who(x: int, config=None) -> str:  # type: ignore[no-untyped-def]
        """Who is asking."""
        return repr(config)

    assert list(who.tool_spec()["parameters"]["properties"]) == ["x"]
    assert who.invoke({"x": 1}, {"tags": ["t"]}) == "{'tags': ['t']}"


def test_stream_writer_parameter_is_hidden_and_a_no_op_outside_a_run() -> None:
    @tool
    def work(steps: int, writer: StreamWriter) -> int:
        """Work in steps."""
        for i in range(steps):
            writer({"step": i})
        return steps

    assert list(work.tool_spec()["parameters"]["properties"]) == ["steps"]
    assert work.invoke({"steps": 2}) == 2


class Secret(InjectedToolArg):
    pass


def test_custom_marker_is_hidden_and_filled_from_the_arguments() -> None:
    @tool
    def use(x: int, key: Annotated[str, Secret]) -> str:
        """Use a key."""
        return f"{x}:{key}"

    assert list(use.tool_spec()["parameters"]["properties"]) == ["x"]
    assert use.invoke({"x": 1, "key": "k"}) == "1:k"
    with pytest.raises(ToolError, match=r"'key'.*ToolNode"):
        use.invoke({"x": 1})


def test_run_manager_and_callbacks_are_ignored() -> None:
    class Legacy(BaseTool):
        name = "legacy"
        description = "Ported code."

        def _run(self, q: str, run_manager: Any = None) -> str:
            return f"{q}:{run_manager}"

    legacy = Legacy()
    assert list(legacy.tool_spec()["parameters"]["properties"]) == ["q"]
    assert legacy.invoke({"q": "x", "run_manager": "from the model"}) == "x:None"
