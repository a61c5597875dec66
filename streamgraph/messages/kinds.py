"""The message kinds other than AI replies: human, system, tool, chat and remove.

>>> HumanMessage("What is 2 + 2?").type
'human'
>>> ToolMessage("4", tool_call_id="call_1").tool_calls
[]
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID

from streamgraph.errors import InvalidMessageError
from streamgraph.messages.base import BaseMessage, MessageContent
from streamgraph.messages.checks import checked_fields, shown

__all__ = [
    "REMOVE_ALL_MESSAGES",
    "ChatMessage",
    "HumanMessage",
    "RemoveMessage",
    "SystemMessage",
    "ToolMessage",
]

REMOVE_ALL_MESSAGES = "__remove_all__"
"""The id of a :class:`RemoveMessage` that clears every message before it."""


class HumanMessage(BaseMessage):
    """A message from the user.

    >>> HumanMessage("hi", name="ada").name
    'ada'
    """

    __slots__ = ()
    type: ClassVar[str] = "human"


class SystemMessage(BaseMessage):
    """Instructions for the model.

    >>> SystemMessage("Answer briefly.").text
    'Answer briefly.'
    """

    __slots__ = ()
    type: ClassVar[str] = "system"


class ChatMessage(BaseMessage):
    """A message with an arbitrary ``role``.

    >>> ChatMessage("ok", role="critic").role
    'critic'
    """

    __slots__ = ("role",)
    type: ClassVar[str] = "chat"
    _extra_fields: ClassVar[tuple[str, ...]] = ("role",)

    role: str

    def __init__(
        self,
        content: MessageContent = "",
        *,
        role: str,
        id: str | None = None,
        name: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            content,
            id=id,
            name=name,
            additional_kwargs=additional_kwargs,
            response_metadata=response_metadata,
        )
        if not isinstance(role, str):
            raise InvalidMessageError(
                f"a ChatMessage role must be a str such as 'critic', got {shown(role)}"
            )
        self.role = role


class RemoveMessage(BaseMessage):
    """Asks :func:`add_messages` to delete the message with this ``id``.

    Its content is always empty. ``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` deletes everything.

    >>> RemoveMessage(id="m1").id
    'm1'
    """

    __slots__ = ()
    type: ClassVar[str] = "remove"

    id: str

    def __init__(
        self,
        id: str,
        *,
        name: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(id, str):
            raise InvalidMessageError(
                f"RemoveMessage needs the str id of the message to remove, got {shown(id)}; "
                "pass RemoveMessage(id=message.id), or id=REMOVE_ALL_MESSAGES to remove all"
            )
        super().__init__(
            "",
            id=id,
            name=name,
            additional_kwargs=additional_kwargs,
            response_metadata=response_metadata,
        )


class ToolMessage(BaseMessage):
    """The result of running one tool, sent back to the model.

    ``tool_call_id`` names the call it answers. Content that is neither a string nor a list is
    turned into a string, so a tool may return a number or an object.

    >>> ToolMessage("42", tool_call_id="call_1").status
    'success'
    """

    __slots__ = ("artifact", "status", "tool_call_id")
    type: ClassVar[str] = "tool"
    _extra_fields: ClassVar[tuple[str, ...]] = ("tool_call_id", "artifact", "status")

    tool_call_id: str
    status: Literal["success", "error"]
    artifact: Any

    def __init__(
        self,
        content: MessageContent | Any = "",
        *,
        tool_call_id: str,
        status: Literal["success", "error"] = "success",
        artifact: Any = None,
        id: str | None = None,
        name: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(content, str):
            if isinstance(content, (list, tuple)):
                content = [x if isinstance(x, (str, dict)) else str(x) for x in content]
            else:
                content = str(content)
        content, id, additional_kwargs, response_metadata = checked_fields(
            "ToolMessage", content, id, name, additional_kwargs, response_metadata, deep=True
        )
        if not isinstance(tool_call_id, (str, int, float, UUID)) or isinstance(tool_call_id, bool):
            raise InvalidMessageError(
                f"a ToolMessage needs the str id of the tool call it answers, got "
                f"{shown(tool_call_id)}; pass tool_call_id=call['id']"
            )
        if status not in ("success", "error"):
            raise InvalidMessageError(
                f"a ToolMessage status must be 'success' or 'error', got {shown(status)}"
            )
        self.content = content
        self.id = id
        self.name = name
        self._additional_kwargs = additional_kwargs
        self._response_metadata = response_metadata
        self.tool_call_id = tool_call_id if isinstance(tool_call_id, str) else str(tool_call_id)
        self.status = status
        self.artifact = artifact
