"""LangChain tools are accepted where langchain-core is installed."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated, Any

import pytest

from streamgraph.errors import ToolError
from streamgraph.prebuilt import InjectedState
from streamgraph.tools import BaseTool, InjectedToolCallId, convert_to_tool, convert_to_tool_spec
from streamgraph.tools.langchain import is_langchain_tool

lc_tools = pytest.importorskip("langchain_core.tools")


def _lc_add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


lc_add = lc_tools.tool("lc_add", _lc_add)


def test_importing_streamgraph_tools_does_not_import_langchain() -> None:
    code = "import sys, streamgraph.tools; print('langchain_core' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_langchain_tool_is_recognised_by_duck_typing() -> None:
    assert is_langchain_tool(lc_add)
    assert not is_langchain_tool(object())


def test_convert_to_tool_spec_reads_the_model_facing_schema() -> None:
    spec = convert_to_tool_spec(lc_add)
    assert spec["name"] == "lc_add"
    assert spec["description"] == "Add two integers."
    assert spec["parameters"]["type"] == "object"
    assert set(spec["parameters"]["properties"]) == {"a", "b"}
    assert spec["parameters"]["required"] == ["a", "b"]


async def test_adapter_returns_langchains_own_tool_message() -> None:
    from langchain_core.messages import ToolMessage as LangChainToolMessage

    adapted = convert_to_tool(lc_add)
    assert isinstance(adapted, BaseTool)
    call = {"name": "lc_add", "args": {"a": 2, "b": 3}, "id": "call_1", "type": "tool_call"}
    message = await adapted.ainvoke(call)
    assert type(message) is LangChainToolMessage
    assert (message.content, message.tool_call_id, message.name) == ("5", "call_1", "lc_add")
    assert adapted.invoke({"a": 1, "b": 1}) == 2


def _lc_remember(
    fact: str,
    call_id: Annotated[str, InjectedToolCallId],
    messages: Annotated[list[Any], InjectedState("messages")],
) -> str:
    """Remember a fact."""
    return f"{fact} ({call_id}, {len(messages)} messages)"


lc_remember = lc_tools.tool("lc_remember", _lc_remember)


def test_our_injection_markers_on_a_langchain_tool_are_hidden_and_filled() -> None:
    spec = convert_to_tool_spec(lc_remember)
    assert list(spec["parameters"]["properties"]) == ["fact"]
    assert spec["parameters"]["required"] == ["fact"]
    adapted = convert_to_tool(lc_remember)
    assert [(i.name, i.kind) for i in adapted.injections] == [
        ("call_id", "tool_call_id"),
        ("messages", "marker"),
    ]
    call = {"name": "lc_remember", "args": {"fact": "tea", "messages": [1, 2]}, "id": "c9"}
    message = adapted.invoke({**call, "type": "tool_call"})
    assert (message.content, message.tool_call_id) == ("tea (c9, 2 messages)", "c9")


def test_bad_arguments_to_a_langchain_tool_name_only_the_models() -> None:
    adapted = convert_to_tool(lc_remember)
    call = {"name": "lc_remember", "args": {"fact": 3}, "id": "c1", "type": "tool_call"}
    with pytest.raises(ToolError) as caught:
        adapted.invoke(call)
    text = str(caught.value)
    assert text.startswith("invalid arguments for tool 'lc_remember': argument 'fact'")
    assert "messages" not in text
    assert "call_id" not in text
