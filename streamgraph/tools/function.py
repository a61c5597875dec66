"""Tools made from plain functions: ``StructuredTool`` and the ``@tool`` decorator.

::

    from streamgraph.tools import tool

    @tool
    def add(a: int, b: int) -> int:
        "Add two integers."
        return a + b

    add.tool_spec()
    # {'name': 'add', 'description': 'Add two integers.',
    #  'parameters': {'type': 'object', 'properties': {'a': {'type': 'integer'}, ...},
    #                 'required': ['a', 'b']}}
    add.invoke({"a": 2, "b": 3})   # 5

The name comes from the function, the description from its docstring and the argument
schema from its type hints; ``@tool("name")``, ``@tool(description=...)``,
``@tool(parse_docstring=True)`` and ``@tool(args_schema=Model)`` change each of them.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, overload

from streamgraph.errors import ConfigurationError
from streamgraph.tools.base import BaseTool, ResponseFormat
from streamgraph.tools.docstring import parse_docstring
from streamgraph.tools.schema import ToolSignature, schema_signature, signature_of

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["StructuredTool", "tool"]

AnyFunc = Callable[..., Any]


class StructuredTool(BaseTool):
    """A tool whose body is a function (``func``), a coroutine function, or both."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        func: AnyFunc | None = None,
        coroutine: Callable[..., Awaitable[Any]] | None = None,
        args_schema: type[BaseModel] | None = None,
        response_format: ResponseFormat = "content",
        arg_docs: dict[str, str] | None = None,
    ) -> None:
        if func is None and coroutine is None:
            raise ConfigurationError(f"tool {name!r} needs a function or a coroutine function")
        self.func = func
        self.coroutine = coroutine
        self._arg_docs = arg_docs or {}
        super().__init__(
            name=name,
            description=description,
            args_schema=args_schema,
            response_format=response_format,
        )
        self.signature  # noqa: B018 - read the signature now so bad hints fail at definition

    @classmethod
    def from_function(
        cls,
        func: AnyFunc | None = None,
        coroutine: Callable[..., Awaitable[Any]] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
        args_schema: type[BaseModel] | None = None,
        parse_docstring: bool = False,
        response_format: ResponseFormat = "content",
    ) -> StructuredTool:
        """Make a tool from ``func`` and/or ``coroutine``; see :func:`tool` for the defaults."""
        source = func if func is not None else coroutine
        if source is None:
            raise ConfigurationError("from_function needs func= or coroutine=")
        tool_name = name or getattr(source, "__name__", "")
        if not tool_name or tool_name == "<lambda>":
            raise ConfigurationError("a tool made from a lambda needs name=")
        docs = parse_docstring_of(source, parse_docstring)
        summary = description or docs[0]
        if not summary:
            raise ConfigurationError(
                f"tool {tool_name!r} has no description: give the function a docstring or "
                "pass description=..."
            )
        if func is not None and inspect.iscoroutinefunction(func):
            func, coroutine = None, func
        return cls(
            name=tool_name,
            description=summary,
            func=func,
            coroutine=coroutine,
            args_schema=args_schema,
            response_format=response_format,
            arg_docs=docs[1],
        )

    def _read_signature(self) -> ToolSignature:
        body = self.func if self.func is not None else self.coroutine
        assert body is not None  # checked in __init__
        if self.args_schema is not None:
            return schema_signature(self.args_schema, body, self.name)
        return signature_of(body, self.name, arg_docs=self._arg_docs)

    def _has_sync(self) -> bool:
        return self.func is not None

    def _has_async(self) -> bool:
        return self.coroutine is not None

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        assert self.func is not None
        return self.func(*args, **kwargs)

    async def _arun(self, *args: Any, **kwargs: Any) -> Any:
        assert self.coroutine is not None
        return await self.coroutine(*args, **kwargs)


def parse_docstring_of(func: AnyFunc, parse: bool) -> tuple[str, dict[str, str]]:
    """``(description, argument descriptions)`` from ``func``'s docstring."""
    doc = inspect.getdoc(func) or ""
    if not parse:
        return doc, {}
    parsed = parse_docstring(doc)
    return parsed.summary, parsed.args


@overload
def tool(name_or_func: AnyFunc, /) -> StructuredTool: ...


@overload
def tool(name_or_func: str, func: AnyFunc, /) -> StructuredTool: ...


@overload
def tool(
    name_or_func: str | None = None,
    /,
    *,
    description: str | None = None,
    args_schema: type[BaseModel] | None = None,
    parse_docstring: bool = False,
    response_format: ResponseFormat = "content",
) -> Callable[[AnyFunc], StructuredTool]: ...


def tool(
    name_or_func: str | AnyFunc | None = None,
    func: AnyFunc | None = None,
    /,
    *,
    description: str | None = None,
    args_schema: type[BaseModel] | None = None,
    parse_docstring: bool = False,
    response_format: ResponseFormat = "content",
) -> StructuredTool | Callable[[AnyFunc], StructuredTool]:
    """Make a tool from a sync or async function.

    Use it bare (``@tool``), with a name (``@tool("lookup")``) or with options::

        @tool(parse_docstring=True)
        async def weather(city: str) -> str:
            '''Current weather.

            Args:
                city: the city name, e.g. "Paris".
            '''
            return f"sunny in {city}"

    ``parse_docstring=True`` takes the description from the docstring's summary and each
    argument's description from its ``Args:`` section; ``args_schema`` replaces the
    schema read from the type hints; ``response_format="content_and_artifact"`` lets the
    function return ``(content, artifact)``, the artifact kept on the ToolMessage but not
    sent to the model.
    """

    def make(target: AnyFunc, name: str | None = None) -> StructuredTool:
        if not callable(target):
            raise ConfigurationError(f"@tool decorates a function, got {type(target).__name__}")
        return StructuredTool.from_function(
            target,
            name=name,
            description=description,
            args_schema=args_schema,
            parse_docstring=parse_docstring,
            response_format=response_format,
        )

    if isinstance(name_or_func, str):
        if func is not None:
            return make(func, name_or_func)
        chosen = name_or_func
        return lambda target: make(target, chosen)
    if name_or_func is None:
        return make
    return make(name_or_func)
