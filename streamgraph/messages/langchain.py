"""``langchain_core`` messages beside ours, without importing ``langchain_core`` up front.

A LangChain message is recognised by where its class (or a base class) is defined. In a
graph's state it stays what it is (a LangChain ``HumanMessage`` stays one); a model of ours
reads it through :func:`from_langchain`. A state key annotated with LangChain's message classes
(``list[langchain_core.messages.AnyMessage]``) holds LangChain messages only: tuples, dicts and
our messages written to it become LangChain's (:func:`to_langchain_message`), the one place
that imports ``langchain_core``, and only once such a key exists.
"""

from __future__ import annotations

from typing import Any, get_args

from streamgraph.errors import MessageCoercionError
from streamgraph.messages.base import BaseMessage
from streamgraph.messages.json import MESSAGE_CLASSES, message_from_dict

__all__ = ["from_langchain"]

_FIELDS = (
    "content",
    "id",
    "name",
    "additional_kwargs",
    "response_metadata",
    "tool_calls",
    "invalid_tool_calls",
    "usage_metadata",
    "tool_call_chunks",
    "tool_call_id",
    "artifact",
    "status",
    "role",
)


def is_langchain_message(value: object) -> bool:
    """Whether ``value`` looks like a ``langchain_core`` message (has ``type`` and ``content``
    and a class defined under ``langchain_core``)."""
    return _langchain_class(type(value)) and hasattr(value, "content")


_CLASSES: dict[type, bool] = {}
"""Whether each class seen so far is a LangChain message class (a lookup per message)."""


def _langchain_class(cls: type) -> bool:
    found = _CLASSES.get(cls)
    if found is None:
        found = _CLASSES[cls] = any(
            getattr(klass, "__module__", "").startswith("langchain_core.messages")
            for klass in cls.__mro__
        )
    return found


def names_langchain_messages(hint: Any) -> bool:
    """Whether a type hint names ``langchain_core`` message classes (``list[AnyMessage]``,
    ``list[BaseMessage]``, ``Sequence[HumanMessage | AIMessage]``, ...)."""
    seen: set[int] = set()
    stack = [hint]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, type) and _langchain_class(item):
            return True
        stack.extend(get_args(item))
        origin = getattr(item, "__origin__", None)
        if origin is not None and origin is not item:
            stack.append(origin)
    return False


def langchain_whole(message: Any) -> Any:
    """A LangChain message as a whole message: a chunk becomes its message class."""
    if type(message).__name__.endswith("Chunk"):
        from langchain_core.messages import message_chunk_to_message

        return message_chunk_to_message(message)
    return message


def to_langchain_message(message: BaseMessage) -> Any:
    """The ``langchain_core`` equivalent of one of our messages (a chunk becomes whole).

    Raises :class:`~streamgraph.errors.MissingDependencyError` without the ``langchain`` extra.
    """
    try:
        from langchain_core.messages import utils as lc_utils
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        from streamgraph.errors import MissingDependencyError

        raise MissingDependencyError("langchain-core", "langchain") from exc
    from streamgraph.messages.ai import message_chunk_to_message
    from streamgraph.messages.json import message_to_dict

    data = message_to_dict(message_chunk_to_message(message))
    return lc_utils.messages_from_dict([{"type": data["type"], "data": data}])[0]


def from_langchain(message: Any) -> BaseMessage:
    """The streamgraph equivalent of a ``langchain_core`` message.

    Containers are copied, so changing one message does not change the other. LangChain chunk
    kinds other than AI chunks become whole messages.

    >>> class FakeHuman:  # stands in for langchain_core.messages.HumanMessage
    ...     type, content, id = "human", "hi", "m1"
    >>> from_langchain(FakeHuman())
    HumanMessage(content='hi', id='m1')
    """
    kind = getattr(message, "type", None)
    if not isinstance(kind, str) or kind not in MESSAGE_CLASSES:
        known = ", ".join(repr(k) for k in MESSAGE_CLASSES)
        raise MessageCoercionError(
            f"cannot convert a LangChain message of type {kind!r}; supported types: {known}"
        )
    data: dict[str, Any] = {"type": kind}
    for field in _FIELDS:
        value = getattr(message, field, None)
        if value is not None:
            data[field] = value
    return message_from_dict(data)
