"""Whole messages in ``messages`` mode: the ones a node returns, each delivered once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from streamgraph.engine.channels import Channel, add_context
from streamgraph.engine.context import FrozenMetadata, TaskContext
from streamgraph.errors import StreamGraphError
from streamgraph.messages import BaseMessage, coerce_message_update
from streamgraph.messages.langchain import is_langchain_message
from streamgraph.messages.reducer import add_langchain_messages

__all__ = ["MessageKeys", "coerce_message_writes", "emit_returned_messages", "message_metadata"]


class MessageKeys(frozenset[str]):
    """The state keys that hold message lists; ``langchain`` names those holding LangChain's
    classes only (keys annotated with ``langchain_core`` message types)."""

    langchain: frozenset[str]

    @classmethod
    def of(cls, channels: Mapping[str, Channel]) -> MessageKeys:
        keys = cls(k for k, ch in channels.items() if ch.is_messages)
        keys.langchain = frozenset(
            k for k in keys if getattr(channels[k], "reducer", None) is add_langchain_messages
        )
        return keys


def message_metadata(ctx: TaskContext, extra: dict[str, Any] | None = None) -> FrozenMetadata:
    """Metadata for a message made by ``ctx``'s node: user keys first, ours win.

    ``ls_integration`` is ``"langgraph"``, as LangGraph marks the messages a node returns.
    """
    meta = {
        "ls_integration": "langgraph",
        **ctx.user_metadata,
        **(extra or {}),
        **ctx.base_metadata,
        "tags": ctx.frozen_tags,
    }
    return FrozenMetadata(meta)


def coerce_message_writes(
    writes: dict[str, Any], message_keys: Iterable[str], who: str
) -> dict[str, Any]:
    """Turn the values written by ``who`` to message keys into messages with ids, once.

    The reducer later receives these same objects, so the id a message is streamed
    under is the id it keeps in the state.
    """
    keys = [k for k in message_keys if k in writes]
    if not keys:
        return writes
    langchain = getattr(message_keys, "langchain", ())
    out = dict(writes)
    for key in keys:
        try:
            out[key] = coerce_message_update(writes[key], langchain=key in langchain)
        except StreamGraphError as exc:
            add_context(exc, f"state key {key!r}, written by {who}")
            raise
    return out


def emit_returned_messages(
    ctx: TaskContext, writes: dict[str, Any], message_keys: Iterable[str]
) -> dict[str, Any]:
    """Deliver each message a node returned whose id this stream has not seen yet."""
    run = ctx.run
    if not run.capture:
        return writes
    writes = coerce_message_writes(writes, message_keys, f"node {ctx.node!r}")
    fresh: list[Any] = []
    for value in writes.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if (
                (isinstance(item, BaseMessage) or is_langchain_message(item))
                and item.type != "remove"
                and (item.id is None or item.id not in run.seen_ids)
            ):
                if item.id is not None:
                    run.mark_seen(item.id)
                fresh.append(item)
    if fresh:
        meta = message_metadata(ctx)
        sink = run.message_sink(ctx.ns)
        for message in fresh:
            sink((message, meta))
    return writes
