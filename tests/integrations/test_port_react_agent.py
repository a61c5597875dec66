"""A LangGraph ReAct program ported by changing its ``langgraph`` imports only.

It keeps LangChain's messages, tools and chat model, and checks LangChain classes with
``isinstance`` everywhere. Besides pytest it imports only ``langchain_core``,
``langchain_core.tools``, a LangChain chat model class and streamgraph's graph API, so the
same module runs on LangGraph with the graph imports switched back; every expected value
below is what LangGraph 1.2.22 (with langchain-core 1.8.3) gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core", reason="needs the langchain extra (langchain-core)")

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import BaseTool, InjectedToolCallId, tool
from langchain_core.utils.function_calling import convert_to_openai_tool

from streamgraph import END, START, Command, StateGraph
from streamgraph.integrations.langchain import MessagesState
from streamgraph.prebuilt import InjectedState, ToolNode, create_react_agent, tools_condition


class ScriptedChatModel(BaseChatModel):
    """A LangChain chat model that streams scripted replies (text word by word, each tool
    call's arguments in two pieces) and binds tools as LangChain models do."""

    replies: list[AIMessage]
    # pydantic gives each model its own copy of these defaults
    bound: list[Any] = []  # noqa: RUF012
    seen: list[list[BaseMessage]] = []  # noqa: RUF012

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.bound.extend(tools)
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        merged: Any = None
        for piece in self._stream(messages):
            merged = piece if merged is None else merged + piece
        return ChatResult(generations=[ChatGeneration(message=merged.message)])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        self.seen.append(list(messages))
        reply = self.replies[len(self.seen) - 1]
        words = str(reply.content).split(" ")
        for i, word in enumerate(words):
            text = word if i == len(words) - 1 else f"{word} "
            yield ChatGenerationChunk(message=AIMessageChunk(content=text))
        for index, call in enumerate(reply.tool_calls):
            args = json.dumps(call["args"])
            half = len(args) // 2
            first = tool_call_chunk(name=call["name"], args=args[:half], id=call["id"], index=index)
            rest = tool_call_chunk(args=args[half:], index=index)
            for piece in (first, rest):
                yield ChatGenerationChunk(
                    message=AIMessageChunk(content="", tool_call_chunks=[piece])
                )


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: 18C, light rain"


def weather_model() -> ScriptedChatModel:
    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}
    return ScriptedChatModel(
        replies=[AIMessage("", tool_calls=[call]), AIMessage("It is 18C and raining in Paris.")]
    )


def test_react_agent_streams_langchain_classes_on_every_chunk_and_state_message() -> None:
    model = weather_model()
    agent = create_react_agent(
        model, [get_weather], prompt=SystemMessage("You are concise."), name="weather_agent"
    )
    items: list[Any] = []
    states: list[Any] = []
    for mode, payload in agent.stream(
        {"messages": [("user", "Weather in Paris?")]}, stream_mode=["messages", "values"]
    ):
        (items if mode == "messages" else states).append(payload)

    # bind_tools got the LangChain tool itself
    assert model.bound == [get_weather]
    assert all(isinstance(t, BaseTool) for t in model.bound)
    # the prompt is LangChain's SystemMessage, first in what the model saw
    assert [type(m) for m in model.seen[0]] == [SystemMessage, HumanMessage]
    assert model.seen[0][0].content == "You are concise."

    for message, meta in items:
        assert isinstance(message, (AIMessageChunk, ToolMessage)), type(message)
        assert isinstance(meta.get("tags", []), list)  # LangGraph leaves out empty tags
    kinds = [type(m).__name__ for m, _ in items if not isinstance(m, AIMessageChunk)]
    assert kinds == ["ToolMessage"]
    tool_at = next(i for i, (m, _) in enumerate(items) if isinstance(m, ToolMessage))
    calls = [c for m, _ in items[:tool_at] for c in m.tool_call_chunks if c["name"]]
    assert [(c["name"], c["id"]) for c in calls] == [("get_weather", "call_1")]
    answer = "".join(m.content for m, _ in items[tool_at + 1 :])
    assert answer == "It is 18C and raining in Paris."
    tool_message, tool_meta = items[tool_at]
    assert tool_message.content == "Paris: 18C, light rain"
    assert tool_meta["langgraph_node"] == "tools"
    assert tool_meta["ls_integration"] == "langgraph"
    assert {meta["ls_integration"] for _, meta in items[tool_at + 1 :]} == {"langchain_chat_model"}
    assert {meta["langgraph_node"] for _, meta in items[tool_at + 1 :]} == {"agent"}

    for state in states:
        assert all(isinstance(m, BaseMessage) for m in state["messages"])
    final = states[-1]["messages"]
    assert [type(m) for m in final] == [HumanMessage, AIMessage, ToolMessage, AIMessage]
    # the agent's name is on its AI messages, which supervisors and chat UIs route by
    assert [m.name for m in final if isinstance(m, AIMessage)] == ["weather_agent"] * 2
    assert final[-1].content == "It is 18C and raining in Paris."
    assert final[1].tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    ]


async def test_async_prompt_function_and_astream() -> None:
    model = weather_model()

    async def prompt(state: Any) -> list[Any]:
        return [SystemMessage("Answer in one line."), *state["messages"]]

    agent = create_react_agent(model, [get_weather], prompt=prompt)
    items = [
        item
        async for item in agent.astream(
            {"messages": [HumanMessage("Weather in Paris?")]}, stream_mode="messages"
        )
    ]
    assert all(isinstance(m, (AIMessageChunk, ToolMessage)) for m, _ in items)
    assert [[type(m) for m in seen] for seen in model.seen] == [
        [SystemMessage, HumanMessage],
        [SystemMessage, HumanMessage, AIMessage, ToolMessage],
    ]
    assert model.seen[0][0].content == "Answer in one line."
    text = "".join(str(m.content) for m, _ in items if isinstance(m, AIMessageChunk))
    assert text == "It is 18C and raining in Paris."


