from __future__ import annotations

import doctest
import importlib
import json
import timeit
from typing import Annotated, Any

import pydantic
import pytest

import streamgraph.messages as messages
from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    HumanMessage,
    ToolMessage,
    add_messages,
)

MODULES = [
    "ai",
    "base",
    "convert",
    "json",
    "kinds",
    "langchain",
    "merge",
    "partial_json",
    "reducer",
    "tool_calls",
]


def test_all_is_sorted_and_complete() -> None:
    exported = messages.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))
    public = {
        name
        for module in MODULES
        for name in importlib.import_module(f"streamgraph.messages.{module}").__all__
    }
    assert set(exported) == public
    for name in exported:
        assert getattr(messages, name) is not None


@pytest.mark.parametrize("module", MODULES)
def test_module_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"streamgraph.messages.{module}"))
    assert result.failed == 0
    assert result.attempted > 0


@pytest.mark.parametrize("module", [*MODULES, "__init__"])
def test_modules_stay_small(module: str) -> None:
    path = messages.__file__.replace("__init__.py", f"{module}.py")
    with open(path, encoding="utf-8") as source:
        assert sum(1 for _ in source) < 400


def test_chunk_construction_is_cheap() -> None:
    number = 20_000
    seconds = min(
        timeit.repeat(lambda: AIMessageChunk(content="tok", id="run-1"), number=number, repeat=5)
    )
    assert seconds / number < 5e-6  # about 0.5 µs here; generous for slow CI machines


class State(pydantic.BaseModel):
    messages: Annotated[list[AnyMessage], add_messages]
    last: AIMessage | None = None


def test_pydantic_models_validate_and_serialize_messages() -> None:
    human = HumanMessage("hi", id="1")
    state = State(
        messages=[human, ("ai", "hello"), {"role": "tool", "content": "4", "tool_call_id": "c"}],  # type: ignore[list-item]
        last={"type": "ai", "content": "x"},  # type: ignore[arg-type]
    )
    assert state.messages[0] is human
    assert [type(m) for m in state.messages] == [HumanMessage, AIMessage, ToolMessage]
    assert state.last == AIMessage("x")
    dumped: Any = json.loads(state.model_dump_json())
    assert dumped["messages"][0]["type"] == "human"
    assert dumped["last"]["content"] == "x"
    assert state.model_dump()["messages"][0] is human
    with pytest.raises(pydantic.ValidationError):
        State(messages=[], last=HumanMessage("not ai"))  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError):
        State(messages=[42])  # type: ignore[list-item]
