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
from streamgraph.messages.convert import AnyMessage, convert_to_messages
from streamgraph.messages.kinds import REMOVE_ALL_MESSAGES, RemoveMessage

__all__ = ["add_messages", "coerce_message_update"]


def coerce_message_update(value: Any) -> list[AnyMessage]:
    """Turn what a node wrote into messages, ready for :func:`add_messages`.

    ``value`` is one message-like or a list of them. Chunks become whole messages, and every
    message without an id gets a fresh uuid, set on the message object itself. Messages that are
    already whole and have an id come back as the same objects, so passing the result on to
    :func:`add_messages` keeps them as they are.

    >>> [m.type for m in coerce_message_update([("user", "hi"), ("ai", "hello")])]
    ['human', 'ai']
    """
    if isinstance(value, list):
        for message in value:
            if not _ready(message):
                break
        else:
            return list(value)  # the common case: a history of whole messages with ids
    messages = [message_chunk_to_message(m) for m in convert_to_messages(value)]
    for message in messages:
        if message.id is None:
            message.id = new_id()
    return cast("list[AnyMessage]", messages)


def _ready(message: Any) -> bool:
    return (
        isinstance(message, BaseMessage)
        and not isinstance(message, BaseMessageChunk)
        and message.id is not None
    )


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
    current = coerce_message_update([] if left is None else left)
    updates = coerce_message_update(right)
    first = not current and len({u.id for u in updates}) == len(updates)
    if first and not any(isinstance(u, RemoveMessage) for u in updates):
        return updates  # a first write (a run's input) with distinct ids: nothing to merge
    for position in range(len(updates) - 1, -1, -1):
        update = updates[position]
        if isinstance(update, RemoveMessage) and update.id == REMOVE_ALL_MESSAGES:
            return updates[position + 1 :]

    merged: list[AnyMessage] = list(current)
    where = {m.id: i for i, m in enumerate(merged)}
    removed: set[str | None] = set()
    for update in updates:
        found = where.get(update.id)
        if isinstance(update, RemoveMessage):
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
