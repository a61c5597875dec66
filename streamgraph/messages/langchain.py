"""Reading ``langchain_core`` messages without importing ``langchain_core``.

A LangChain message is recognised by where its class (or a base class) is defined and read
through its attributes, so code that still builds LangChain messages keeps working.
"""

from __future__ import annotations

from typing import Any

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
    if not (hasattr(value, "type") and hasattr(value, "content")):
        return False
    return any(
        getattr(cls, "__module__", "").startswith("langchain_core.") for cls in type(value).__mro__
    )


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
