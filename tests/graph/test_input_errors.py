"""Bad input to runs and to the builder: typed errors that say what was wrong and what to do.

Each case here was once a bare ``TypeError``/``KeyError``/``AttributeError`` from inside the
library, or was accepted and went wrong later.
"""

from __future__ import annotations

import dataclasses
import operator
from types import MappingProxyType
from typing import Annotated, Any

import pydantic
import pytest
from typing_extensions import TypedDict

from streamgraph import END, START, MessagesState, StateGraph, get_config
from streamgraph.errors import (
    ConfigurationError,
    GraphSetupError,
    InvalidConfigError,
    InvalidNodeNameError,
    InvalidUpdateError,
    MessageCoercionError,
    ReducerError,
    StateValidationError,
    StreamGraphError,
)
from streamgraph.graph.compiled import CompiledStateGraph
from streamgraph.messages import AIMessage, RemoveMessage
from streamgraph.models import FakeChatModel


class State(TypedDict):
    x: int
    items: Annotated[list[Any], operator.add]


def bump(state: State) -> dict[str, Any]:
    return {"x": state.get("x", 0) + 1}


def one_node(fn: Any = bump, schema: Any = State) -> CompiledStateGraph:
    return StateGraph(schema).add_node("a", fn).add_edge(START, "a").compile()


# -- config -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "needles"),
    [
        (5, ["config must be a dict such as {'tags': ['t']", "got int 5"]),
        ({"tags": 5}, ["config['tags'] must be a list of str", "int 5"]),
        ({"tags": "abc"}, ["str 'abc'", "{'tags': ['abc']}"]),
        ({"tags": [{}]}, ["must hold only str", "dict {}", "config['metadata']"]),
        ({"metadata": ("x",)}, ["config['metadata'] must be a dict", "tuple ('x',)"]),
        ({"configurable": True}, ["config['configurable'] must be a dict", "bool True"]),
        ({"max_concurrency": True}, ["'max_concurrency'] must be a positive int", "bool True"]),
        ({"recursion_limit": 0}, ["'recursion_limit'] must be a positive int", "int 0"]),
    ],
    ids=["not-a-dict", "tags-int", "tags-str", "tags-dict-item", "metadata", "configurable",
         "max-concurrency-bool", "recursion-limit"],
)  # fmt: skip
@pytest.mark.parametrize("door", ["invoke", "stream", "ainvoke", "astream"])
async def test_bad_config_is_refused_at_the_door(
    config: Any, needles: list[str], door: str
) -> None:
    ran: list[bool] = []

    def node(state: State) -> dict[str, Any]:
        ran.append(True)
        return {}

    graph = one_node(node)
    with pytest.raises(InvalidConfigError) as info:
        if door == "invoke":
            graph.invoke({"x": 0}, config)
        elif door == "stream":
            list(graph.stream({"x": 0}, config))
        elif door == "ainvoke":
            await graph.ainvoke({"x": 0}, config)
        else:
            [item async for item in graph.astream({"x": 0}, config)]
    error = info.value
    assert isinstance(error, ConfigurationError) and isinstance(error, StreamGraphError)
    assert isinstance(error, TypeError) and isinstance(error, ValueError)
    for needle in needles:
        assert needle in str(error)
    assert ran == []  # refused before any node ran


def test_a_model_called_with_a_bad_config_gets_the_typed_error_too() -> None:
    model = FakeChatModel(responses=["hi"])
    with pytest.raises(InvalidConfigError, match="must hold only str"):
        model.invoke("hello", {"tags": [{}]})  # type: ignore[arg-type]


def test_what_langgraph_accepts_in_a_config_still_runs() -> None:
    seen: list[Any] = []

    def node(state: State) -> dict[str, Any]:
        config = get_config()
        configurable = dict(config["configurable"])
        assert configurable.pop("checkpoint_ns").startswith("a:")  # the node's, as LangGraph
        seen.append((config["tags"], config["metadata"]["user"], configurable))
        return {}

    graph = one_node(node)
    configs: list[Any] = [
        {"tags": ("a", "b"), "metadata": {"user": "u"}, "configurable": {"thread_id": "1"}},
        MappingProxyType(
            {
                "tags": ["a", "b"],
                "metadata": MappingProxyType({"user": "u"}),
                "configurable": MappingProxyType({"thread_id": "1"}),
            }
        ),
        {"tags": ["a", "b"], "metadata": {"user": "u"}, "configurable": {"thread_id": "1"},
         "max_concurrency": None, "recursion_limit": 5, "unknown_key": object()},
    ]  # fmt: skip
    for config in configs:
        graph.invoke({"x": 0}, config)
    assert seen == [(["a", "b"], "u", {"thread_id": "1"})] * 3


