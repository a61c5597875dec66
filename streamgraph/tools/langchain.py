"""LangChain tools, recognised by duck typing and run through a thin adapter.

``langchain_core`` is never imported here: a LangChain tool is an object whose class has a
``BaseTool`` from a ``langchain_core`` module among its bases. :class:`LangChainTool` lets
:class:`~streamgraph.prebuilt.ToolNode` run one: the tool's own result is kept (LangChain's
``ToolMessage``, a ``Command``), parameters marked with our injection markers
(``InjectedState``, ``InjectedToolCallId``) are filled by the runtime and hidden from the
model, and bad arguments raise :class:`~streamgraph.errors.ToolInvocationError` naming
only the arguments the model gave.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from streamgraph.errors import ToolInvocationError
from streamgraph.tools.base import BaseTool, ToolSpec, is_tool_call
from streamgraph.tools.injection import (
    Injection,
    InjectionKind,
    is_tool_call_id_marker,
    marker_of,
)
from streamgraph.tools.schema import clean_schema, describe_argument_errors

if TYPE_CHECKING:
    from streamgraph.config import RunnableConfig

__all__ = ["LangChainTool", "is_langchain_tool", "langchain_tool_spec"]


def is_langchain_tool(obj: object) -> bool:
    """Whether ``obj`` is an instance of ``langchain_core.tools.BaseTool``."""
    return any(
        klass.__name__ == "BaseTool" and klass.__module__.startswith("langchain_core.")
        for klass in type(obj).__mro__
    )


def langchain_injections(lc_tool: Any) -> tuple[Injection, ...]:
    """The parameters of a LangChain tool that carry one of our injection markers.

    LangChain hides parameters marked with its own markers; ours it does not know, so they are
    read here from the tool's pydantic argument schema (a dict schema has none).
    """
    schema = getattr(lc_tool, "args_schema", None)
    fields = getattr(schema, "model_fields", None)
    if not isinstance(fields, dict):
        return ()
    found = []
    for name, info in fields.items():
        marker = marker_of(tuple(getattr(info, "metadata", ())))
        if marker is None:
            continue
        kind: InjectionKind = "tool_call_id" if is_tool_call_id_marker(marker) else "marker"
        found.append(Injection(name, kind, marker, bool(info.is_required())))
    return tuple(found)


def langchain_tool_spec(lc_tool: Any) -> ToolSpec:
    """The neutral spec of a LangChain tool, from its model-facing schema."""
    schema = lc_tool.tool_call_schema
    raw = dict(schema) if isinstance(schema, dict) else schema.model_json_schema()
    parameters = clean_schema(raw)
    parameters.pop("description", None)
    parameters.setdefault("properties", {})
    parameters["type"] = "object"
    hidden = {injection.name for injection in langchain_injections(lc_tool)}
    if hidden:
        parameters["properties"] = {
            k: v for k, v in parameters["properties"].items() if k not in hidden
        }
        required = [k for k in parameters.get("required", ()) if k not in hidden]
        if required:
            parameters["required"] = required
        else:
            parameters.pop("required", None)
    return {
        "name": str(lc_tool.name),
        "description": inspect.cleandoc(str(lc_tool.description or "")),
        "parameters": parameters,
    }


class LangChainTool(BaseTool):
    """Runs a LangChain tool for ToolNode; its result (LangChain's ToolMessage) is kept."""

    def __init__(self, lc_tool: Any) -> None:
        # langchain_core is loaded (this is one of its tools): let its tools return a Command
        import streamgraph.integrations.langchain  # noqa: F401

        self.lc_tool = lc_tool
        self._injections = langchain_injections(lc_tool)
        super().__init__(name=str(lc_tool.name), description=str(lc_tool.description or ""))

    @property
    def injections(self) -> tuple[Injection, ...]:
        return self._injections

    @property
    def args(self) -> dict[str, Any]:
        properties: dict[str, Any] = self.tool_spec()["parameters"]["properties"]
        return properties

    def tool_spec(self) -> ToolSpec:
        return langchain_tool_spec(self.lc_tool)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        call = self._as_call(input)
        try:
            return self.lc_tool.invoke(call)
        except Exception as exc:
            error = self._arguments_error(exc)
            if error is None:
                raise
            raise error from exc

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        call = self._as_call(input)
        try:
            return await self.lc_tool.ainvoke(call)
        except Exception as exc:
            error = self._arguments_error(exc)
            if error is None:
                raise
            raise error from exc

    def _as_call(self, input: Any) -> Any:
        if not is_tool_call(input):
            return input
        call = {**input, "type": "tool_call"}
        ids = [i.name for i in self._injections if i.kind == "tool_call_id"]
        if ids:
            call["args"] = {**call["args"], **dict.fromkeys(ids, call.get("id"))}
        return call

    def _arguments_error(self, exc: Exception) -> ToolInvocationError | None:
        """The error naming only the model's arguments, when LangChain rejected them."""
        errors = getattr(exc, "errors", None)
        if type(exc).__name__ != "ValidationError" or not callable(errors):
            return None
        hidden = {i.name for i in self._injections}
        problems = [e for e in errors() if not (e.get("loc") and e["loc"][0] in hidden)]
        if not problems:
            return None  # only what the runtime filled in is wrong: not the model's to fix
        return ToolInvocationError(describe_argument_errors(self.name, problems))
