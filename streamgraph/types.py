"""Shared vocabulary: stream modes, Send, Command, RetryPolicy, stream parts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from streamgraph._compat import TypedDict

__all__ = [
    "STREAM_MODES",
    "Command",
    "RetryPolicy",
    "Send",
    "StreamMode",
    "StreamPart",
    "StreamWriter",
    "default_retry_on",
    "interrupt",
]

StreamMode = Literal["values", "updates", "messages", "custom", "tasks", "debug", "checkpoints"]
STREAM_MODES: tuple[str, ...] = (
    "values",
    "updates",
    "messages",
    "custom",
    "tasks",
    "debug",
    "checkpoints",
)

StreamWriter = Callable[[Any], None]
"""Writes one value to the ``custom`` stream of the current run."""

N = TypeVar("N", bound=str)


class StreamPart(TypedDict):
    """One item of ``stream(..., version="v2")``."""

    type: str
    ns: tuple[str, ...]
    data: Any


class Send:
    """Run ``node`` once more in the next step with ``arg`` as its whole input.

    Returned from a conditional edge (alone or in a list) to fan out::

        def fan_out(state):
            return [Send("summarise", {"doc": d}) for d in state["docs"]]
    """

    __slots__ = ("arg", "node")

    def __init__(self, node: str, arg: Any) -> None:
        self.node = node
        self.arg = arg

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Send) and (self.node, self.arg) == (other.node, other.arg)

    def __hash__(self) -> int:
        return hash(self.node)

    def __repr__(self) -> str:
        return f"Send(node={self.node!r}, arg={self.arg!r})"


@dataclasses.dataclass(frozen=True)
class Command(Generic[N]):
    """Returned from a node to update the state and choose where to go next::

        def route(state) -> Command[Literal["writer"]]:
            return Command(update={"plan": "..."}, goto="writer")

    ``goto`` takes a node name, a ``Send``, or a sequence of them. ``graph=Command.PARENT``
    sends the command to the graph that runs this one as a node.
    """

    graph: str | None = None
    update: Any = None
    resume: Any = None
    goto: str | Send | Sequence[str | Send] = ()

    PARENT: ClassVar[str] = "__parent__"

    def goto_targets(self) -> list[str | Send]:
        """``goto`` as a list."""
        if isinstance(self.goto, (str, Send)):
            return [self.goto]
        return list(self.goto)


_NO_RETRY = (
    ValueError,
    TypeError,
    ArithmeticError,
    ImportError,
    LookupError,
    NameError,
    SyntaxError,
    RuntimeError,
    ReferenceError,
    StopIteration,
    StopAsyncIteration,
    OSError,
)


def default_retry_on(exc: BaseException) -> bool:
    """Retry transient failures: provider overload, rate limits, timeouts, broken streams.

    Programming errors (``ValueError``, ``TypeError``, ``KeyError``, ...) are not retried.
    """
    from streamgraph.errors import (
        OverloadedError,
        ProviderConnectionError,
        ProviderTimeoutError,
        RateLimitError,
        StreamInterruptedError,
    )

    transient = (
        OverloadedError,
        RateLimitError,
        ProviderConnectionError,
        ProviderTimeoutError,
        StreamInterruptedError,
        ConnectionError,
        TimeoutError,
    )
    if isinstance(exc, transient):
        return True
    return not isinstance(exc, _NO_RETRY)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How a node is retried when it raises.

    Each retry streams under a new message id; the failed attempt's tokens stay delivered.
    """

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: (
        type[BaseException] | Sequence[type[BaseException]] | Callable[[BaseException], bool]
    ) = default_retry_on

    def should_retry(self, exc: BaseException) -> bool:
        """Whether ``exc`` is one this policy retries."""
        rule = self.retry_on
        if isinstance(rule, type):
            return isinstance(exc, rule)
        if isinstance(rule, Sequence):
            return isinstance(exc, tuple(rule))
        check: Callable[[BaseException], bool] = rule
        return bool(check(exc))

    def interval(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        import random

        wait = min(self.max_interval, self.initial_interval * self.backoff_factor ** (attempt - 1))
        if self.jitter:
            wait += random.uniform(0, 1)
        return wait


def interrupt(value: Any) -> Any:
    """Pause the run for human input. Needs a checkpointer to resume from.

    This version of streamgraph has no persistence, so there is nothing to resume from:
    calling it raises ``ConfigurationError``, as LangGraph does without a checkpointer.
    """
    from streamgraph.errors import ConfigurationError

    raise ConfigurationError(
        "interrupt() needs a checkpointer to resume the run from, and this version of "
        f"streamgraph has no persistence; the value was {value!r}"
    )


if not TYPE_CHECKING:  # type checkers keep flagging unknown names

    def __getattr__(name: str) -> object:
        """LangGraph names not implemented yet raise ``NotImplementedYetError``."""
        if name.startswith("__"):  # the import system probes `__path__` and the like
            raise AttributeError(name)
        from streamgraph._not_yet import not_yet

        not_yet(__name__, name)
