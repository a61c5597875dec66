"""StateGraph building: setup mistakes raise typed errors that say how to fix them."""

from __future__ import annotations

import dataclasses
import operator
from typing import Annotated, Any, Literal

import pydantic
import pytest
from typing_extensions import TypedDict

from streamgraph import END, START, Command, Send, StateGraph
from streamgraph.errors import (
    ConfigurationError,
    GraphSetupError,
    InvalidUpdateError,
    MissingEntryError,
    UnknownNodeError,
)


class State(TypedDict):
    x: int
    items: Annotated[list[str], operator.add]


def noop(state: State) -> dict[str, Any]:
    return {}


def test_edge_to_unknown_node_names_it_and_the_known_ones() -> None:
    builder = StateGraph(State).add_node("a", noop).add_edge(START, "a").add_edge("a", "b")
    with pytest.raises(UnknownNodeError) as info:
        builder.compile()
    assert isinstance(info.value, ValueError)
    assert "'b'" in str(info.value) and "['a']" in str(info.value)
    assert "add_node('b'" in str(info.value)


def test_path_map_to_unknown_node_is_rejected() -> None:
    builder = StateGraph(State).add_node("a", noop).add_edge(START, "a")
    builder.add_conditional_edges("a", lambda s: "x", {"x": "ghost"})
    with pytest.raises(UnknownNodeError, match="ghost"):
        builder.compile()


def test_missing_entry_says_to_add_an_edge_from_start() -> None:
    with pytest.raises(MissingEntryError, match=r"add_edge\(START, 'a'\)"):
        StateGraph(State).add_node("a", noop).compile()


def test_a_node_no_edge_reaches_compiles_and_never_runs() -> None:
    # LangGraph 1.2.22 compiles it too: a Command from any node could lead there
    builder = StateGraph(State).add_node("a", noop).add_node("orphan", noop)
    builder.add_edge(START, "a").add_edge("a", END)
    assert builder.compile().invoke({"x": 1}) == {"x": 1, "items": []}


def test_reachability_is_not_judged_when_a_branch_may_go_anywhere() -> None:
    builder = StateGraph(State).add_node("a", noop).add_node("b", noop).add_edge(START, "a")
    builder.add_conditional_edges("a", lambda s: "b")
    assert builder.compile().invoke({"x": 1}) == {"x": 1, "items": []}


def test_literal_return_annotation_still_names_known_nodes() -> None:
    def route(state: State) -> Literal["ghost"]:
        return "ghost"

    builder = StateGraph(State).add_node("a", noop).add_edge(START, "a")
    builder.add_conditional_edges("a", route)
    with pytest.raises(UnknownNodeError, match="ghost"):
        builder.compile()


def test_node_that_may_return_command_makes_reachability_dynamic() -> None:
    def hop(state: State) -> Command[Literal["b"]]:
        return Command(goto="b")

    builder = StateGraph(State).add_node("a", hop).add_node("b", noop).add_edge(START, "a")
    assert builder.compile().invoke({"x": 0}) == {"x": 0, "items": []}


@pytest.mark.parametrize("name", [START, END, "a:b", "a|b"])
def test_reserved_node_names_are_rejected(name: str) -> None:
    with pytest.raises(GraphSetupError):
        StateGraph(State).add_node(name, noop)


def test_duplicate_node_names_are_rejected() -> None:
    builder = StateGraph(State).add_node("a", noop)
    with pytest.raises(GraphSetupError, match="already exists"):
        builder.add_node("a", noop)


def test_node_name_is_inferred_from_the_function() -> None:
    builder = StateGraph(State).add_node(noop).add_edge(START, "noop")
    assert list(builder.compile().nodes) == ["noop"]
    with pytest.raises(GraphSetupError, match="cannot infer"):
        StateGraph(State).add_node(lambda s: {})


def test_a_state_that_is_not_a_type_is_rejected() -> None:
    with pytest.raises(GraphSetupError, match="TypedDict"):
        StateGraph("State")  # type: ignore[arg-type]


