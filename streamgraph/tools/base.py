"""``BaseTool``: a named action a model can call, with a JSON schema for its arguments.

Subclass it for tools that need state or custom code paths; for plain functions the
:func:`~streamgraph.tools.tool` decorator is shorter::

    from pydantic import BaseModel
    from streamgraph.tools import BaseTool

    class SearchArgs(BaseModel):
        query: str

    class Search(BaseTool):
        name = "search"
        description = "Search the catalogue."
        args_schema = SearchArgs

        def _run(self, query: str) -> str:
            return f"3 results for {query!r}"

    Search().invoke({"query": "lamps"})          # '3 results for ...'
    Search().invoke({"name": "search", "args": {"query": "lamps"},
                     "id": "call_1", "type": "tool_call"})   # a ToolMessage

Invoked with a tool call, a tool answers with a :class:`~streamgraph.messages.ToolMessage`
carrying the call's id; invoked with plain arguments it returns what the function returned.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from streamgraph._compat import TypedDict
from streamgraph.errors import ConfigurationError, ToolError, ToolInvocationError
from streamgraph.tools.injection import Injection
from streamgraph.tools.schema import ToolSignature, schema_signature, signature_of

if TYPE_CHECKING:
    from pydantic import BaseModel

    from streamgraph.config import RunnableConfig

__all__ = ["BaseTool", "ResponseFormat", "ToolSpec", "is_tool_call"]

ResponseFormat = Literal["content", "content_and_artifact"]
T = TypeVar("T")


class ToolSpec(TypedDict):
    """The neutral description of a tool that chat models' ``bind_tools`` consume."""

    name: str
    description: str
    parameters: dict[str, Any]


def is_tool_call(value: object) -> bool:
    """Whether ``value`` is a tool call dict (``{"name", "args", "id", "type": "tool_call"}``)."""
    if not isinstance(value, Mapping):
        return False
    return value.get("type") == "tool_call" or {"name", "args", "id"} <= value.keys()


