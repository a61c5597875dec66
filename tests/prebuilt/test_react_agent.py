"""create_react_agent: the agent loop, how it streams, and how it fails."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from streamgraph.errors import ConfigurationError, GraphRecursionError
from streamgraph.graph import END, START, MessagesState, StateGraph, add_messages
from streamgraph.messages import (
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from streamgraph.models import FakeChatModel
from streamgraph.prebuilt import InjectedState, ToolNode, create_react_agent, tools_condition
from streamgraph.runtime import get_runtime
from streamgraph.tools import InjectedToolCallId, tool
from streamgraph.types import Command
from tests.prebuilt.helpers import calls

USER = {"messages": [("user", "What's the weather in Oslo and Lima?")]}


@tool
def weather(city: str) -> str:
    """Current weather for a city."""
    if city == "Lima":
        raise ConnectionError("weather service unreachable")
    return f"sunny in {city}"


def parallel_then_answer() -> FakeChatModel:
    return FakeChatModel(
        responses=[
            calls(
                ("weather", {"city": "Oslo"}, "call_oslo"),
                ("weather", {"city": "Lima"}, "call_lima"),
            ),
            "Oslo is sunny; Lima could not be checked.",
        ]
    )


def forgiving() -> ToolNode:
    """The weather tool, with every failure turned into an error ToolMessage."""
    return ToolNode([weather], handle_tool_errors=True)


def test_a_failing_tool_ends_the_run_by_default() -> None:
    # LangGraph 1.2.22's ToolNode re-raises all but argument errors: ConnectionError here
    with pytest.raises(ConnectionError, match="unreachable"):
        create_react_agent(parallel_then_answer(), [weather]).invoke(USER)


def run_reference_loop(graph: Any, inputs: Any) -> str:
    """The "With Tool Calls" loop of the token-streaming reference, printing into a string."""
    out: list[str] = []
    for msg, _meta in graph.stream(inputs, stream_mode="messages"):
        if msg.content:
            out.append(msg.content)
        elif msg.tool_calls:
            for tc in msg.tool_calls:
                out.append(f"\n[Calling tool: {tc['name']}]")
    return "".join(out)


def test_reference_loop_prints_each_tool_call_once_then_results_then_answer() -> None:
    agent = create_react_agent(parallel_then_answer(), forgiving())
    printed = run_reference_loop(agent, USER)
    assert printed == (
        "\n[Calling tool: weather]\n[Calling tool: weather]"
        "sunny in Oslo"
        "Error: ConnectionError: weather service unreachable\nFix the call and try again."
        "Oslo is sunny; Lima could not be checked."
    )


def test_messages_mode_order_tokens_then_tool_messages_once_then_answer_tokens() -> None:
    agent = create_react_agent(parallel_then_answer(), forgiving())
    items = list(agent.stream(USER, stream_mode="messages"))
    kinds = [
        ("chunk" if isinstance(m, AIMessageChunk) else m.type, meta["langgraph_node"])
        for m, meta in items
    ]
    first_tool = kinds.index(("tool", "tools"))
    assert set(kinds[:first_tool]) == {("chunk", "agent")}
    assert kinds[first_tool : first_tool + 2] == [("tool", "tools"), ("tool", "tools")]
    assert set(kinds[first_tool + 2 :]) == {("chunk", "agent")}

    tool_messages = [m for m, _ in items if isinstance(m, ToolMessage)]
    assert [(m.tool_call_id, m.status) for m in tool_messages] == [
        ("call_oslo", "success"),
        ("call_lima", "error"),
    ]
    first_reply = [m for m, _ in items[:first_tool]]
    merged = first_reply[0]
    for chunk in first_reply[1:]:
        merged = merged + chunk
    assert [c["args"] for c in merged.tool_calls] == [{"city": "Oslo"}, {"city": "Lima"}]
    answer = "".join(m.content for m, _ in items[first_tool + 2 :])
    assert answer == "Oslo is sunny; Lima could not be checked."


def test_streamed_tool_messages_are_the_ones_that_land_in_state() -> None:
    agent = create_react_agent(parallel_then_answer(), forgiving())
    streamed: list[ToolMessage] = []
    last_values: dict[str, Any] = {}
    for mode, data in agent.stream(USER, stream_mode=["messages", "values"]):
        if mode == "values":
            last_values = data
        elif isinstance(data[0], ToolMessage):
            streamed.append(data[0])
    final = last_values["messages"]
    assert [m.type for m in final] == ["human", "ai", "tool", "tool", "ai"]
    assert [m.id for m in streamed] == [m.id for m in final[2:4]]
    assert all(m.id for m in streamed)


def test_invoke_returns_the_whole_conversation() -> None:
    final = create_react_agent(parallel_then_answer(), forgiving()).invoke(USER)["messages"]
    assert final[-1].content == "Oslo is sunny; Lima could not be checked."
    assert final[2].content == "sunny in Oslo"
    assert "weather service unreachable" in final[3].content


async def test_astream_gives_the_same_items_as_stream() -> None:
    agent = create_react_agent(parallel_then_answer(), forgiving())
    items = [m async for m, _ in agent.astream(USER, stream_mode="messages")]
    assert [m.type for m in items if not isinstance(m, AIMessageChunk)] == ["tool", "tool"]
    assert "".join(m.content for m in items[-4:]).endswith("could not be checked.")


def test_updates_mode_names_each_node_once_per_step() -> None:
    agent = create_react_agent(parallel_then_answer(), forgiving())
    nodes = [next(iter(update)) for update in agent.stream(USER, stream_mode="updates")]
    assert nodes == ["agent", "tools", "agent"]


def test_several_tool_rounds() -> None:
    model = FakeChatModel(
        responses=[
            calls(("weather", {"city": "Oslo"}, "c1")),
            calls(("weather", {"city": "Rome"}, "c2")),
            "Both sunny.",
        ]
    )
    printed = run_reference_loop(create_react_agent(model, [weather]), USER)
    assert printed == (
        "\n[Calling tool: weather]sunny in Oslo\n[Calling tool: weather]sunny in RomeBoth sunny."
    )


def test_bad_arguments_from_the_model_give_an_error_message_not_a_crash() -> None:
    model = FakeChatModel(responses=[calls(("weather", {"town": "Oslo"}, "c1")), "Sorry."])
    final = create_react_agent(model, [weather]).invoke(USER)["messages"]
    answer = final[2]
    assert isinstance(answer, ToolMessage)
    assert answer.status == "error"
    assert "'city' is required" in answer.content
    assert final[-1].content == "Sorry."


def test_unknown_tool_from_the_model_gives_an_error_message() -> None:
    model = FakeChatModel(responses=[calls(("forecast", {}, "c1")), "Sorry."])
    final = create_react_agent(model, [weather]).invoke(USER)["messages"]
    assert final[2].status == "error"
    assert "'weather'" in final[2].content


def test_an_agent_that_never_stops_hits_the_recursion_limit() -> None:
    looping = FakeChatModel(responses=[calls(("weather", {"city": "Oslo"}, "c1"))])
    agent = create_react_agent(looping, [weather])
    with pytest.raises(GraphRecursionError):
        agent.invoke(USER, {"recursion_limit": 7})
    with pytest.raises(GraphRecursionError):
        for _ in agent.stream(USER, stream_mode="messages"):
            pass


def test_string_prompt_is_prepended_as_a_system_message() -> None:
    model = FakeChatModel(responses=["ok"])
    create_react_agent(model, [weather], prompt="Be brief.").invoke(USER)
    sent = model.calls[0].messages
    assert isinstance(sent[0], SystemMessage)
    assert sent[0].content == "Be brief."
    assert sent[1].content == "What's the weather in Oslo and Lima?"


def test_system_message_and_callable_prompts() -> None:
    model = FakeChatModel(responses=["ok"])
    create_react_agent(model, [], prompt=SystemMessage("Rules.")).invoke(USER)
    assert model.calls[0].messages[0].content == "Rules."

    def build(state: Any) -> list[BaseMessage]:
        return [SystemMessage(f"{len(state['messages'])} so far"), *state["messages"]]

    model = FakeChatModel(responses=["ok"])
    create_react_agent(model, [weather], prompt=build).invoke(USER)
    assert model.calls[0].messages[0].content == "1 so far"


def test_bad_prompt_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="prompt"):
        create_react_agent(FakeChatModel(responses=["ok"]), [], prompt=42)


def test_tools_are_bound_to_the_model() -> None:
    model = FakeChatModel(responses=["ok"])
    create_react_agent(model, [weather]).invoke(USER)
    assert model.calls[0].tools == [weather.tool_spec()]


def test_a_model_with_tools_already_bound_is_used_as_is() -> None:
    model = FakeChatModel(responses=["ok"]).bind_tools([weather], tool_choice="weather")
    create_react_agent(model, [weather]).invoke(USER)
    assert model.calls[0].tool_choice is not None


def test_agent_without_tools_just_answers() -> None:
    agent = create_react_agent(FakeChatModel(responses=["hello"]), [])
    assert agent.invoke(USER)["messages"][-1].content == "hello"
    assert [next(iter(u)) for u in agent.stream(USER, stream_mode="updates")] == ["agent"]


def test_tool_node_instance_chooses_error_handling() -> None:
    agent = create_react_agent(
        parallel_then_answer(), ToolNode([weather], handle_tool_errors=False)
    )
    with pytest.raises(ConnectionError) as info:
        agent.invoke(USER)
    assert getattr(info.value, "streamgraph_node", None) == "tools"


def test_name_names_the_compiled_graph() -> None:
    agent = create_react_agent(FakeChatModel(responses=["ok"]), [weather], name="helper")
    assert agent.name == "helper"


class NotesState(TypedDict):
    messages: Annotated[list[BaseMessage], add_messages]
    notes: Annotated[list[str], operator.add]
    user: str


@tool
def whoami(user: Annotated[str, InjectedState("user")]) -> str:
    """Who is talking."""
    return f"you are {user}"


@tool
def note(text: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
    """Keep a note."""
    saved = ToolMessage(f"noted {text}", tool_call_id=tool_call_id)
    return Command(update={"notes": [text], "messages": [saved]})


def test_custom_state_schema_with_injected_state_and_commands() -> None:
    model = FakeChatModel(
        responses=[
            calls(("whoami", {}, "c1"), ("note", {"text": "likes tea"}, "c2")),
            "Noted.",
        ]
    )
    agent = create_react_agent(model, [whoami, note], state_schema=NotesState)
    final = agent.invoke({"messages": [("user", "hi")], "notes": [], "user": "ada"})
    assert final["notes"] == ["likes tea"]
    assert [m.content for m in final["messages"][2:4]] == ["you are ada", "noted likes tea"]
    assert final["messages"][-1].content == "Noted."


def test_tool_node_in_a_hand_built_graph() -> None:
    model = FakeChatModel(responses=[calls(("weather", {"city": "Oslo"}, "c1")), "Sunny."])
    bound = model.bind_tools([weather])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([weather]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    graph = builder.compile()
    printed = run_reference_loop(graph, {"messages": [HumanMessage("Oslo?")]})
    assert printed == "\n[Calling tool: weather]sunny in OsloSunny."
    assert END == "__end__"


@dataclass
class UserContext:
    user_id: str


@tool
def my_id() -> str:
    """The id of the user talking."""
    context: UserContext = get_runtime().context
    return context.user_id


def test_context_schema_reaches_tools_through_the_runtime() -> None:
    model = FakeChatModel(responses=[calls(("my_id", {}, "c1")), "Done."])
    agent = create_react_agent(model, [my_id], context_schema=UserContext)
    final = agent.invoke(USER, context=UserContext(user_id="u-42"))
    assert final["messages"][2].content == "u-42"


def test_persistence_options_reach_compile() -> None:
    with pytest.raises(ConfigurationError, match="checkpointer"):
        create_react_agent(FakeChatModel(responses=["ok"]), [weather], checkpointer=object())
