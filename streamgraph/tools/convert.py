"""Turning anything that describes a tool into the neutral spec, or into a runnable tool.

The neutral spec is ``{"name", "description", "parameters"}`` with ``parameters`` a JSON
schema of ``type: object``; chat models translate it into their provider's wire format.
:func:`convert_to_tool_spec` accepts:

- a streamgraph tool (made with ``@tool`` or a ``BaseTool`` subclass);
- a plain function with a docstring (wrapped with ``@tool``);
- a pydantic model class (its name, docstring and fields);
- an OpenAI tool dict ``{"type": "function", "function": {"name", "description", "parameters"}}``;
- an Anthropic tool dict ``{"name", "description", "input_schema"}``;
- a neutral dict ``{"name", "description", "parameters"}``;
- a LangChain tool, where ``langchain-core`` is installed.

::

    convert_to_tool_spec({"name": "now", "description": "The time.", "input_schema": {}})
    # {'name': 'now', 'description': 'The time.',
    #  'parameters': {'type': 'object', 'properties': {}}}
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from streamgraph.errors import ConfigurationError
from streamgraph.tools.base import BaseTool, ToolSpec
from streamgraph.tools.langchain import LangChainTool, is_langchain_tool, langchain_tool_spec
from streamgraph.tools.schema import clean_schema

__all__ = ["convert_to_tool", "convert_to_tool_spec"]

_ACCEPTED = (
    "a streamgraph tool (@tool or BaseTool), a function with a docstring, a pydantic model "
    "class, an OpenAI tool dict {'type': 'function', 'function': {...}}, an Anthropic tool "
    "dict {'name', 'description', 'input_schema'}, a neutral dict {'name', 'description', "
    "'parameters'}, or a LangChain tool"
)


def convert_to_tool_spec(obj: Any) -> ToolSpec:
    """The neutral ``{"name", "description", "parameters"}`` spec of ``obj`` (see module doc)."""
    if isinstance(obj, BaseTool):
        return obj.tool_spec()
    if is_langchain_tool(obj):
        return langchain_tool_spec(obj)
    if isinstance(obj, Mapping):
        return _spec_from_dict(obj)
    if _is_pydantic_model(obj):
        schema = clean_schema(obj.model_json_schema())
        schema.pop("description", None)  # it is the spec's description already
        return {
            "name": obj.__name__,
            "description": inspect.cleandoc(obj.__doc__ or ""),
            "parameters": _object_schema(schema, obj.__name__),
        }
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        from streamgraph.tools.function import tool

        return tool(obj).tool_spec()
    raise ConfigurationError(
        f"cannot turn {type(obj).__name__} into a tool spec; accepted: {_ACCEPTED}"
    )


def convert_to_tool(obj: Any) -> BaseTool:
    """A runnable tool from a streamgraph tool, a function or a LangChain tool."""
    if isinstance(obj, BaseTool):
        return obj
    if is_langchain_tool(obj):
        return LangChainTool(obj)
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        from streamgraph.tools.function import tool

        return tool(obj)
    raise ConfigurationError(
        f"cannot run {type(obj).__name__} as a tool; pass a function, a tool made with @tool, "
        "a BaseTool instance or a LangChain tool"
    )


def _is_pydantic_model(obj: Any) -> bool:
    if not isinstance(obj, type) or not hasattr(obj, "model_json_schema"):
        return False
    from pydantic import BaseModel

    return issubclass(obj, BaseModel)


def _spec_from_dict(obj: Mapping[str, Any]) -> ToolSpec:
    if obj.get("type") == "function" and isinstance(obj.get("function"), Mapping):
        body = obj["function"]
        return _spec(body, body.get("parameters"))
    if "input_schema" in obj:
        return _spec(obj, obj.get("input_schema"))
    if "parameters" in obj or ("name" in obj and set(obj) <= {"name", "description"}):
        return _spec(obj, obj.get("parameters"))
    raise ConfigurationError(
        f"cannot read a tool spec from a dict with keys {sorted(obj)}; accepted: {_ACCEPTED}"
    )


def _spec(body: Mapping[str, Any], parameters: Any) -> ToolSpec:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"a tool dict needs a non-empty 'name'; got {dict(body)!r}")
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise ConfigurationError(f"tool {name!r}: 'description' must be a string")
    parameters = _object_schema(parameters, name)
    return {"name": name, "description": description, "parameters": parameters}


def _object_schema(parameters: Any, name: str) -> dict[str, Any]:
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, Mapping):
        raise ConfigurationError(f"tool {name!r}: the parameters must be a JSON schema dict")
    schema = dict(parameters)
    kind = schema.setdefault("type", "object")
    if kind != "object":
        raise ConfigurationError(
            f"tool {name!r}: the parameters schema must have type 'object', not {kind!r}"
        )
    schema.setdefault("properties", {})
    return schema