def test_checkpointer_that_is_not_a_saver_is_refused_with_a_clear_message() -> None:
    builder = StateGraph(State).add_node("a", noop).add_edge(START, "a")
    with pytest.raises(ConfigurationError, match="takes a saver such as InMemorySaver"):
        builder.compile(checkpointer=object())


# -- runtime update errors ---------------------------------------------------------------
def _single(fn: Any) -> Any:
    return StateGraph(State).add_node("a", fn).add_edge(START, "a").compile()


def test_update_to_unknown_key_names_the_node_and_the_keys() -> None:
    with pytest.raises(InvalidUpdateError) as info:
        _single(lambda s: {"y": 1}).invoke({"x": 1})
    text = str(info.value)
    assert "node 'a'" in text and "'y'" in text and "['items', 'x']" in text


def test_non_mapping_return_is_rejected() -> None:
    with pytest.raises(InvalidUpdateError, match="must return a dict"):
        _single(lambda s: 42).invoke({"x": 1})


def test_unknown_input_key_is_rejected_not_dropped() -> None:
    with pytest.raises(InvalidUpdateError, match="the graph input"):
        _single(noop).invoke({"x": 1, "typo": 2})


def test_two_writes_to_a_plain_key_in_one_step_need_a_reducer() -> None:
    builder = StateGraph(State).add_node("a", lambda s: {"x": 1}).add_node("b", lambda s: {"x": 2})
    builder.add_edge(START, "a").add_edge(START, "b")
    with pytest.raises(InvalidUpdateError, match="Annotated"):
        builder.compile().invoke({"x": 0})


def test_reducer_combines_parallel_writes_in_task_order() -> None:
    builder = StateGraph(State)
    builder.add_node("a", lambda s: {"items": ["a"]}).add_node("b", lambda s: {"items": ["b"]})
    builder.add_edge(START, "a").add_edge(START, "b")
    for _ in range(5):
        assert builder.compile().invoke({"x": 0})["items"] == ["a", "b"]


# -- graph features ----------------------------------------------------------------------
def test_join_waits_for_every_source() -> None:
    builder = StateGraph(State)
    builder.add_node("a", lambda s: {"items": ["a"]})
    builder.add_node("b1", lambda s: {"items": ["b1"]})
    builder.add_node("b2", lambda s: {"items": ["b2"]})
    builder.add_node("c", lambda s: {"items": ["c"]})
    builder.add_edge(START, "a").add_edge(START, "b1").add_edge("b1", "b2")
    builder.add_edge(["a", "b2"], "c")
    assert builder.compile().invoke({"x": 0})["items"] == ["a", "b1", "b2", "c"]


def test_send_fans_out_with_its_own_input() -> None:
    class Fan(TypedDict):
        docs: list[str]
        out: Annotated[list[str], operator.add]

    builder = StateGraph(Fan)
    builder.add_node("split", lambda s: {})
    builder.add_node("work", lambda arg: {"out": [arg["doc"].upper()]})
    builder.add_edge(START, "split")
    builder.add_conditional_edges("split", lambda s: [Send("work", {"doc": d}) for d in s["docs"]])
    assert builder.compile().invoke({"docs": ["a", "b", "c"]})["out"] == ["A", "B", "C"]


def test_command_updates_and_routes() -> None:
    def decide(state: State) -> Command[Literal["b", "c"]]:
        return Command(update={"items": ["decided"]}, goto="c")

    builder = StateGraph(State).add_node("a", decide)
    builder.add_node("b", lambda s: {"items": ["b"]}).add_node("c", lambda s: {"items": ["c"]})
    builder.add_edge(START, "a")
    assert builder.compile().invoke({"x": 0})["items"] == ["decided", "c"]


def test_add_sequence_chains_nodes() -> None:
    def one(s: State) -> dict[str, Any]:
        return {"items": ["1"]}

    def two(s: State) -> dict[str, Any]:
        return {"items": ["2"]}

    builder = StateGraph(State).add_sequence([one, ("second", two)]).add_edge(START, "one")
    assert builder.compile().invoke({"x": 0})["items"] == ["1", "2"]


