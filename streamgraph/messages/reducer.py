"""``add_messages``: the reducer behind a state's ``messages`` key.

>>> from streamgraph.messages import AIMessage, HumanMessage
>>> history = add_messages([HumanMessage("hi", id="1")], AIMessage("hello", id="2"))
>>> [m.id for m in history]
['1', '2']
>>> add_messages(history, AIMessage("hello again", id="2"))[1].content
'hello again'
"""

from __future__ import annotations

from typing import Any, cast

from streamgraph._ids import new_id
from streamgraph.errors import MessageCoercionError
from streamgraph.messages.ai import message_chunk_to_message
from streamgraph.messages.base import BaseMessage, BaseMessageChunk
from streamgraph.messages.convert import AnyMessage, coerce_to_message
from streamgraph.messages.kinds import REMOVE_ALL_MESSAGES, RemoveMessage
from streamgraph.messages.langchain import (
    is_langchain_message,
    langchain_whole,
    to_langchain_message,
)

__all__ = ["add_messages", "coerce_message_update"]


def coerce_message_update(value: Any, *, langchain: bool = False) -> list[AnyMessage]:
    """Turn what a node wrote into messages, ready for :func:`add_messages`.

    ``value`` is one message-like or a list of them. Chunks become whole messages, and every
    message without an id gets a fresh uuid, set on the message object itself. Messages that are
    already whole and have an id come back as the same objects, so passing the result on to
    :func:`add_messages` keeps them as they are. A ``langchain_core`` message stays one; with
    ``langchain=True`` (a key annotated with LangChain's classes) everything else becomes one too.

    >>> [m.type for m in coerce_message_update([("user", "hi"), ("ai", "hello")])]
    ['human', 'ai']
    """
    if isinstance(value, list):
        for message in value:
            if not _ready(message, langchain):
                break
        else:
            return list(value)  # the common case: a history of whole messages with ids
    items = value if isinstance(value, list) else _as_list(value)
    messages: list[Any] = []
    for item in items:
        if is_langchain_message(item):
            message = langchain_whole(item)
        else:
            message = message_chunk_to_message(coerce_to_message(item))
            if langchain and not isinstance(message, RemoveMessage):
                message = to_langchain_message(message)
        if message.id is None:
            message.id = new_id()
        messages.append(message)
    return cast("list[AnyMessage]", messages)


def _as_list(value: Any) -> list[Any]:
    """One message-like, or a tuple of them, as a list of message-likes."""
    if isinstance(value, tuple) and not (value and isinstance(value[0], str)):
        return list(value)
    return [value]


def _ready(message: Any, langchain: bool) -> bool:
    if isinstance(message, BaseMessage):
        return (
            not langchain and not isinstance(message, BaseMessageChunk) and message.id is not None
        )
    return (
        is_langchain_message(message)
        and message.id is not None
        and not type(message).__name__.endswith("Chunk")
    )


def _is_remove(message: Any) -> bool:
    return isinstance(message, RemoveMessage) or (
        type(message).__name__ == "RemoveMessage" and is_langchain_message(message)
    )


def add_langchain_messages(left: Any, right: Any) -> list[AnyMessage]:
    """:func:`add_messages` for a key annotated with ``langchain_core`` message classes: what
    is written becomes LangChain messages (tuples, dicts and ours alike)."""
    return _add(left, right, langchain=True)


add_langchain_messages.__streamgraph_messages__ = True  # type: ignore[attr-defined]


def add_messages(left: Any, right: Any) -> list[AnyMessage]:
    """Merge ``right`` into ``left`` and return the new list; ``left`` is not changed.

    Both sides may be one message-like or a list of them (see :func:`coerce_message_update`).
    A message whose id is already present replaces that message where it stands; any other is
    appended. ``RemoveMessage(id=X)`` deletes message ``X`` (and raises
    :class:`~streamgraph.errors.MessageCoercionError` when there is none), while
    ``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` drops everything before it, so the result is just
    what follows it in ``right``.

    >>> from streamgraph.messages import HumanMessage, RemoveMessage
    >>> add_messages([HumanMessage("a", id="1"), HumanMessage("b", id="2")], RemoveMessage(id="1"))
    [HumanMessage(content='b', id='2')]
    """
    return _add(left, right, langchain=False)


def _add(left: Any, right: Any, *, langchain: bool) -> list[AnyMessage]:
    current = coerce_message_update([] if left is None else left, langchain=langchain)
    updates = coerce_message_update(right, langchain=langchain)
    first = not current and len({u.id for u in updates}) == len(updates)
    if first and not any(_is_remove(u) for u in updates):
        return updates  # a first write (a run's input) with distinct ids: nothing to merge
    for position in range(len(updates) - 1, -1, -1):
        update = updates[position]
        if _is_remove(update) and update.id == REMOVE_ALL_MESSAGES:
            return updates[position + 1 :]

    merged: list[AnyMessage] = list(current)
    where = {m.id: i for i, m in enumerate(merged)}
    removed: set[str | None] = set()
    for update in updates:
        found = where.get(update.id)
        if _is_remove(update):
            if found is None:
                raise MessageCoercionError(
                    f"cannot remove message {update.id!r}: no message with that id exists"
                )
            removed.add(update.id)
        elif found is None:
            where[update.id] = len(merged)
            merged.append(update)
        else:
            removed.discard(update.id)
            merged[found] = update
    if removed:
        merged = [m for m in merged if m.id not in removed]
    return merged
