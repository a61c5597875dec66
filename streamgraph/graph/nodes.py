"""Node and branch specs: what the builder learns about a callable once, at add time."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from streamgraph.types import RetryPolicy

__all__ = ["Branch", "NodeSpec", "inspect_callable"]

_INJECTABLE = ("config", "writer", "runtime")


def _unwrap(fn: Any) -> Any:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def is_async_callable(fn: Any) -> bool:
    """Whether calling ``fn`` gives a coroutine (functions, partials, objects with __call__)."""
    target = _unwrap(fn)
    if inspect.iscoroutinefunction(target):
        return True
    call = getattr(target, "__call__", None)  # noqa: B004 - we want the method itself
    return call is not None and inspect.iscoroutinefunction(call)


def inspect_callable(fn: Any) -> tuple[bool, frozenset[str]]:
    """``(is_async, injected parameter names)`` of a node or path function."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return is_async_callable(fn), frozenset()
    names = {
        name
        for name, p in params.items()
        if name in _INJECTABLE
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and name != next(iter(params))
    }
    return is_async_callable(fn), frozenset(names)


@dataclass
class NodeSpec:
    """One node as added: its callable and what it asks to receive."""

    name: str
    fn: Callable[..., Any]
    is_async: bool
    inject: frozenset[str]
    input_schema: Any
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None
    subgraph: Any = None
    destinations: tuple[str, ...] = ()


@dataclass
class Branch:
    """A conditional edge: ``path(state)`` names where to go, maybe through ``path_map``."""

    source: str
    path: Callable[..., Any]
    path_map: dict[Hashable, str] | None
    is_async: bool
    inject: frozenset[str]
    input_schema: Any = None  # a StateSchema when the path's first parameter names one

    def targets(self) -> list[str] | None:
        """The nodes this branch can reach, when statically known."""
        if self.path_map is not None:
            return list(self.path_map.values())
        return _literal_targets(self.path)


def _literal_targets(fn: Any) -> list[str] | None:
    import typing

    try:
        hint = typing.get_type_hints(_unwrap(fn)).get("return")
    except Exception:
        return None
    if typing.get_origin(hint) is typing.Literal:
        return [str(a) for a in typing.get_args(hint)]
    return None
