"""Every exception streamgraph raises.

All of them share one root, :class:`StreamGraphError`, and most also derive from the
builtin a user would naturally catch, so ``except ValueError:`` keeps working::

    StreamGraphError
    ├── GraphSetupError (ValueError)            a graph that cannot be compiled or run as built
    │   ├── UnknownNodeError                      an edge or Send names a node that does not exist
    │   ├── UnreachableNodeError                  (kept for ``except`` clauses; not raised)
    │   ├── MissingEntryError                     nothing leaves START
    │   └── InvalidNodeNameError (TypeError)      a name in an edge or path map that is not a str
    ├── InvalidUpdateError (ValueError)         a node wrote something the state cannot take
    │   ├── ReducerError (TypeError)              a key's reducer raised; names key and node
    │   └── StateValidationError (TypeError)      the schema rejected a value; names key, node
    ├── InvalidStreamModeError (ValueError)     an unknown stream mode was asked for
    ├── GraphRecursionError (RecursionError)    the run hit ``recursion_limit``
    ├── MessageCoercionError (ValueError)       input that cannot be turned into a message
    │   └── InvalidMessageError (TypeError)       a message field of the wrong type
    ├── ConfigurationError (ValueError)         a bad option: model, tool or config
    │   └── InvalidConfigError (TypeError)        a run's config of the wrong shape
    ├── MissingDependencyError (ImportError)    an optional extra is not installed
    ├── NotImplementedYetError (ImportError)    a LangGraph name streamgraph does not have yet
    ├── SerializationError (TypeError)          a value a checkpoint cannot store or load exactly
    ├── ToolError (ValueError)                  a tool was given bad arguments or failed
    │   └── ToolInvocationError                   the model's arguments do not fit the tool
    ├── CleanupTimeoutWarning (RuntimeWarning)  a stopped node's cleanup outlasted its grace period
    └── ProviderError                           an LLM provider failed (translated in one place)
        ├── AuthenticationError (PermissionError)
        ├── RateLimitError                        ``retry_after`` in seconds when the provider said
        ├── OverloadedError
        ├── BadRequestError (ValueError)
        ├── ProviderConnectionError (ConnectionError)
        ├── ProviderTimeoutError (TimeoutError)
        ├── StreamInterruptedError                an error event or a cut after tokens were sent
        └── MalformedResponseError (ValueError)   data that breaks the wire format

    RunCancelled (BaseException)                raised inside a sync node whose run was stopped

The classes marked ``(TypeError)`` derive from both builtins (``ValueError`` through their parent),
so code that caught the ``TypeError`` such input used to raise keeps working.

A user's exception raised in a node is never wrapped: it reaches the caller as the same
object, with the node's name recorded in ``exc.streamgraph_node``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "CleanupTimeoutWarning",
    "ConfigurationError",
    "GraphRecursionError",
    "GraphSetupError",
    "InvalidConfigError",
    "InvalidMessageError",
    "InvalidNodeNameError",
    "InvalidStreamModeError",
    "InvalidUpdateError",
    "MalformedResponseError",
    "MessageCoercionError",
    "MissingDependencyError",
    "MissingEntryError",
    "NotImplementedYetError",
    "OverloadedError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeoutError",
    "RateLimitError",
    "ReducerError",
    "RunCancelled",
    "SerializationError",
    "StateValidationError",
    "StreamGraphError",
    "StreamInterruptedError",
    "ToolError",
    "ToolInvocationError",
    "UnknownNodeError",
    "UnreachableNodeError",
]


class StreamGraphError(Exception):
    """Root of every error streamgraph raises itself."""


class GraphSetupError(StreamGraphError, ValueError):
    """The graph as built cannot be compiled or run; the message says how to fix it."""


class UnknownNodeError(GraphSetupError):
    """An edge, branch, ``Send`` or ``Command`` names a node that was never added."""


class UnreachableNodeError(GraphSetupError):
    """A node that no edge, branch or ``Command`` can ever reach.

    ``compile()`` no longer raises it: a ``Command(goto=...)`` returned by any node (or by
    any function a node calls) may lead to a node no edge reaches, as LangGraph allows, and
    that cannot be judged before the run. The class stays so that code catching it imports.
    """


class MissingEntryError(GraphSetupError):
    """No edge leaves START, so the graph has nowhere to begin."""


class InvalidNodeNameError(GraphSetupError, TypeError):
    """A node name that is not a non-empty ``str``: in ``add_node``, an edge or a path map."""


class InvalidUpdateError(StreamGraphError, ValueError):
    """A node (or the graph input) wrote something the state cannot take (unknown key, not a
    mapping, ...), or a conditional edge returned something that is not a destination."""


class ReducerError(InvalidUpdateError, TypeError):
    """The reducer of a state key raised while folding in a write.

    ``key`` is the state key, ``node`` the node whose write it was (``"the graph input"`` for
    the run's input) and ``__cause__`` the reducer's own exception.
    """

    def __init__(self, message: str, *, key: str, node: str | None) -> None:
        super().__init__(message)
        self.key = key
        self.node = node


class StateValidationError(InvalidUpdateError, TypeError):
    """The state schema (a pydantic model or dataclass) rejected the state's values.

    ``keys`` are the offending state keys (when the schema says), ``node`` the node whose input
    was being built (``None`` for the run's output) and ``writers`` the node that last wrote each
    offending key. The schema's own error (e.g. pydantic's ``ValidationError``) is ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        keys: tuple[str, ...],
        node: str | None,
        writers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.keys = keys
        self.node = node
        self.writers = writers or {}


class InvalidStreamModeError(StreamGraphError, ValueError):
    """A stream mode that does not exist was requested."""


class GraphRecursionError(StreamGraphError, RecursionError):
    """The run took more supersteps than ``recursion_limit`` allows."""


class MessageCoercionError(StreamGraphError, ValueError):
    """A value cannot be turned into a message."""


class InvalidMessageError(MessageCoercionError, TypeError):
    """A message built with a field of the wrong type: an ``id`` that is not a str, content
    that is not text and blocks, a tool call whose ``args`` are not a dict, ..."""


class ConfigurationError(StreamGraphError, ValueError):
    """An option given to a model, tool or run is not valid."""


class InvalidConfigError(ConfigurationError, TypeError):
    """A run's ``config`` that is not a mapping, or holds a value of the wrong type or range
    (``tags`` not a list of str, ``configurable`` not a mapping, ``recursion_limit`` < 1, ...)."""


class MissingDependencyError(StreamGraphError, ImportError):
    """An optional integration was used without its extra installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"{package!r} is not installed; install it with: pip install 'streamgraph[{extra}]'"
        )
        self.package = package
        self.extra = extra


class SerializationError(StreamGraphError, TypeError):
    """A value cannot be stored in a checkpoint, or a stored one cannot be loaded.

    ``path`` points into the state (``messages[3].additional_kwargs["x"]``), ``node`` names
    the node whose write it was when the engine knows it, ``type_name`` is the offending type.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        type_name: str | None = None,
        node: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.type_name = type_name
        self.node = node

    def __str__(self) -> str:
        return (
            self.message if self.node is None else f"{self.message} (written by node {self.node!r})"
        )

    def at(self, prefix: str, *, node: str | None = None) -> SerializationError:
        """The same error with ``prefix`` put before its path (and ``node`` recorded)."""
        return self.moved(prefix + self.path, node=node)

    def moved(self, path: str, *, node: str | None = None) -> SerializationError:
        """The same error pointing at ``path`` (and naming ``node`` when given)."""
        old = self.path or "the value"
        message = self.message.replace(f"store {old}:", f"store {path}:", 1)
        return SerializationError(
            message, path=path, type_name=self.type_name, node=node or self.node
        )


class NotImplementedYetError(StreamGraphError, ImportError):
    """A LangGraph name streamgraph does not implement yet (``from ... import`` raises it)."""


class ToolError(StreamGraphError, ValueError):
    """A tool was called with arguments that do not fit its schema, or could not run."""


class ToolInvocationError(ToolError):
    """The arguments of a tool call do not fit the tool's schema (or are not JSON).

    The one failure ``ToolNode`` turns into an error ToolMessage by default, so the model
    can correct its call; any other exception from a tool ends the run (as in LangGraph).
    """


class ProviderError(StreamGraphError):
    """An LLM provider call failed.

    ``status`` is the HTTP status where there was one, ``provider`` names the provider and
    ``body`` holds the decoded error body the provider sent, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        self.body = body

    def __str__(self) -> str:
        where = f"{self.provider} (HTTP {self.status})" if self.status else self.provider
        return f"{where}: {self.message}"


class AuthenticationError(ProviderError, PermissionError):
    """The provider refused the API key."""


class RateLimitError(ProviderError):
    """The provider rate-limited the call; ``retry_after`` is in seconds when known."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        body: object = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status, body=body)
        self.retry_after = retry_after


class OverloadedError(ProviderError):
    """The provider is overloaded (Anthropic 529, OpenAI 503)."""


class BadRequestError(ProviderError, ValueError):
    """The provider rejected the request as malformed."""


class ProviderConnectionError(ProviderError, ConnectionError):
    """The provider could not be reached, or the connection broke before any token."""


class ProviderTimeoutError(ProviderError, TimeoutError):
    """The provider did not answer within the read timeout."""


class StreamInterruptedError(ProviderError):
    """The stream failed after it had started: an error event or a cut connection."""


class MalformedResponseError(ProviderError, ValueError):
    """The provider sent data that breaks its wire format (invalid JSON or UTF-8, a required
    field missing, a field of the wrong type), in a stream event or a whole reply.

    ``event`` names the stream event (or ``"response"`` for a whole reply) and ``field`` the
    field at fault. Chunks delivered before it stay delivered: the reply seen is partial.
    """

    def __init__(self, message: str, *, provider: str, event: str, field: str) -> None:
        super().__init__(f"malformed {event}: {message}", provider=provider)
        self.event = event
        self.field = field


class CleanupTimeoutWarning(StreamGraphError, RuntimeWarning):
    """Warned by ``close()`` / ``aclose()`` when a stopped async node's cleanup did not
    finish within the graph's ``cleanup_grace`` and was cancelled again.

    The message names the nodes; give them more time with ``compile(cleanup_grace=...)``.
    """


class RunCancelled(BaseException):
    """Raised inside a sync node when its run was stopped by the consumer.

    It derives from ``BaseException`` so that ``except Exception`` in user code does not
    swallow it; the run has already ended and whatever the node returns is discarded.
    """


if not TYPE_CHECKING:  # type checkers keep flagging unknown names

    def __getattr__(name: str) -> object:
        """LangGraph names not implemented yet raise ``NotImplementedYetError``."""
        if name.startswith("__"):  # the import system probes `__path__` and the like
            raise AttributeError(name)
        from streamgraph._not_yet import not_yet

        not_yet(__name__, name)
