"""State schemas: TypedDict, dataclass or pydantic model, read into channels."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from typing import Any, get_origin, get_type_hints

from streamgraph._compat import is_typeddict
from streamgraph.engine.channels import MISSING, Channel, LastValue, Reducer
from streamgraph.errors import GraphSetupError, InvalidUpdateError, StateValidationError
from streamgraph.messages.langchain import names_langchain_messages
from streamgraph.messages.reducer import add_langchain_messages, add_messages

__all__ = ["ROOT", "StateSchema"]

ROOT = "__root__"
"""The one channel of a state that is a single value, not keys."""


def _is_pydantic(cls: Any) -> bool:
    return isinstance(cls, type) and any(
        base.__module__.startswith("pydantic") and base.__name__ == "BaseModel"
        for base in cls.__mro__
    )


def _is_annotated(hint: Any) -> bool:
    return getattr(hint, "__metadata__", None) is not None


def _reducer_of(hint: Any) -> Any:
    if _is_annotated(hint):
        for meta in reversed(hint.__metadata__):
            if callable(meta) and not isinstance(meta, type):
                return meta
    return None


class StateSchema:
    """The keys of a state class, their channels, and how node inputs are built from them.

    A TypedDict, a dataclass, a pydantic model or any class with annotations has one key
    per annotation; nodes get a dict (a model instance for dataclass and pydantic states).
    Anything else (``Annotated[list, operator.add]``, ``int``, ``dict``) is one root value
    that nodes receive and return whole, as in LangGraph.
    """

    def __init__(self, cls: Any) -> None:
        self.cls = cls
        if is_typeddict(cls):
            self.kind = "typeddict"
            hints = get_type_hints(cls, include_extras=True)
        elif dataclasses.is_dataclass(cls) and isinstance(cls, type):
            self.kind = "dataclass"
            hints = get_type_hints(cls, include_extras=True)
            hints = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
        elif _is_pydantic(cls):
            self.kind = "pydantic"
            hints = get_type_hints(cls, include_extras=True)
            hints = {k: hints[k] for k in cls.model_fields}
        elif isinstance(cls, type) and (hints := _annotations_of(cls)):
            self.kind = "typeddict"  # a plain annotated class reads like a TypedDict
        elif isinstance(cls, type) or cls is Any or get_origin(cls) is not None:
            self.kind = "root"
            hints = {ROOT: cls}
        else:
            raise GraphSetupError(
                f"state schema {cls!r} is not a type; declare the state as a TypedDict, a "
                "dataclass or a pydantic model (e.g. `class State(TypedDict): ...`), or as one "
                "value such as `Annotated[list, operator.add]`"
            )
        self.hints = hints
        self.keys: tuple[str, ...] = tuple(hints)
        self.key_set = frozenset(hints)

    @property
    def is_root(self) -> bool:
        """Whether the state is one value rather than keys."""
        return self.kind == "root"

    def channels(self) -> dict[str, Channel]:
        """A fresh channel for each key."""
        out: dict[str, Channel] = {}
        for key, hint in self.hints.items():
            reducer = _reducer_of(hint)
            typ = hint.__origin__ if _is_annotated(hint) else hint
            if reducer is add_messages and names_langchain_messages(typ):
                reducer = add_langchain_messages  # the key holds LangChain's classes only
            out[key] = Reducer(key, typ, reducer) if reducer else LastValue(key, typ)
        return out

    def build(
        self,
        values: Mapping[str, Any],
        *,
        reader: str | None = None,
        writers: Mapping[str, str] | None = None,
    ) -> Any:
        """The object a node receives: a dict of the keys set so far, or a model instance.

        ``reader`` says who it is built for (``"node 'b'"``; the run's output when ``None``)
        and ``writers`` who last wrote each key: both are named in a
        :class:`~streamgraph.errors.StateValidationError` when the schema rejects the values.
        """
        if self.kind == "root":
            value = values.get(ROOT, MISSING)
            return None if value is MISSING else value
        present = {k: v for k, v in values.items() if v is not MISSING and k in self.hints}
        if self.kind == "pydantic":
            try:
                return self.cls.model_validate(present)
            except ValueError as exc:  # pydantic's ValidationError is a ValueError
                raise self._rejected(exc, reader, writers or {}) from exc
        if self.kind == "dataclass":
            try:
                return self.cls(**present)
            except TypeError as exc:  # a field without a default that nothing has written
                raise self._rejected(exc, reader, writers or {}) from exc
        return present

    def as_output(self, values: Mapping[str, Any]) -> Any:
        """What ``invoke`` returns: a dict of this schema's keys set so far (or the root)."""
        if self.kind == "root":
            value = values.get(ROOT, MISSING)
            return None if value is MISSING else value
        return {k: values[k] for k in self.keys if values.get(k, MISSING) is not MISSING}

    def _rejected(
        self, exc: Exception, reader: str | None, writers: Mapping[str, str]
    ) -> StateValidationError:
        keys = _failed_keys(exc, self.keys)
        name = getattr(self.cls, "__name__", repr(self.cls))
        where = f"the input of {reader}" if reader else "the run's output"
        wrote = [f"{k!r} last written by {writers[k]}" for k in keys if k in writers]
        unset = [repr(k) for k in keys if k not in writers]
        told = "; ".join(wrote + ([f"{', '.join(unset)} never written"] if unset else []))
        shown = ", ".join(map(repr, keys)) or "its values"
        fix = (
            "pass a value of the declared type in the input"
            if writers.get(keys[0] if keys else "") == "the graph input"
            else "write a value of the declared type, or give the field a default"
        )
        return StateValidationError(
            f"the state schema {name} rejected state key(s) {shown} while building {where}"
            f"{f' ({told})' if told else ''}; {fix}. The schema said: {exc}",
            keys=keys,
            node=reader,
            writers={k: writers[k] for k in keys if k in writers},
        )

    def read_update(self, value: Any, *, who: str, known: Mapping[str, Channel]) -> dict[str, Any]:
        """A node's return value (or the run input) as ``{key: value}`` writes."""
        if value is None:
            return {}
        if self.kind == "root":
            return {ROOT: value}
        if type(value) is dict or isinstance(value, Mapping):
            update = dict(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            update = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        elif _is_pydantic(type(value)):
            update = _pydantic_update(value)
        else:
            raise InvalidUpdateError(
                f"{who} returned {type(value).__name__} {_preview(value)}; a node must return a "
                "dict of state updates such as {'key': value}, a Command, or None"
            )
        unknown = [k for k in update if k not in known]
        if unknown:
            shown = ", ".join(sorted(map(repr, unknown)))
            raise InvalidUpdateError(
                f"{who} wrote unknown state key(s) [{shown}]; the state has "
                f"{sorted(known)}. Add the key to the state schema or fix the name."
            )
        return update

    def read_input(self, value: Any, *, known: Mapping[str, Channel]) -> dict[str, Any]:
        """The graph input as writes: only this (input) schema's keys are taken.

        A key of another schema of the graph is left out, as LangGraph does; a key no
        schema declares is an error.
        """
        update = self.read_update(value, who="the graph input", known=known)
        keys = self.key_set
        if any(k not in keys for k in update):
            update = {k: v for k, v in update.items() if k in keys}
        return update


def _pydantic_update(model: Any) -> dict[str, Any]:
    """The fields of a returned model: all but those left ``None`` and never set.

    A node that changes its state object in place (``state.notes["k"] = v``) and returns
    it keeps its changes, while fields it never touched that are still ``None`` write
    nothing.
    """
    set_fields = model.model_fields_set
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is not None or name in set_fields:
            out[name] = value
    return out


def _annotations_of(cls: type) -> dict[str, Any]:
    try:
        return get_type_hints(cls, include_extras=True)
    except Exception:
        return {}


def _failed_keys(exc: Exception, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The state keys a schema's error is about: pydantic's error locations, else the keys
    the message names."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            found = [e["loc"][0] for e in errors() if e.get("loc")]
        except Exception:
            found = []
        return tuple(dict.fromkeys(str(k) for k in found))
    text = str(exc)
    return tuple(k for k in keys if f"'{k}'" in text)


def _preview(value: Any) -> str:
    text = repr(value)
    return f"({text[:60]}...)" if len(text) > 60 else f"({text})"


def first_param_schema(fn: Any) -> Any:
    """The state class a node's first parameter is annotated with, if it is one."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if not params:
        return None
    try:
        hints = get_type_hints(fn, include_extras=False)
    except Exception:
        return None
    hint = hints.get(params[0].name)
    if hint is not None and (
        is_typeddict(hint)
        or _is_pydantic(hint)
        or (dataclasses.is_dataclass(hint) and isinstance(hint, type))
    ):
        return hint
    return None