# -- LangChain tools in a ToolNode of one's own graph -----------------------------------------
class Handoff(MessagesState):
    active: str


@tool
def transfer_to_billing(tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
    """Hand the conversation to the billing agent."""
    done = ToolMessage("Transferred to billing", tool_call_id=tool_call_id)
    return Command(goto="billing", update={"messages": [done], "active": "billing"})


def ask(*calls: dict[str, Any]) -> Any:
    """A node that asks for ``calls`` (each ``{"name", "args"}``), as a model would."""
    tool_calls = [{**c, "id": f"call_{i}"} for i, c in enumerate(calls)]

    def node(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage("", tool_calls=tool_calls)]}

    return node


def test_a_hand_off_tool_returning_a_command_is_applied() -> None:
    def billing(state: Handoff) -> dict[str, Any]:
        return {"messages": [AIMessage(f"billing here, after {state['active']}")]}

    builder = StateGraph(Handoff)
    builder.add_node("front", ask({"name": "transfer_to_billing", "args": {}}))
    builder.add_node("tools", ToolNode([transfer_to_billing]))
    builder.add_node("billing", billing)
    builder.add_edge(START, "front")
    builder.add_edge("front", "tools")
    builder.add_edge("billing", END)
    result = builder.compile().invoke({"messages": [("user", "I was charged twice")]})
    assert result["active"] == "billing"
    assert [type(m) for m in result["messages"]] == [
        HumanMessage,
        AIMessage,
        ToolMessage,
        AIMessage,
    ]
    assert result["messages"][2].content == "Transferred to billing"
    assert result["messages"][2].tool_call_id == "call_0"
    assert result["messages"][3].content == "billing here, after billing"


@tool
def give_dict() -> dict[str, Any]:
    """A dict."""
    return {"a": 1, "é": "ü"}


@tool
def give_list() -> list[int]:
    """A list."""
    return [1, 2]


@tool
def give_dicts() -> list[dict[str, int]]:
    """A list of dicts that are no content blocks."""
    return [{"a": 1}]


@tool
def give_int() -> int:
    """An int."""
    return 3


@tool
def give_none() -> None:
    """Nothing."""


def test_non_string_results_are_json_serialised() -> None:
    names = ["give_dict", "give_list", "give_dicts", "give_int", "give_none"]
    builder = StateGraph(MessagesState)
    builder.add_node("front", ask(*({"name": n, "args": {}} for n in names)))
    builder.add_node("tools", ToolNode([give_dict, give_list, give_dicts, give_int, give_none]))
    builder.add_edge(START, "front")
    builder.add_edge("front", "tools")
    result = builder.compile().invoke({"messages": [("user", "go")]})
    answers = result["messages"][2:]
    assert all(isinstance(m, ToolMessage) for m in answers)
    assert [m.content for m in answers] == [
        '{"a": 1, "é": "ü"}',
        "[1, 2]",
        '[{"a": 1}]',
        "3",
        "null",
    ]
    assert {m.status for m in answers} == {"success"}


@tool
def count_then(x: int, messages: Annotated[list[Any], InjectedState("messages")]) -> str:
    """Report x and how long the conversation is."""
    return f"{x}:{len(messages)}"


def tools_graph(*calls: dict[str, Any]) -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("front", ask(*calls))
    builder.add_node("tools", ToolNode([count_then]))
    builder.add_edge(START, "front")
    builder.add_conditional_edges("front", tools_condition)
    return builder.compile()


def test_injected_state_is_filled_and_hidden_from_the_model() -> None:
    result = tools_graph({"name": "count_then", "args": {"x": 5}}).invoke(
        {"messages": [("user", "go")]}
    )
    assert result["messages"][-1].content == "5:2"
    assert result["messages"][-1].status == "success"
    model = weather_model()
    create_react_agent(model, [count_then])
    [spec] = [convert_to_openai_tool(t) for t in model.bound]
    assert list(spec["function"]["parameters"]["properties"]) == ["x"]


@pytest.mark.parametrize("args", [{"x": "zz"}, {}], ids=["wrong-type", "missing"])
def test_an_argument_error_names_only_the_models_arguments(args: dict[str, Any]) -> None:
    result = tools_graph({"name": "count_then", "args": args}).invoke(
        {"messages": [("user", "go")]}
    )
    answer = result["messages"][-1]
    assert isinstance(answer, ToolMessage)
    assert answer.status == "error"
    assert "x" in answer.content
    assert "messages" not in answer.content  # the injected argument is not the model's to fix


def test_injected_state_messages_is_filled_from_a_bare_list_of_messages() -> None:
    node = ToolNode([count_then])

    def run_tools(state: MessagesState) -> dict[str, Any]:
        return {"messages": node.invoke(state["messages"])}

    builder = StateGraph(MessagesState)
    builder.add_node("front", ask({"name": "count_then", "args": {"x": 7}}))
    builder.add_node("run_tools", run_tools)
    builder.add_edge(START, "front")
    builder.add_edge("front", "run_tools")
    result = builder.compile().invoke({"messages": [("user", "go")]})
    assert isinstance(result["messages"][-1], ToolMessage)
    assert result["messages"][-1].content == "7:2"
