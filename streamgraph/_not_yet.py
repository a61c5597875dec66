"""LangGraph names streamgraph does not implement yet, and the error that says so.

Each public module that mirrors a LangGraph module looks up unknown attributes here, so
``from streamgraph.types import Interrupt`` raises
:class:`~streamgraph.errors.NotImplementedYetError` (an ``ImportError``) that names what is
missing, instead of a bare ``AttributeError``.
"""

from __future__ import annotations

from typing import NoReturn

from streamgraph.errors import NotImplementedYetError

__all__ = ["NOT_YET", "not_yet"]

_PERSISTENCE = "it belongs to persistence (checkpointers, interrupts and stores), not there yet"

NOT_YET: dict[str, dict[str, str]] = {
    "streamgraph.graph": {
        "MessageGraph": "LangGraph 1.0 deprecated it; use StateGraph(MessagesState)",
    },
    "streamgraph.types": {
        "CachePolicy": "node caching is not there yet",
        "Checkpointer": _PERSISTENCE,
        "Durability": _PERSISTENCE,
        "Interrupt": _PERSISTENCE,
        "Overwrite": "writing past a key's reducer is not there yet",
        "StateSnapshot": _PERSISTENCE,
        "StateUpdate": _PERSISTENCE,
        "TimeoutPolicy": "node timeouts are not there yet",
    },
    "streamgraph.prebuilt": {
        "InjectedStore": _PERSISTENCE,
        "ToolCallTransformer": "it is not there yet",
        "ToolRuntime": "use InjectedState, InjectedToolCallId and get_stream_writer() instead",
        "ValidationNode": "it is not there yet",
    },
    "streamgraph.config": {
        "get_store": _PERSISTENCE,
    },
    "streamgraph.errors": {
        "GraphInterrupt": _PERSISTENCE,
        "NodeInterrupt": _PERSISTENCE,
        "NodeTimeoutError": "node timeouts are not there yet",
    },
}
"""For each of our modules: the LangGraph names it lacks, and why."""


def not_yet(module: str, name: str) -> NoReturn:
    """Raise for ``module.name``: :class:`NotImplementedYetError` for a LangGraph name we
    lack, the usual ``AttributeError`` for any other."""
    why = NOT_YET.get(module, {}).get(name)
    if why is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    theirs = module.replace("streamgraph", "langgraph", 1)
    raise NotImplementedYetError(
        f"{theirs}.{name} is not implemented in streamgraph yet ({module}.{name}): {why}",
        name=name,
    )