class BaseTool:
    """A tool: ``name``, ``description``, an argument schema and a body (``_run``/``_arun``).

    Override ``_run`` (sync), ``_arun`` (async) or both. Without ``args_schema`` the
    schema is read from the body's signature. Extra fields declared on a subclass may be
    set through the constructor: ``Search(api_key="...")``.
    """

    name: str = ""
    description: str = ""
    args_schema: type[BaseModel] | None = None
    response_format: ResponseFormat = "content"

    def __init__(self, **fields: Any) -> None:
        for key, value in fields.items():
            if not hasattr(type(self), key) and key not in _annotations(type(self)):
                raise TypeError(f"{type(self).__name__} has no field {key!r}")
            setattr(self, key, value)
        if not self.name:
            raise ConfigurationError(f"tool class {type(self).__name__} needs a `name`")
        if not self.description:
            self.description = inspect.cleandoc(type(self).__doc__ or "")
        self._signature: ToolSignature | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- what the model sees ---------------------------------------------------------

    @property
    def signature(self) -> ToolSignature:
        """The model-filled and injected arguments, read once from the schema or body."""
        if self._signature is None:
            self._signature = self._read_signature()
        return self._signature

    def _read_signature(self) -> ToolSignature:
        body = self._run if self._has_sync() else self._arun
        if self.args_schema is not None:
            return schema_signature(self.args_schema, body, self.name)
        return signature_of(body, self.name)

    @property
    def injections(self) -> tuple[Injection, ...]:
        """Parameters the runtime fills (call id, config, writer, marked ones)."""
        return self.signature.injections

    @property
    def args(self) -> dict[str, Any]:
        """The JSON schema of each argument the model fills, by name."""
        properties: dict[str, Any] = self.signature.args.json_schema()["properties"]
        return properties

    def tool_spec(self) -> ToolSpec:
        """``{"name", "description", "parameters"}``, what ``bind_tools`` sends to a model."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": self.signature.args.json_schema(),
        }

    # -- bodies ----------------------------------------------------------------------

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"tool {self.name!r} has no sync body (_run)")

    async def _arun(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"tool {self.name!r} has no async body (_arun)")

    def _has_sync(self) -> bool:
        return type(self)._run is not BaseTool._run

    def _has_async(self) -> bool:
        return type(self)._arun is not BaseTool._arun

    # -- running ---------------------------------------------------------------------

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Run the tool in this thread with a dict of arguments or a tool call."""
        if not self._has_sync():
            return run_coroutine_sync(self.ainvoke(input, config, **kwargs))
        call_id, call_kwargs = self.prepare(input, config)
        return self.format_output(self._run(**call_kwargs), call_id)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Run the tool; a sync-only body runs in a worker thread (context variables follow)."""
        call_id, call_kwargs = self.prepare(input, config)
        if self._has_async():
            output = await self._arun(**call_kwargs)
        else:
            output = await asyncio.to_thread(self._run, **call_kwargs)
        return self.format_output(output, call_id)

    def prepare(
        self, input: Any, config: RunnableConfig | None
    ) -> tuple[str | None, dict[str, Any]]:
        """Validate ``input`` and add injected values: ``(tool call id, keyword arguments)``."""
        call_id: str | None = None
        args = input
        if is_tool_call(input):
            call_id = input.get("id")
            args = input.get("args") or {}
        signature = self.signature
        if isinstance(args, str):
            names = signature.args.field_names
            if len(names) != 1:
                raise ToolInvocationError(
                    f"tool {self.name!r} takes {len(names)} arguments; pass them as a dict"
                )
            args = {names[0]: args}
        if not isinstance(args, Mapping):
            raise ToolInvocationError(
                f"tool {self.name!r} expects its arguments as a JSON object (a dict), "
                f"got {type(args).__name__}"
            )
        args = dict(args)
        injected = self._injected_values(signature, args, call_id, config)
        validated = signature.args.validate(self.name, args, injected)
        return call_id, {**injected, **validated}

    def _injected_values(
        self,
        signature: ToolSignature,
        args: dict[str, Any],
        call_id: str | None,
        config: RunnableConfig | None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for inj in signature.injections:
            if inj.kind == "ignored":
                continue
            if inj.kind == "config":
                values[inj.name] = config if config is not None else _current_config()
            elif inj.kind == "writer":
                values[inj.name] = _current_writer()
            elif inj.kind == "tool_call_id" and call_id is not None:
                values[inj.name] = call_id
            elif inj.name in args:
                values[inj.name] = args[inj.name]
            elif inj.required:
                raise ToolError(self._missing_injection(inj.name, inj.kind))
        return values

    def _missing_injection(self, param: str, kind: str) -> str:
        if kind == "tool_call_id":
            return (
                f"tool {self.name!r} needs a tool call id for {param!r}: invoke it with a tool "
                "call {'name': ..., 'args': {...}, 'id': ..., 'type': 'tool_call'}"
            )
        return (
            f"tool {self.name!r} needs the injected argument {param!r}: run it with ToolNode "
            "or pass the value in the arguments"
        )

    def format_output(self, output: Any, call_id: str | None) -> Any:
        """Turn a body's return value into a ToolMessage when serving a tool call."""
        content, artifact = output, None
        if self.response_format == "content_and_artifact":
            if not (isinstance(output, tuple) and len(output) == 2):
                raise ToolError(
                    f"tool {self.name!r} has response_format='content_and_artifact' and must "
                    f"return a (content, artifact) pair, got {type(output).__name__}"
                )
            content, artifact = output
        if call_id is None:
            return content
        from streamgraph.messages import ToolMessage
        from streamgraph.types import Command

        if isinstance(output, Command):
            return output
        if isinstance(output, ToolMessage):
            if not output.tool_call_id:
                output.tool_call_id = call_id
            if not output.name:
                output.name = self.name
            return output
        return ToolMessage(
            content=stringify(content), tool_call_id=call_id, name=self.name, artifact=artifact
        )


def stringify(content: Any) -> Any:
    """Tool output as message content: text stays, content blocks stay, the rest as JSON."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(block, dict) and "type" in block for block in content
    ):
        return content
    if hasattr(content, "model_dump_json"):
        return str(content.model_dump_json())
    try:
        return json.dumps(content, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(content)


def _annotations(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        names.update(getattr(klass, "__annotations__", {}))
    return names


def _current_config() -> RunnableConfig:
    from streamgraph.config import get_config

    try:
        return get_config()
    except RuntimeError:
        return {}


def _current_writer() -> Callable[[Any], None]:
    from streamgraph.config import get_stream_writer

    try:
        return get_stream_writer()
    except RuntimeError:
        return _discard


def _discard(value: Any) -> None:
    """The stream writer outside a run: values go nowhere."""


def run_coroutine_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code, even when this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coro).result()
