"""ToolNode called directly: concurrency, order, errors, injection and Commands."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest

from streamgraph.config import RunnableConfig
from streamgraph.engine.context import scoped_metadata
from streamgraph.errors import ConfigurationError, InvalidUpdateError, ToolError
from streamgraph.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from streamgraph.prebuilt import InjectedState, ToolNode
from streamgraph.tools import InjectedToolCallId, tool
from streamgraph.types import Command
from tests.prebuilt.helpers import calls


def ai(*wanted: tuple[str, dict[str, Any]]) -> AIMessage:
    """An AI message asking for the tool calls ``(name, args)``, ids numbered from ``call_0``."""
    return calls(*((name, args, f"call_{i}") for i, (name, args) in enumerate(wanted)))


def state(*wanted: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"messages": [HumanMessage("go"), ai(*wanted)]}


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(reason)


async def test_answers_every_call_in_call_order() -> None:
    node = ToolNode([add])
    out = await node(state(("add", {"a": 1, "b": 2}), ("add", {"a": 5, "b": 5})), {})
    messages = out["messages"]
    assert [m.content for m in messages] == ["3", "10"]
    assert [m.tool_call_id for m in messages] == ["call_0", "call_1"]
    assert all(isinstance(m, ToolMessage) and m.name == "add" for m in messages)
    assert all(m.status == "success" for m in messages)


async def test_async_calls_run_concurrently_and_keep_call_order() -> None:
    first_may_finish = asyncio.Event()

    @tool
    async def slow() -> str:
        """Waits for the other call."""
        await first_may_finish.wait()
        return "slow"

    @tool
    async def fast() -> str:
        """Releases the other call."""
        first_may_finish.set()
        return "fast"

    out = await ToolNode([slow, fast])(state(("slow", {}), ("fast", {})))
    assert [m.content for m in out["messages"]] == ["slow", "fast"]


async def test_sync_calls_run_in_parallel_worker_threads() -> None:
    both_running = threading.Barrier(2, timeout=5)
    loop_thread = threading.get_ident()

    @tool
    def meet(who: str) -> str:
        """Wait until the other call runs too."""
        both_running.wait()
        return f"{who}:{threading.get_ident() != loop_thread}"

    out = await ToolNode([meet])(state(("meet", {"who": "a"}), ("meet", {"who": "b"})))
    assert [m.content for m in out["messages"]] == ["a:True", "b:True"]


async def test_failing_tool_is_raised_by_default() -> None:
    # LangGraph 1.2.22: ValueError('kaboom') from a tool reaches the caller
    with pytest.raises(RuntimeError, match="disk full"):
        await ToolNode([add, explode])(state(("explode", {"reason": "disk full"})))


async def test_failing_tool_becomes_an_error_message_when_every_error_is_handled() -> None:
    out = await ToolNode([add, explode], handle_tool_errors=True)(
        state(("explode", {"reason": "disk full"}), ("add", {"a": 1, "b": 1}))
    )
    failed, ok = out["messages"]
    assert failed.status == "error"
    assert failed.tool_call_id == "call_0"
    assert failed.name == "explode"
    assert "RuntimeError: disk full" in failed.content
    assert (ok.status, ok.content) == ("success", "2")


async def test_bad_arguments_become_an_error_message_naming_the_argument() -> None:
    out = await ToolNode([add])(state(("add", {"a": "lots", "b": 1})))
    (message,) = out["messages"]
    assert message.status == "error"
    assert "'add'" in message.content
    assert "'a'" in message.content
    assert "integer" in message.content


async def test_unknown_tool_lists_the_available_ones() -> None:
    out = await ToolNode([add, explode])(state(("divide", {"a": 1})))
    (message,) = out["messages"]
    assert message.status == "error"
    assert "'divide'" in message.content
    assert "'add', 'explode'" in message.content


async def test_unparseable_arguments_get_an_error_answer() -> None:
    message = AIMessage(
        "",
        invalid_tool_calls=[
            {"name": "add", "args": '{"a": 1,', "id": "call_x", "error": "truncated JSON"}
        ],
    )
    out = await ToolNode([add])({"messages": [message]})
    (answer,) = out["messages"]
    assert (answer.status, answer.tool_call_id) == ("error", "call_x")
    assert "truncated JSON" in answer.content


async def test_handle_tool_errors_false_reraises_and_cancels_siblings() -> None:
    cancelled = asyncio.Event()

    @tool
    async def wait_forever() -> str:
        """Never finishes by itself."""
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "unreachable"

    @tool
    async def fail() -> str:
        """Fails after the sibling started."""
        await asyncio.sleep(0)
        raise KeyError("gone")

    node = ToolNode([wait_forever, fail], handle_tool_errors=False)
    with pytest.raises(KeyError, match="gone"):
        await node(state(("wait_forever", {}), ("fail", {})))
    assert cancelled.is_set()


async def test_handle_tool_errors_false_reraises_validation_errors() -> None:
    with pytest.raises(ToolError, match="'a'"):
        await ToolNode([add], handle_tool_errors=False)(state(("add", {"a": "x", "b": 1})))


async def test_handle_tool_errors_string_sets_the_content() -> None:
    node = ToolNode([explode], handle_tool_errors="Tool failed, try something else.")
    (message,) = (await node(state(("explode", {"reason": "x"}))))["messages"]
    assert (message.content, message.status) == ("Tool failed, try something else.", "error")


async def test_handle_tool_errors_function_builds_the_content() -> None:
    node = ToolNode([explode], handle_tool_errors=lambda exc: f"sorry: {exc}")
    (message,) = (await node(state(("explode", {"reason": "x"}))))["messages"]
    assert message.content == "sorry: x"


def only_value_errors(exc: ValueError) -> str:
    return f"value problem: {exc}"


async def test_handle_tool_errors_function_annotation_limits_the_handled_types() -> None:
    node = ToolNode([add, explode], handle_tool_errors=only_value_errors)
    (message,) = (await node(state(("add", {"a": "x", "b": 1}))))["messages"]
    assert message.content.startswith("value problem: invalid arguments")  # ToolError
    with pytest.raises(RuntimeError):
        await node(state(("explode", {"reason": "x"})))


async def test_handle_tool_errors_tuple_limits_the_handled_types() -> None:
    node = ToolNode([explode, add], handle_tool_errors=(ToolError,))
    (message,) = (await node(state(("add", {"b": 1}))))["messages"]
    assert message.status == "error"
    with pytest.raises(RuntimeError):
        await node(state(("explode", {"reason": "x"})))


def test_bad_handle_tool_errors_option_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="handle_tool_errors"):
        ToolNode([add], handle_tool_errors=3)  # type: ignore[arg-type]


def test_duplicate_tool_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="'add'"):
        ToolNode([add, add])


async def test_no_ai_message_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="tools_condition"):
        await ToolNode([add])({"messages": [HumanMessage("hi")]})


async def test_missing_messages_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="messages_key"):
        await ToolNode([add])({"history": []})


async def test_injected_state_whole_and_by_key() -> None:
    @tool
    def inspect_state(
        question: str,
        whole: Annotated[dict[str, Any], InjectedState],
        user: Annotated[str, InjectedState("user")],
    ) -> str:
        """Answer from the state."""
        return f"{question}|{user}|{len(whole['messages'])}"

    assert list(inspect_state.tool_spec()["parameters"]["properties"]) == ["question"]
    graph_state = {**state(("inspect_state", {"question": "q"})), "user": "ada"}
    (message,) = (await ToolNode([inspect_state])(graph_state))["messages"]
    assert message.content == "q|ada|2"


@dataclass
class ObjState:
    messages: list[BaseMessage]
    user: str = "bob"
    extra: list[str] = field(default_factory=list)


async def test_object_state_with_injected_key() -> None:
    @tool
    def whoami(user: Annotated[str, InjectedState("user")]) -> str:
        """Who the user is."""
        return user

    (message,) = (await ToolNode([whoami])(ObjState([ai(("whoami", {}))])))["messages"]
    assert message.content == "bob"


async def test_injected_state_key_missing_is_raised_by_default() -> None:
    @tool
    def whoami(user: Annotated[str, InjectedState("user")]) -> str:
        """Who the user is."""
        return user

    with pytest.raises(ToolError, match="'user'"):
        await ToolNode([whoami])(state(("whoami", {})))
    handled = ToolNode([whoami], handle_tool_errors=True)
    (message,) = (await handled(state(("whoami", {}))))["messages"]
    assert message.status == "error"
    assert "'user'" in message.content


async def test_list_input_gives_list_output() -> None:
    out = await ToolNode([add])([ai(("add", {"a": 1, "b": 1}))])
    assert isinstance(out, list)
    assert out[0].content == "2"


async def test_config_and_call_id_are_injected() -> None:
    @tool
    def stamp(
        text: str,
        config: RunnableConfig,
        tool_call_id: Annotated[str, InjectedToolCallId],
    ) -> str:
        """Stamp the text."""
        return f"{text}|{config['configurable']['user']}|{tool_call_id}"

    out = await ToolNode([stamp])(state(("stamp", {"text": "x"})), {"configurable": {"user": "u"}})
    assert out["messages"][0].content == "x|u|call_0"


async def test_each_call_runs_in_a_metadata_scope_with_its_call_id() -> None:
    @tool
    def sync_scope() -> str:
        """Report the scoped metadata."""
        return str(scoped_metadata())

    @tool
    async def async_scope() -> str:
        """Report the scoped metadata."""
        return str(scoped_metadata())

    out = await ToolNode([sync_scope, async_scope])(state(("sync_scope", {}), ("async_scope", {})))
    assert [m.content for m in out["messages"]] == [
        "{'tool_call_id': 'call_0'}",
        "{'tool_call_id': 'call_1'}",
    ]
    assert scoped_metadata() is None


def test_sync_invoke() -> None:
    out = ToolNode([add]).invoke(state(("add", {"a": 2, "b": 2})))
    assert out["messages"][0].content == "4"


async def test_commands_from_tools_fold_into_one_command() -> None:
    @tool
    def set_name(name: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Remember the user's name."""
        saved = ToolMessage(f"saved {name}", tool_call_id=tool_call_id)
        return Command(update={"user_name": name, "messages": [saved]}, goto="agent")

    out = await ToolNode([set_name, add])(
        state(("add", {"a": 1, "b": 2}), ("set_name", {"name": "Ada"}))
    )
    assert isinstance(out, Command)
    assert out.goto == ["agent"]
    assert out.update["user_name"] == "Ada"
    assert [m.content for m in out.update["messages"]] == ["3", "saved Ada"]


