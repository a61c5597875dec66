"""``add_messages`` and ``MessagesState``: the message-list state most chat graphs use."""

from __future__ import annotations

from typing import Annotated

from streamgraph._compat import TypedDict
from streamgraph.messages import AnyMessage, add_messages

__all__ = ["MessagesState", "add_messages"]


class MessagesState(TypedDict):
    """A state with one key, ``messages``, merged by :func:`add_messages`::

    class State(MessagesState):
        summary: str
    """

    messages: Annotated[list[AnyMessage], add_messages]