async def test_async_conditional_path_and_path_map() -> None:
    async def route(state: State) -> str:
        return "go" if state["x"] > 0 else "stop"

    builder = StateGraph(State).add_node("a", noop).add_node("b", lambda s: {"items": ["b"]})
    builder.add_edge(START, "a").add_conditional_edges("a", route, {"go": "b", "stop": END})
    graph = builder.compile()
    assert (await graph.ainvoke({"x": 1}))["items"] == ["b"]
    assert (await graph.ainvoke({"x": 0}))["items"] == []


def test_pydantic_and_dataclass_states_give_dicts_from_invoke() -> None:
    # LangGraph 1.2.22: {'x': 2, 'items': []} and {'x': 2}
    class PState(pydantic.BaseModel):
        x: int = 0
        items: Annotated[list[str], operator.add] = []

    @dataclasses.dataclass
    class DState:
        x: int = 0

    p = StateGraph(PState).add_node("a", lambda s: {"x": s.x + 1}).add_edge(START, "a").compile()
    assert p.invoke({"x": 1}) == {"x": 2, "items": []}
    d = StateGraph(DState).add_node("a", lambda s: {"x": s.x + 1}).add_edge(START, "a").compile()
    assert d.invoke({"x": 1}) == {"x": 2}


def test_input_and_output_schemas_shape_the_run() -> None:
    class In(TypedDict):
        question: str

    class Out(TypedDict):
        answer: str

    class Full(In, Out):
        scratch: str

    builder = StateGraph(Full, input_schema=In, output_schema=Out)
    builder.add_node("a", lambda s: {"scratch": "x", "answer": s["question"] + "!"})
    builder.add_edge(START, "a")
    assert builder.compile().invoke({"question": "hi"}) == {"answer": "hi!"}


def test_runtime_context_reaches_nodes() -> None:
    from streamgraph.runtime import Runtime

    @dataclasses.dataclass
    class Ctx:
        user: str

    def node(state: State, runtime: Runtime[Ctx]) -> dict[str, Any]:
        return {"items": [runtime.context.user]}

    builder = StateGraph(State, context_schema=Ctx).add_node("a", node).add_edge(START, "a")
    assert builder.compile().invoke({"x": 0}, context=Ctx(user="ada"))["items"] == ["ada"]


def test_node_receives_config() -> None:
    def node(state: State, config: Any) -> dict[str, Any]:
        return {"items": [config["configurable"]["who"], str(config["metadata"]["langgraph_step"])]}

    graph = _single(node)
    assert graph.invoke({"x": 0}, {"configurable": {"who": "me"}})["items"] == ["me", "1"]


def test_retry_policy_retries_then_succeeds() -> None:
    from streamgraph import RetryPolicy

    attempts: list[int] = []

    def flaky(state: State) -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("transient")
        return {"x": len(attempts)}

    builder = StateGraph(State).add_node(
        "a", flaky, retry_policy=RetryPolicy(initial_interval=0, jitter=False)
    )
    assert builder.add_edge(START, "a").compile().invoke({"x": 0})["x"] == 3


def test_node_config_leaves_the_run_id_to_the_run() -> None:
    seen: list[Any] = []

    def node(state: State, config: Any) -> dict[str, Any]:
        seen.append(config)
        return {}

    run_id = "11111111-1111-4111-8111-111111111111"
    _single(node).invoke({"x": 0}, {"run_id": run_id})
    # passed on to another runnable, the config must not make every call share one id
    assert "run_id" not in seen[0]
    assert seen[0]["metadata"]["run_id"] == run_id


async def test_ainvoke_with_a_stream_mode_keeps_the_context() -> None:
    from streamgraph.runtime import Runtime

    def node(state: State, runtime: Runtime[str]) -> dict[str, Any]:
        return {"items": [runtime.context]}

    graph = _single(node)
    updates = await graph.ainvoke({"x": 0}, stream_mode="updates", context="ctx")
    assert updates == [{"a": {"items": ["ctx"]}}]


@pytest.mark.parametrize("mode", ["values", "updates"])
def test_unknown_invoke_options_are_rejected_in_every_mode(mode: str) -> None:
    with pytest.raises(ConfigurationError, match="unexpected option"):
        _single(noop).invoke({"x": 0}, stream_mode=mode, durabilty="exit")
