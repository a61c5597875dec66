"""LangChain tools, recognised by duck typing and run through a thin adapter.

``langchain_core`` is never imported here: a LangChain tool is an object whose class has a
``BaseTool`` from a ``langchain_core`` module among its bases. :class:`LangChainTool` lets
:class:`~streamgraph.prebuilt.ToolNode` run one and turns its ToolMessage into ours.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from streamgraph.tools.base import BaseTool, ToolSpec, is_tool_call
from streamgraph.tools.schema import clean_schema

if TYPE_CHECKING:
    from streamgraph.config import RunnableConfig
    from streamgraph.tools.injection import Injection

__all__ = ["LangChainTool", "is_langchain_tool", "langchain_tool_spec"]


def is_langchain_tool(obj: object) -> bool:
    """Whether ``obj`` is an instance of ``langchain_core.tools.BaseTool``."""
    return any(
        klass.__name__ == "BaseTool" and klass.__module__.startswith("langchain_core.")
        for klass in type(obj).__mro__
    )


def langchain_tool_spec(lc_tool: Any) -> ToolSpec:
    """The neutral spec of a LangChain tool, from its model-facing schema."""
    schema = lc_tool.tool_call_schema
    raw = dict(schema) if isinstance(schema, dict) else schema.model_json_schema()
    parameters = clean_schema(raw)
    parameters.pop("description", None)
    parameters.setdefault("properties", {})
    parameters["type"] = "object"
    return {
        "name": str(lc_tool.name),
        "description": inspect.cleandoc(str(lc_tool.description or "")),
        "parameters": parameters,
    }


class LangChainTool(BaseTool):
    """Runs a LangChain tool as one of ours; its result comes back as our ToolMessage."""

    def __init__(self, lc_tool: Any) -> None:
        self.lc_tool = lc_tool
        super().__init__(name=str(lc_tool.name), description=str(lc_tool.description or ""))

    @property
    def injections(self) -> tuple[Injection, ...]:
        return ()

    @property
    def args(self) -> dict[str, Any]:
        properties: dict[str, Any] = self.tool_spec()["parameters"]["properties"]
        return properties

    def tool_spec(self) -> ToolSpec:
        return langchain_tool_spec(self.lc_tool)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self.lc_tool.invoke(_as_call(input))

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return await self.lc_tool.ainvoke(_as_call(input))


def _as_call(input: Any) -> Any:
    if is_tool_call(input) and input.get("type") != "tool_call":
        return {**input, "type": "tool_call"}
    return input