# -- building -----------------------------------------------------------------------------


def test_add_edge_with_a_start_that_is_not_a_name() -> None:
    builder = StateGraph(State).add_node("a", bump)
    with pytest.raises(InvalidNodeNameError) as info:
        builder.add_edge(1, "a")  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError) and isinstance(info.value, GraphSetupError)
    assert "the start of an edge must be a node name (str)" in str(info.value)
    assert "int 1" in str(info.value)


def test_set_finish_point_with_a_number() -> None:
    with pytest.raises(InvalidNodeNameError, match=r"set_finish_point\(\)'s node must be a node"):
        StateGraph(State).set_finish_point(1)  # type: ignore[arg-type]


def test_add_edge_to_a_list_says_to_add_one_edge_per_target() -> None:
    builder = StateGraph(State).add_node("a", bump)
    with pytest.raises(InvalidNodeNameError) as info:
        builder.add_edge(START, ["a"])  # type: ignore[arg-type]
    assert "the end of an edge must be a node name" in str(info.value)
    assert "call add_edge once for each" in str(info.value)


def test_a_path_map_value_that_is_a_list() -> None:
    builder = StateGraph(State).add_node("a", bump).add_edge(START, "a")
    with pytest.raises(InvalidNodeNameError) as info:
        builder.add_conditional_edges("a", lambda s: "x", {"x": ["a"]})  # type: ignore[dict-item]
    message = str(info.value)
    assert "maps 'x' to list ['a']" in message
    assert "return a list of names" in message


def test_a_path_map_that_is_a_lone_name() -> None:
    builder = StateGraph(State).add_node("a", bump).add_edge(START, "a")
    with pytest.raises(InvalidNodeNameError, match=r"write \['a'\] for one node"):
        builder.add_conditional_edges("a", lambda s: "a", "a")


def test_a_node_named_with_the_empty_string() -> None:
    with pytest.raises(InvalidNodeNameError, match="may not be empty"):
        StateGraph(State).add_node("", bump)


def test_a_node_name_that_is_not_a_str_with_a_callable() -> None:
    with pytest.raises(InvalidNodeNameError, match="a node name must be a str, got int 5"):
        StateGraph(State).add_node(5, bump)


def test_node_tags_given_as_one_str_are_not_split_into_letters() -> None:
    with pytest.raises(InvalidNodeNameError, match=r"write \['abc'\] for one tag"):
        StateGraph(State).add_node("a", bump, tags="abc")


def test_node_metadata_that_is_not_a_mapping() -> None:
    with pytest.raises(GraphSetupError, match="the metadata of node 'a' must be a dict"):
        StateGraph(State).add_node("a", bump, metadata=("x",))  # type: ignore[arg-type]


def test_a_conditional_edge_returning_none_is_an_error_not_the_end() -> None:
    builder = StateGraph(State).add_node("a", bump).add_node("b", bump).add_edge(START, "a")
    builder.add_conditional_edges("a", lambda s: None)
    with pytest.raises(InvalidUpdateError) as info:
        builder.compile().invoke({"x": 0})
    message = str(info.value)
    assert "the conditional edge from 'a' returned None" in message
    assert "END to finish" in message


def test_none_is_a_destination_when_the_path_map_maps_it() -> None:
    builder = StateGraph(State).add_node("a", bump).add_edge(START, "a")
    builder.add_conditional_edges("a", lambda s: None, {None: END})
    assert builder.compile().invoke({"x": 0}) == {"x": 1, "items": []}


def test_a_conditional_edge_returning_an_unhashable_value_with_a_path_map() -> None:
    builder = StateGraph(State).add_node("a", bump).add_edge(START, "a")
    builder.add_conditional_edges("a", lambda s: {"no": 1}, {"x": END})
    with pytest.raises(InvalidUpdateError, match="not in its path map"):
        builder.compile().invoke({"x": 0})


# -- state --------------------------------------------------------------------------------


def test_input_keys_that_cannot_be_sorted_are_named_in_the_error() -> None:
    with pytest.raises(InvalidUpdateError) as info:
        one_node().invoke({None: 1, 2.0: 2})
    assert "unknown state key(s) [2.0, None]" in str(info.value)


