"""Graph semantics as LangGraph 1.2.22 has them.

Each expected value below is what the same small program gives on LangGraph 1.2.22 (run
once in a separate environment with only langgraph installed); where we keep a deliberate
difference, the test says so and the README lists it under "Where we differ".
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import operator
from typing import Annotated, Any

import pydantic
import pytest

from streamgraph import END, START, Command, RunnableConfig, Send, StateGraph
from streamgraph._compat import TypedDict
from streamgraph.errors import ConfigurationError, InvalidUpdateError
from streamgraph.runtime import Runtime, get_runtime


class Items(TypedDict):
    items: Annotated[list[Any], operator.add]


def _write(value: Any) -> Any:
    return lambda state: {"items": [value]}


# -- edges, Commands and the order of a step's writes -----------------------------------
def test_a_join_may_end_at_end() -> None:
    builder = StateGraph(Items).add_node("a", _write("a")).add_node("b", _write("b"))
    builder.add_edge(START, "a").add_edge(START, "b").add_edge(["a", "b"], END)
    assert builder.compile().invoke({"items": []}) == {"items": ["a", "b"]}


def _returns(result: Any) -> StateGraph[Any]:
    builder = StateGraph(Items).add_node("a", lambda s: result).add_node("b", _write("b"))
    return builder.add_edge(START, "a")


def test_a_list_of_commands_and_updates_is_applied_in_order() -> None:
    result = [
        Command(update={"items": ["c1"]}),
        {"items": ["u"]},
        Command(update={"items": ["c2"]}, goto="b"),
    ]
    assert _returns(result).compile().invoke({"items": []}) == {"items": ["c1", "u", "c2", "b"]}


def test_updates_mode_shows_each_part_of_a_list() -> None:
    graph = _returns([Command(update={"items": ["c1"]}), {"items": ["u"]}]).compile()
    assert list(graph.stream({"items": []})) == [{"a": [{"items": ["c1"]}, {"items": ["u"]}]}]
    graph = _returns([Command(update={"items": ["c1"]}), Command(goto="b")]).compile()
    assert graph.invoke({"items": []}) == {"items": ["c1", "b"]}
    assert list(graph.stream({"items": []})) == [{"a": {"items": ["c1"]}}, {"b": {"items": ["b"]}}]


def test_a_tuple_of_commands_is_applied_too() -> None:
    graph = _returns((Command(update={"items": ["t"]}),)).compile()
    assert graph.invoke({"items": []}) == {"items": ["t"]}


@pytest.mark.parametrize("result", [[{"items": ["x"]}], [], [("items", ["t"])]])
def test_a_list_without_a_command_is_rejected(result: Any) -> None:
    with pytest.raises(InvalidUpdateError):
        _returns(result).compile().invoke({"items": []})


def test_a_step_applies_its_writes_by_node_name() -> None:
    builder = StateGraph(Items)
    for name in ["zeta", "alpha", "mid"]:
        builder.add_node(name, _write(name)).add_edge(START, name)
    assert builder.compile().invoke({"items": []}) == {"items": ["alpha", "mid", "zeta"]}


def test_sends_are_applied_after_pulled_nodes_in_the_order_made() -> None:
    builder = StateGraph(Items).add_node("fan", lambda s: {})
    builder.add_node("w", lambda x: {"items": [x]}).add_node("alpha", _write("alpha"))
    builder.add_edge(START, "fan")
    builder.add_conditional_edges("fan", lambda s: [Send("w", 2), "alpha", Send("w", 1)])
    assert builder.compile().invoke({"items": []}) == {"items": ["alpha", 2, 1]}


def test_an_empty_update_shows_as_none() -> None:
    builder = StateGraph(Items).add_node("a", _write(1))
    builder.add_node("b", lambda s: {}).add_node("c", lambda s: None)
    builder.add_edge(START, "a").add_edge("a", "b").add_edge("b", "c")
    updates = list(builder.compile().stream({"items": []}))
    assert updates == [{"a": {"items": [1]}}, {"b": None}, {"c": None}]
    graph = _returns(Command(goto="b")).compile()
    assert list(graph.stream({"items": []})) == [{"a": None}, {"b": {"items": ["b"]}}]


def test_a_node_reached_only_by_a_command_compiles() -> None:
    def hop() -> Command[Any]:
        return Command(goto="b")

    builder = StateGraph(Items).add_node("a", lambda s: hop()).add_node("b", _write("b"))
    builder.add_edge(START, "a")
    assert builder.compile().invoke({"items": []}) == {"items": ["b"]}


# -- schemas: what reaches a node, what comes out -----------------------------------------
class Question(TypedDict):
    question: str
    answer: str
    seen: list[Any]


class Asked(TypedDict):
    question: str


def test_graph_input_keys_outside_the_input_schema_do_not_reach_nodes() -> None:
    builder = StateGraph(Question, input_schema=Asked)
    builder.add_node("n", lambda s: {"seen": sorted(s)}).add_edge(START, "n")
    graph = builder.compile()
    given = {"question": "q", "answer": "given"}
    assert graph.invoke(given) == {"question": "q", "seen": ["question"]}
    assert list(graph.stream(given, stream_mode="values")) == [
        {"question": "q"},
        {"question": "q", "seen": ["question"]},
    ]


def test_a_node_gets_only_the_keys_of_its_annotated_schema() -> None:
    class Wide(TypedDict):
        question: str
        extra: str

    def node(state: Asked) -> dict[str, Any]:
        return {"seen": sorted(state)}

    builder = StateGraph(Question, input_schema=Wide).add_node("n", node).add_edge(START, "n")
    assert builder.compile().invoke({"question": "q", "extra": "e"}) == {
        "question": "q",
        "seen": ["question"],
    }


def test_a_conditional_edge_gets_only_the_keys_of_its_annotated_schema() -> None:
    got: list[list[str]] = []

    def route(state: Asked) -> str:
        got.append(sorted(state))
        return "x"

    builder = StateGraph(Question).add_node("start", lambda s: {"seen": ["s"]})
    builder.add_node("x", lambda s: {}).add_edge(START, "start")
    builder.add_conditional_edges("start", route, ["x"])
    builder.compile().invoke({"question": "q"})
    assert got == [["question"]]


class Routing(TypedDict):
    route: str


class Private(TypedDict):
    question: str
    secret: str


def test_a_conditional_edges_schema_adds_its_keys_to_the_state() -> None:
    def route(state: Routing) -> str:
        return state["route"]

    builder = StateGraph(Question).add_node("a", lambda s: {"route": "y"})
    builder.add_node("x", lambda s: {"seen": ["x"]}).add_node("y", lambda s: {"seen": ["y"]})
    builder.add_edge(START, "a").add_conditional_edges("a", route, ["x", "y"])
    assert builder.compile().invoke({"question": "q"}) == {"question": "q", "seen": ["y"]}


def test_values_mode_is_not_filtered_by_the_output_schema() -> None:
    class Full(TypedDict):
        a: int
        b: int

    class Out(TypedDict):
        a: int

    builder = StateGraph(Full, output_schema=Out).add_node("n", lambda s: {"b": 5})
    graph = builder.add_edge(START, "n").compile()
    assert graph.invoke({"a": 1}) == {"a": 1}
    assert list(graph.stream({"a": 1}, stream_mode="values")) == [{"a": 1}, {"a": 1, "b": 5}]


def test_values_mode_shows_node_private_keys() -> None:
    class Out(TypedDict):
        answer: str

    def a(state: Asked) -> Any:
        return {"secret": "s", "question": state["question"]}

    def b(state: Private) -> dict[str, Any]:
        return {"answer": state["secret"] + state["question"], "seen": sorted(state)}

    builder = StateGraph(Question, input_schema=Asked, output_schema=Out)
    builder.add_node("a", a).add_node("b", b).add_edge(START, "a").add_edge("a", "b")
    graph = builder.compile()
    assert graph.invoke({"question": "q"}) == {"answer": "sq"}
    assert list(graph.stream({"question": "q"}, stream_mode="values")) == [
        {"question": "q"},
        {"question": "q", "secret": "s"},
        {"question": "q", "answer": "sq", "seen": ["question", "secret"], "secret": "s"},
    ]


# -- pydantic and dataclass states ---------------------------------------------------------
class Model(pydantic.BaseModel):
    x: int = 0
    note: str | None = None
    other: str | None = "d"
    items: Annotated[list[Any], operator.add] = []
    nested: dict[str, Any] = {}


def _one(schema: Any, fn: Any) -> Any:
    return StateGraph(schema).add_node("n", fn).add_edge(START, "n").compile()


def test_a_pydantic_state_gives_dicts_from_invoke_and_values() -> None:
    graph = _one(Model, lambda s: {"x": s.x + 1})
    result = graph.invoke({"x": 1})
    assert type(result) is dict and result == {"x": 2, "items": []}
    values = list(graph.stream({"x": 1}, stream_mode="values"))
    assert values == [{"x": 1, "items": []}, {"x": 2, "items": []}]
    assert all(type(v) is dict for v in values)


def test_a_dataclass_state_gives_a_dict_from_invoke() -> None:
    @dataclasses.dataclass
    class Data:
        x: int = 0

    assert _one(Data, lambda s: {"x": s.x + 1}).invoke({"x": 1}) == {"x": 2}


def test_a_returned_pydantic_state_keeps_in_place_changes() -> None:
    def mutate(state: Model) -> Model:
        state.nested["k"] = "v"
        return state

    assert _one(Model, mutate).invoke({"x": 1})["nested"] == {"k": "v"}

    def mutate_more(state: Model) -> Model:
        state.nested["k"] = "v"
        state.x = 9
        return state

    result = _one(Model, mutate_more).invoke({"x": 1, "nested": {"a": 1}})
    assert (result["x"], result["nested"]) == (9, {"a": 1, "k": "v"})


def test_a_returned_pydantic_model_writes_all_but_untouched_none_fields() -> None:
    graph = _one(Model, lambda s: Model(x=5))
    assert list(graph.stream({"x": 1, "note": "n", "items": ["a"]})) == [
        {"n": {"x": 5, "other": "d", "items": [], "nested": {}}}
    ]

    def clear(state: Model) -> Model:
        state.note = None
        return state

    result = _one(Model, clear).invoke({"x": 1, "note": "n"})
    assert result["note"] is None


# -- state schemas LangGraph accepts --------------------------------------------------------
def test_a_root_channel_state() -> None:
    builder: StateGraph[Any] = StateGraph(Annotated[list[Any], operator.add])  # type: ignore[arg-type]
    builder.add_node("a", lambda s: ["a", len(s)]).add_node("b", lambda s: ["b"])
    graph = builder.add_edge(START, "a").add_edge("a", "b").compile()
    assert graph.invoke(["in"]) == ["in", "a", 1, "b"]
    assert list(graph.stream(["in"])) == [{"a": ["a", 1]}, {"b": ["b"]}]
    assert list(graph.stream(["in"], stream_mode="values")) == [
        ["in"],
        ["in", "a", 1],
        ["in", "a", 1, "b"],
    ]


def test_a_root_value_without_a_reducer() -> None:
    assert _one(int, lambda s: s + 1).invoke(1) == 2
    assert _one(Annotated[list[Any], operator.add], lambda s: None).invoke(["x"]) == ["x"]


def test_a_plain_annotated_class_is_a_state_of_keys() -> None:
    class Plain:
        a: int
        items: Annotated[list[Any], operator.add]

    graph = _one(Plain, lambda s: {"a": s["a"] + 1, "items": [type(s).__name__]})
    assert graph.invoke({"a": 1}) == {"a": 2, "items": ["dict"]}
    assert list(graph.stream({"a": 1}, stream_mode="values")) == [
        {"a": 1, "items": []},
        {"a": 2, "items": ["dict"]},
    ]


# -- context and Runtime -------------------------------------------------------------------
@dataclasses.dataclass
class Ctx:
    user: str
    n: int = 1


class ModelCtx(pydantic.BaseModel):
    user: str
    n: int = 1


class Out(TypedDict):
    out: Any


def _context_graph(schema: Any) -> Any:
    def node(state: Out, runtime: Runtime[Any]) -> dict[str, Any]:
        return {"out": runtime.context}

    builder = StateGraph(Out, context_schema=schema).add_node("n", node)
    return builder.add_edge(START, "n").compile()


def test_a_dict_context_becomes_the_dataclass_context_schema() -> None:
    got = _context_graph(Ctx).invoke({"out": None}, context={"user": "u"})["out"]
    assert type(got) is Ctx and got == Ctx(user="u", n=1)


async def test_a_dict_context_is_validated_into_the_pydantic_context_schema() -> None:
    result = await _context_graph(ModelCtx).ainvoke({"out": None}, context={"user": "u", "n": "3"})
    assert type(result["out"]) is ModelCtx and result["out"] == ModelCtx(user="u", n=3)


def test_a_context_instance_or_a_dict_schema_is_passed_as_given() -> None:
    assert _context_graph(Ctx).invoke({"out": None}, context=Ctx(user="i")) == {
        "out": Ctx(user="i", n=1)
    }
    assert _context_graph(dict).invoke({"out": None}, context={"user": "u"}) == {
        "out": {"user": "u"}
    }


@pytest.mark.parametrize(
    ("schema", "context", "reason"),
    [(ModelCtx, {"n": "x"}, "validation error"), (Ctx, {"nope": 1}, "unexpected keyword")],
)
def test_a_context_that_does_not_fit_its_schema_is_a_configuration_error(
    schema: Any, context: Any, reason: str
) -> None:
    # ours: LangGraph lets pydantic's ValidationError or the dataclass's TypeError through
    with pytest.raises(ConfigurationError, match=reason) as info:
        _context_graph(schema).invoke({"out": None}, context=context)
    assert schema.__name__ in str(info.value)
    assert isinstance(info.value, ValueError)


def test_get_runtime_takes_the_context_schema() -> None:
    def node(state: Out) -> dict[str, Any]:
        return {"out": get_runtime(Ctx).context.user}

    builder = StateGraph(Out, context_schema=Ctx).add_node("n", node).add_edge(START, "n")
    assert builder.compile().invoke({"out": None}, context={"user": "gr"}) == {"out": "gr"}


def test_runtime_is_built_with_defaults_overridden_and_merged() -> None:
    runtime = Runtime(context=Ctx(user="a"))
    assert (runtime.store, runtime.previous) == (None, None)
    runtime.stream_writer("dropped")  # outside a run the writer takes anything
    assert runtime.override(context=Ctx(user="b")).context == Ctx(user="b")
    assert runtime.merge(Runtime(context=Ctx(user="c"))).context == Ctx(user="c")
    assert Runtime().merge(Runtime(context=Ctx(user="d"))).context == Ctx(user="d")
    assert Runtime(context=Ctx(user="e")).merge(Runtime()).context == Ctx(user="e")
    assert runtime.context == Ctx(user="a")  # frozen: each call gave a copy


# -- node config and names -----------------------------------------------------------------
def test_a_nodes_configurable_has_its_checkpoint_ns() -> None:
    def node(state: Out, config: RunnableConfig) -> dict[str, Any]:
        configurable = config["configurable"]
        return {"out": (configurable["checkpoint_ns"].split(":")[0], configurable.get("user"))}

    graph = StateGraph(Out).add_node("n", node).add_edge(START, "n").compile()
    assert graph.invoke({"out": None}) == {"out": ("n", None)}
    assert graph.invoke({"out": None}, {"configurable": {"user": 5}}) == {"out": ("n", 5)}


def test_a_callable_object_is_named_after_its_class() -> None:
    class Callme:
        def __call__(self, state: Out) -> dict[str, Any]:
            return {"out": "called"}

    builder = StateGraph(Out).add_node(Callme()).add_edge(START, "Callme")
    graph = builder.compile()
    assert "Callme" in graph.nodes
    assert graph.invoke({"out": None}) == {"out": "called"}
    partial = functools.partial(lambda s, k: {"out": k}, k=1)
    assert "partial" in StateGraph(Out).add_node(partial).nodes


# -- failures ------------------------------------------------------------------------------
async def test_siblings_failing_together_leave_no_unretrieved_exception() -> None:
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))

    async def one(state: Items) -> dict[str, Any]:
        raise ValueError("one")

    async def two(state: Items) -> dict[str, Any]:
        raise KeyError("two")

    builder = StateGraph(Items).add_node("f1", one).add_node("f2", two)
    graph = builder.add_edge(START, "f1").add_edge(START, "f2").compile()
    try:
        # one of the two reaches the caller (LangGraph 1.2.22 gave either, run to run)
        with pytest.raises((ValueError, KeyError)):
            await graph.ainvoke({"items": []})
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert [c.get("message") for c in reported] == []
