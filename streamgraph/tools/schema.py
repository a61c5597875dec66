"""From a Python callable (or a pydantic model) to what a tool needs about its arguments.

:func:`signature_of` reads a function's parameters once, when the tool is made: which ones
the model fills (they become a pydantic model, built with ``create_model``, whose JSON
schema is the tool's ``parameters``) and which ones the runtime injects (see
:mod:`streamgraph.tools.injection`). :class:`ArgsModel` validates a call's arguments and
turns pydantic's errors into one :class:`~streamgraph.errors.ToolError` that names the
tool, the argument and what was expected.

pydantic is imported here, inside functions, so ``import streamgraph`` stays fast.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

from streamgraph.errors import ConfigurationError, ToolInvocationError
from streamgraph.tools.injection import (
    Injection,
    InjectionKind,
    is_tool_call_id_marker,
    marker_of,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel, ValidationError

__all__ = ["ArgsModel", "ToolSignature", "clean_schema", "signature_of"]

_IGNORED = frozenset({"run_manager", "callbacks"})


@dataclass(slots=True)
class ArgsModel:
    """A pydantic model of a tool's arguments, and how its fields map to parameters.

    ``params`` maps each field name to the function parameter it feeds (``None`` means
    every field is passed by its own name); ``hidden`` holds fields that the runtime
    injects, left out of the model-facing schema.
    """

    model: type[BaseModel]
    params: dict[str, str] | None = None
    hidden: frozenset[str] = frozenset()

    @property
    def field_names(self) -> list[str]:
        """Names the model sees, in declaration order."""
        return [
            info.alias or name
            for name, info in self.model.model_fields.items()
            if (info.alias or name) not in self.hidden
        ]

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments the model fills (always ``type: object``)."""
        schema = clean_schema(self.model.model_json_schema())
        schema.pop("type", None)
        properties = schema.pop("properties", {})
        required = [name for name in schema.pop("required", []) if name not in self.hidden]
        for name in self.hidden:
            properties.pop(name, None)
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        out.update(schema)
        return out

    def validate(self, tool: str, args: dict[str, Any], injected: dict[str, Any]) -> dict[str, Any]:
        """Check ``args`` and return the keyword arguments for the tool's function."""
        from pydantic import ValidationError

        data = {key: value for key, value in args.items() if key not in self.hidden}
        data.update({key: value for key, value in injected.items() if key in self.hidden})
        try:
            instance = self.model.model_validate(data)
        except ValidationError as exc:
            raise ToolInvocationError(describe_validation_error(tool, exc)) from exc
        if self.params is None:
            return {name: getattr(instance, name) for name in type(instance).model_fields}
        return {param: getattr(instance, name) for name, param in self.params.items()}


@dataclass(slots=True)
class ToolSignature:
    """What a tool knows about its arguments: the model-filled ones and the injected ones."""

    args: ArgsModel
    injections: tuple[Injection, ...] = ()
    accepts_any: bool = False


def describe_validation_error(tool: str, exc: ValidationError) -> str:
    """One message naming the tool, each bad argument and what it should have been."""
    return describe_argument_errors(tool, exc.errors(include_url=False))


def describe_argument_errors(tool: str, errors: Any) -> str:
    """:func:`describe_validation_error` for the error dicts of a pydantic ``ValidationError``."""
    problems = []
    for error in errors:
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        if error["type"] == "missing":
            problems.append(f"argument {where!r} is required but was not given")
        else:
            problems.append(
                f"argument {where!r}: {error['msg']} (got {_short(error.get('input'))})"
            )
    return f"invalid arguments for tool {tool!r}: " + "; ".join(problems)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``title`` keys pydantic adds; keep everything else (a new dict)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {
                name: clean_schema(sub) if isinstance(sub, dict) else sub
                for name, sub in value.items()
            }
        elif isinstance(value, dict):
            out[key] = clean_schema(value)
        elif isinstance(value, list):
            out[key] = [clean_schema(item) if isinstance(item, dict) else item for item in value]
        else:
            out[key] = value
    return out