async def test_two_commands_writing_one_key_are_refused() -> None:
    @tool
    def set_name(name: str) -> Command[Any]:
        """Remember the user's name."""
        return Command(update={"user_name": name})

    with pytest.raises(InvalidUpdateError, match="'user_name'"):
        await ToolNode([set_name])(state(("set_name", {"name": "a"}), ("set_name", {"name": "b"})))


async def test_functions_are_wrapped_as_tools() -> None:
    def double(n: int) -> int:
        """Double a number."""
        return 2 * n

    out = await ToolNode([double])(state(("double", {"n": 4})))
    assert out["messages"][0].content == "8"


async def test_langchain_tools_run_in_a_tool_node() -> None:
    lc_tools = pytest.importorskip("langchain_core.tools")

    def mul(a: int, b: int) -> int:
        """Multiply."""
        return a * b

    lc_mul = lc_tools.tool("lc_mul", mul)

    out = await ToolNode([lc_mul])(state(("lc_mul", {"a": 3, "b": 4})))
    (message,) = out["messages"]
    # LangChain's own ToolMessage, as the tool made it
    lc_messages = pytest.importorskip("langchain_core.messages")
    assert type(message) is lc_messages.ToolMessage
    assert (message.content, message.tool_call_id) == ("12", "call_0")