def test_a_reducer_failure_names_the_key_the_node_and_keeps_the_cause() -> None:
    graph = one_node(lambda s: {"items": 5})
    with pytest.raises(ReducerError) as info:
        graph.invoke({"x": 0, "items": [1]})
    error = info.value
    assert isinstance(error, TypeError) and isinstance(error, InvalidUpdateError)
    assert (error.key, error.node) == ("items", "node 'a'")
    assert isinstance(error.__cause__, TypeError)
    message = str(error)
    assert "state key 'items'" in message and "written by node 'a'" in message
    assert "int 5" in message and "can only concatenate list" in message


def test_a_reducer_failure_in_a_parallel_step_names_the_node_whose_write_failed() -> None:
    def good(state: State) -> dict[str, Any]:
        return {"items": ["ok"]}

    def bad(state: State) -> dict[str, Any]:
        return {"items": 7}

    builder = StateGraph(State).add_node("good", good).add_node("bad", bad)
    graph = builder.add_edge(START, "good").add_edge(START, "bad").compile()
    with pytest.raises(ReducerError) as info:
        graph.invoke({"x": 0})
    assert info.value.node == "node 'bad'"


def test_a_reducer_failure_on_the_input_names_the_input() -> None:
    with pytest.raises(ReducerError, match="written by the graph input") as info:
        one_node().invoke({"x": 0, "items": 3})
    assert info.value.node == "the graph input"


def test_a_typed_error_from_add_messages_keeps_its_class_and_says_where() -> None:
    graph = one_node(lambda s: {"messages": [RemoveMessage(id="ghost")]}, MessagesState)
    for door in ("invoke", "messages"):
        with pytest.raises(MessageCoercionError) as info:
            if door == "invoke":
                graph.invoke({"messages": [("user", "hi")]})
            else:
                list(graph.stream({"messages": [("user", "hi")]}, stream_mode="messages"))
        message = str(info.value)
        assert "state key 'messages', written by node 'a'" in message
        assert "'ghost'" in message


def test_a_bad_message_written_by_a_node_says_which_key_and_node_in_every_mode() -> None:
    graph = one_node(lambda s: {"messages": [42]}, MessagesState)
    for mode in ("values", "messages", "updates"):
        with pytest.raises(MessageCoercionError) as info:
            list(graph.stream({"messages": []}, stream_mode=mode))
        assert "state key 'messages', written by node 'a'" in str(info.value)


class Model(pydantic.BaseModel):
    x: int
    label: str = ""


def test_a_pydantic_validation_error_names_the_key_the_node_and_the_writer() -> None:
    builder = StateGraph(Model).add_node("a", lambda s: {"x": "not a number"})
    builder.add_node("b", lambda s: {"label": "done"}).add_edge(START, "a").add_edge("a", "b")
    with pytest.raises(StateValidationError) as info:
        builder.compile().invoke({"x": 1})
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, InvalidUpdateError)
    assert error.keys == ("x",) and error.node == "node 'b'"
    assert error.writers == {"x": "node 'a'"}
    assert isinstance(error.__cause__, pydantic.ValidationError)
    message = str(error)
    assert "state key(s) 'x'" in message and "the input of node 'b'" in message
    assert "last written by node 'a'" in message


def test_a_pydantic_validation_error_from_the_input_says_to_fix_the_input() -> None:
    graph = one_node(lambda s: {}, Model)
    with pytest.raises(StateValidationError) as info:
        graph.invoke({"x": "nope"})
    assert "last written by the graph input" in str(info.value)
    assert "pass a value of the declared type in the input" in str(info.value)


@dataclasses.dataclass
class Record:
    x: int
    label: str = ""


def test_a_dataclass_state_missing_a_required_field_says_which() -> None:
    with pytest.raises(StateValidationError) as info:
        one_node(lambda s: {}, Record).invoke({"label": "l"})
    assert info.value.keys == ("x",)
    assert "'x' never written" in str(info.value)
    assert isinstance(info.value, TypeError)  # what constructing the dataclass raised


def test_whole_messages_returned_by_a_node_still_flow() -> None:
    graph = one_node(lambda s: {"messages": [AIMessage("hello", id="m1")]}, MessagesState)
    out = graph.invoke({"messages": [("user", "hi")]})
    assert [m.text for m in out["messages"]] == ["hi", "hello"]
