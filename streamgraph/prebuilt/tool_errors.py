"""What ToolNode does with an exception from a tool: the ``handle_tool_errors`` option.

- ``ToolInvocationError`` (default): only arguments that do not fit the tool become an
  error ToolMessage; any other exception ends the run (LangGraph 1.x's default);
- ``True``: every ``Exception`` becomes an error ToolMessage with the reason;
- ``False``: the exception propagates and ends the run;
- a string: that text is the ToolMessage content;
- a function ``(exc) -> str``: it builds the content; when its first parameter is annotated
  with exception types (``def f(e: ValueError | KeyError)``), only those are handled;
- an exception type or a tuple of them: only those are handled, with the default text.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias, Union, get_args, get_origin

from streamgraph.errors import ConfigurationError, ToolError

__all__ = ["ErrorPolicy", "HandleToolErrors", "default_error_text"]

HandleToolErrors: TypeAlias = (
    bool | str | Callable[..., str] | type[Exception] | tuple[type[Exception], ...]
)


def default_error_text(exc: BaseException) -> str:
    """The reason a call failed, phrased for the model to correct its next call."""
    if isinstance(exc, ToolError):
        reason = str(exc)
    else:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"Error: {reason}\nFix the call and try again."


@dataclass(frozen=True, slots=True)
class ErrorPolicy:
    """Which exceptions become error ToolMessages, and how their text is made."""

    handled: tuple[type[BaseException], ...]
    text: Callable[[BaseException], str]

    @classmethod
    def from_option(cls, option: HandleToolErrors) -> ErrorPolicy:
        """Read the ``handle_tool_errors`` option (see the module docstring)."""
        if option is True:
            return cls((Exception,), default_error_text)
        if option is False:
            return cls((), default_error_text)
        if isinstance(option, str):
            fixed = option
            return cls((Exception,), lambda exc: fixed)
        if isinstance(option, type) and issubclass(option, Exception):
            return cls((option,), default_error_text)
        if isinstance(option, tuple) and all(_is_exception_type(t) for t in option):
            return cls(option, default_error_text)
        if callable(option):
            builder: Callable[..., Any] = option
            return cls(_handled_by(builder), lambda exc: str(builder(exc)))
        raise ConfigurationError(
            "handle_tool_errors must be True, False, a string, a function (exc) -> str, or "
            f"exception types; got {option!r}"
        )

    def message_for(self, exc: Exception) -> str:
        """The ToolMessage text for ``exc``; re-raises it when this policy does not handle it."""
        if not isinstance(exc, self.handled):
            raise exc
        return self.text(exc)


def _is_exception_type(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, Exception)


def _handled_by(func: Callable[..., Any]) -> tuple[type[BaseException], ...]:
    """The exception types named by the first parameter's annotation, else ``Exception``."""
    try:
        params = list(inspect.signature(func).parameters.values())
        hints = typing.get_type_hints(func)
    except (TypeError, ValueError, NameError):
        return (Exception,)
    if not params or params[0].name not in hints:
        return (Exception,)
    annotation = hints[params[0].name]
    members = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
    candidates = members or (annotation,)
    found = tuple(t for t in candidates if _is_exception_type(t))
    return found if found and len(found) == len(candidates) else (Exception,)