def _split_annotated(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return base, tuple(metadata)
    return annotation, ()


def _unwrap_optional(annotation: Any) -> Any:
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    if len(args) == 1 and type(None) in get_args(annotation):
        return args[0]
    return annotation


def _is_config(name: str, base: Any) -> bool:
    base = _unwrap_optional(base)
    return name == "config" or getattr(base, "__name__", None) == "RunnableConfig"


def _is_writer(base: Any) -> bool:
    from streamgraph.types import StreamWriter

    base = _unwrap_optional(base)
    return base is StreamWriter or base == StreamWriter


def injection_of(name: str, annotation: Any, required: bool) -> Injection | None:
    """How the parameter ``name`` is injected, or ``None`` when the model fills it."""
    base, metadata = _split_annotated(annotation)
    marker = marker_of(metadata)
    if marker is not None:
        kind: InjectionKind = "tool_call_id" if is_tool_call_id_marker(marker) else "marker"
        return Injection(name, kind, marker, required)
    if name in _IGNORED:
        return Injection(name, "ignored", None, False)
    if _is_config(name, base):
        return Injection(name, "config", None, required)
    if _is_writer(base):
        return Injection(name, "writer", None, required)
    return None


def _hints(func: Callable[..., Any], tool: str) -> dict[str, Any]:
    target = inspect.unwrap(func)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except (NameError, TypeError) as exc:
        raise ConfigurationError(
            f"cannot read the type hints of tool {tool!r}: {exc}. Define the types it uses at "
            "module level, or pass args_schema=<a pydantic model>."
        ) from exc


def _description(metadata: tuple[Any, ...], docs: dict[str, str], name: str) -> str | None:
    for item in metadata:
        if isinstance(item, str):
            return item
    return docs.get(name)


@dataclass(slots=True)
class _Params:
    fields: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    injections: list[Injection] = field(default_factory=list)
    accepts_any: bool = False


def _read_params(func: Callable[..., Any], tool: str, docs: dict[str, str]) -> _Params:
    from pydantic import BaseModel, Field

    hints = _hints(func, tool)
    out = _Params()
    reserved = set(dir(BaseModel))
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            out.accepts_any = out.accepts_any or param.kind is param.VAR_KEYWORD
            continue
        annotation = hints.get(param.name, Any)
        required = param.default is inspect.Parameter.empty
        injection = injection_of(param.name, annotation, required)
        if injection is not None:
            out.injections.append(injection)
            continue
        _, metadata = _split_annotated(annotation)
        # pydantic refuses field names that shadow BaseModel attributes ("json", "schema",
        # "model_..."): such a field gets a safe name and keeps the real one as its alias.
        field_name = param.name
        if field_name in reserved or field_name.startswith("model_"):
            field_name = f"{param.name}_"
        extra: dict[str, Any] = {"alias": param.name}
        description = _description(metadata, docs, param.name)
        if description is not None:  # a None here would hide a Field(description=...) hint
            extra["description"] = description
        described = Field(... if required else param.default, **extra)
        out.fields[field_name] = (annotation, described)
        out.params[field_name] = param.name
    return out


def signature_of(
    func: Callable[..., Any], tool: str, *, arg_docs: dict[str, str] | None = None
) -> ToolSignature:
    """Read ``func``'s parameters into a :class:`ToolSignature` named after ``tool``."""
    from pydantic import create_model

    read = _read_params(func, tool, arg_docs or {})
    try:
        model = create_model(_model_name(tool), **read.fields)
    except Exception as exc:  # pydantic raises several types for unusable hints
        raise ConfigurationError(
            f"cannot build an argument schema for tool {tool!r}: {exc}"
        ) from exc
    return ToolSignature(ArgsModel(model, read.params), tuple(read.injections), read.accepts_any)


def _model_name(tool: str) -> str:
    name = "".join(part.capitalize() for part in tool.replace("-", "_").split("_") if part)
    return f"{name or 'Tool'}Args"


def schema_signature(
    args_schema: type[BaseModel], func: Callable[..., Any] | None, tool: str
) -> ToolSignature:
    """A signature whose arguments are validated by the user's ``args_schema``.

    Injected parameters come from ``func``'s signature and from fields of ``args_schema``
    whose annotation carries a marker; the latter are validated with the rest.
    """
    from_func = _read_params(func, tool, {}) if func is not None else None
    injections = list(from_func.injections) if from_func else []
    known = {inj.name for inj in injections}
    hidden: set[str] = set()
    for name, info in args_schema.model_fields.items():
        marker = marker_of(tuple(info.metadata))
        if marker is None:
            continue
        key = info.alias or name
        hidden.add(key)
        if key not in known:
            kind: InjectionKind = "tool_call_id" if is_tool_call_id_marker(marker) else "marker"
            injections.append(Injection(key, kind, marker, info.is_required()))
    params: dict[str, str] | None = None
    if from_func is not None and not from_func.accepts_any:
        accepted = set(from_func.params.values()) | known
        params = {name: name for name in args_schema.model_fields if name in accepted}
    return ToolSignature(
        ArgsModel(args_schema, params, frozenset(hidden)),
        tuple(injections),
        from_func.accepts_any if from_func else True,
    )
