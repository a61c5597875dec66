"""LangGraph programs that keep LangChain messages, ported by changing the graph imports.

Besides pytest and pydantic, this module imports only ``langchain_core`` and streamgraph's
graph API, so it runs on LangGraph with those imports switched back; every expected value is
what LangGraph 1.2.22 (with langchain-core 1.8.3) gives.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core", reason="needs the langchain extra (langchain-core)")

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
)
from pydantic import BaseModel

from streamgraph import START, StateGraph
from streamgraph.integrations.langchain import MessagesState
from streamgraph.messages import add_messages


def test_tuples_and_dicts_become_langchain_classes_in_the_state() -> None:
    def reply(state: MessagesState) -> dict[str, Any]:
        assert all(isinstance(m, BaseMessage) for m in state["messages"])
        return {"messages": [("ai", "hello"), {"role": "assistant", "content": "again"}]}

    graph = StateGraph(MessagesState).add_node("reply", reply).add_edge(START, "reply").compile()
    inputs = {"messages": [("user", "hi"), {"role": "system", "content": "Be brief."}]}
    seen: dict[str, list[Any]] = {"values": []}
    for mode, payload in graph.stream(inputs, stream_mode=["values"]):
        seen[mode].append(payload)
    assert [[type(m) for m in v["messages"]] for v in seen["values"]] == [
        [HumanMessage, SystemMessage],
        [HumanMessage, SystemMessage, AIMessage, AIMessage],
    ]
    result = graph.invoke(inputs)
    assert [type(m) for m in result["messages"]] == [
        HumanMessage,
        SystemMessage,
        AIMessage,
        AIMessage,
    ]
    assert all(m.id for m in result["messages"])


class PydanticState(BaseModel):
    messages: Annotated[list[AnyMessage], add_messages]
    turn: int = 0


def test_a_pydantic_state_typed_with_langchain_messages_validates() -> None:
    def reply(state: PydanticState) -> dict[str, Any]:
        assert [type(m) for m in state.messages] == [HumanMessage]
        return {"messages": [AIMessage("hi back")], "turn": state.turn + 1}

    graph = StateGraph(PydanticState).add_node("reply", reply).add_edge(START, "reply").compile()
    values = list(graph.stream({"messages": [("user", "hi")]}, stream_mode="values"))
    final = values[-1]
    # LangGraph gives a dict here; what `values` gives for a pydantic state is another change's
    read = final if isinstance(final, dict) else final.model_dump(mode="python")
    assert [type(m) for m in final_messages(final)] == [HumanMessage, AIMessage]
    assert read["turn"] == 1


def final_messages(values: Any) -> list[Any]:
    messages: list[Any] = values["messages"] if isinstance(values, dict) else values.messages
    return messages


def test_add_messages_merges_replaces_and_removes_langchain_messages() -> None:
    history = [HumanMessage("a", id="1"), AIMessage("b", id="2"), HumanMessage("c", id="3")]
    update = [AIMessage("b2", id="2"), RemoveMessage(id="1"), HumanMessage("d")]
    merged: Any = add_messages(history, update)
    assert [(type(m), m.content) for m in merged] == [
        (AIMessage, "b2"),
        (HumanMessage, "c"),
        (HumanMessage, "d"),
    ]
    # a chunk is merged as its whole message
    chunked: Any = add_messages([], AIMessageChunk(content="piece", id="9"))
    [whole] = chunked
    assert (type(whole), whole.content, whole.id) == (AIMessage, "piece", "9")
    remove_all = [RemoveMessage(id="__remove_all__"), HumanMessage("z", id="z")]
    cleared: Any = add_messages(history, remove_all)
    assert [(type(m), m.id) for m in cleared] == [(HumanMessage, "z")]


def test_tags_filter_and_langchain_metadata_keys() -> None:
    joke = GenericFakeChatModel(messages=iter([AIMessage("why did")]), tags=["joke"])
    poem = GenericFakeChatModel(messages=iter([AIMessage("roses are")]), tags=["poem"])

    def write(state: MessagesState) -> dict[str, Any]:
        return {"messages": [joke.invoke(state["messages"]), poem.invoke(state["messages"])]}

    graph = StateGraph(MessagesState).add_node("write", write).add_edge(START, "write").compile()
    items = list(graph.stream({"messages": [("user", "go")]}, stream_mode="messages"))
    # the filter LangGraph's docs show
    jokes = "".join(m.content for m, meta in items if meta["tags"] == ["joke"])
    assert jokes == "why did"
    assert all(isinstance(m, AIMessageChunk) for m, _ in items)
    for _, meta in items:
        assert isinstance(meta["tags"], list)
        assert meta["ls_integration"] == "langchain_chat_model"
        assert meta["lc_versions"] == {"langchain-core": version("langchain-core")}
