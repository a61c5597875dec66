"""LangGraph names streamgraph lacks raise an ImportError that says so, never a bare
AttributeError; every other unknown name still raises AttributeError."""

from __future__ import annotations

import importlib

import pytest

from streamgraph._not_yet import NOT_YET
from streamgraph.errors import NotImplementedYetError, StreamGraphError

CASES = [(module, name) for module, names in NOT_YET.items() for name in names]


@pytest.mark.parametrize(("module", "name"), CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_a_langgraph_name_not_implemented_yet_says_so(module: str, name: str) -> None:
    theirs = module.replace("streamgraph", "langgraph", 1)
    with pytest.raises(NotImplementedYetError, match=rf"{theirs}\.{name} is not implemented"):
        exec(f"from {module} import {name}", {})
    with pytest.raises(ImportError):  # ported `try: ... except ImportError:` fallbacks work
        getattr(importlib.import_module(module), name)
    assert issubclass(NotImplementedYetError, StreamGraphError)


@pytest.mark.parametrize("module", sorted(NOT_YET))
def test_other_unknown_names_are_attribute_errors(module: str) -> None:
    mod = importlib.import_module(module)
    with pytest.raises(AttributeError, match="no_such_name"):
        mod.no_such_name  # noqa: B018
    assert not hasattr(mod, "__no_such_dunder__")
    with pytest.raises(ImportError, match="cannot import name"):
        exec(f"from {module} import no_such_name", {})


def test_every_name_listed_is_missing_here() -> None:
    for module, names in NOT_YET.items():
        mod = importlib.import_module(module)
        for name in names:
            assert name not in vars(mod), f"{module}.{name} exists: drop it from NOT_YET"
