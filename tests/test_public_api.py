"""The public API: every import of the contract's map works, and each __all__ is complete."""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import TypeVar

import pytest

PUBLIC_MODULES = [
    "streamgraph",
    "streamgraph.config",
    "streamgraph.errors",
    "streamgraph.graph",
    "streamgraph.graph.message",
    "streamgraph.messages",
    "streamgraph.models",
    "streamgraph.prebuilt",
    "streamgraph.runtime",
    "streamgraph.tools",
    "streamgraph.types",
]

IMPORT_MAP = {
    "streamgraph.graph": ["StateGraph", "START", "END", "MessagesState", "add_messages"],
    "streamgraph": ["StateGraph", "START", "END", "MessagesState", "add_messages"],
    "streamgraph.graph.message": ["add_messages", "MessagesState"],
    "streamgraph.types": ["Send", "Command", "RetryPolicy", "StreamMode", "interrupt"],
    "streamgraph.config": ["get_stream_writer", "get_config", "RunnableConfig"],
    "streamgraph.runtime": ["Runtime"],
    "streamgraph.errors": ["GraphRecursionError", "InvalidUpdateError"],
    "streamgraph.prebuilt": ["ToolNode", "tools_condition", "create_react_agent", "InjectedState"],
    "streamgraph.messages": [
        "HumanMessage",
        "AIMessage",
        "AIMessageChunk",
        "SystemMessage",
        "ToolMessage",
        "RemoveMessage",
    ],
    "streamgraph.tools": ["tool", "BaseTool", "InjectedToolCallId"],
    "streamgraph.models": ["ChatAnthropic", "ChatOpenAI"],
}


def _defined_under(value: object, module: str) -> bool:
    home = getattr(value, "__module__", None) or module
    root = module if module != "streamgraph" else "streamgraph."
    return home == module or home.startswith(root)


def _isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then everything else: the order ruff keeps ``__all__`` in."""
    bare = name.strip("_")
    if bare.isupper():
        return (0, name)
    return (1, name) if bare[:1].isupper() else (2, name)


@pytest.mark.parametrize("module", sorted(IMPORT_MAP))
def test_every_name_of_the_import_map_imports(module: str) -> None:
    mod = importlib.import_module(module)
    for name in IMPORT_MAP[module]:
        assert getattr(mod, name) is not None, f"{module}.{name}"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_all_is_sorted_and_every_name_exists(module: str) -> None:
    mod = importlib.import_module(module)
    names = list(mod.__all__)
    assert names == sorted(names, key=_isort_key), f"{module}.__all__ is not sorted"
    missing = [n for n in names if not hasattr(mod, n)]
    assert missing == []


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_all_lists_every_public_name(module: str) -> None:
    mod = importlib.import_module(module)
    public = {
        n
        for n, v in vars(mod).items()
        if not n.startswith("_")
        and not isinstance(v, (type(sys), TypeVar))
        and _defined_under(v, module)
        and n not in {"annotations", "TYPE_CHECKING"}
    }
    assert public - set(mod.__all__) == set()


def test_import_streamgraph_loads_no_sdk_pydantic_or_engine() -> None:
    code = (
        "import sys, streamgraph, streamgraph.models, streamgraph.tools, streamgraph.prebuilt;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pydantic', 'anthropic', 'openai', 'langchain_core', 'typing_extensions', 'asyncio'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)
    if sys.version_info < (3, 11):
        loaded = [m for m in loaded if m != "typing_extensions"]
    # asyncio arrives with the prebuilt agent's compiled graph helpers at most
    assert [m for m in loaded if m != "asyncio"] == []


def test_interrupt_without_persistence_says_so() -> None:
    from streamgraph.errors import ConfigurationError
    from streamgraph.types import interrupt

    with pytest.raises(ConfigurationError, match="checkpointer"):
        interrupt({"question": "ok?"})
