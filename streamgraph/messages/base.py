"""The fields and behaviour every message shares.

Messages are plain mutable objects with ``__slots__``: one is built per streamed token, so
construction does no validation and no copying. Two messages are equal when they are of the
same class and every field is equal.

>>> from streamgraph.messages import HumanMessage
>>> HumanMessage("hi", id="1") == HumanMessage("hi", id="1")
True
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

    from streamgraph._compat import Self
    from streamgraph.messages.tool_calls import ToolCall

__all__ = ["BaseMessage", "BaseMessageChunk", "MessageContent"]

MessageContent: TypeAlias = str | list[str | dict[str, Any]]
"""What ``content`` holds: text, or a list of text pieces and content blocks."""

_TITLE_WIDTH = 80


class BaseMessage:
    """Base of every message.

    ``content`` may be given positionally, everything else by keyword; containers left out are
    fresh per message. Containers that are passed in are kept as they are, not copied.

    >>> from streamgraph.messages import AIMessage
    >>> AIMessage("Hello", id="run-1").text
    'Hello'
    """

    __slots__ = ("additional_kwargs", "content", "id", "name", "response_metadata")

    type: ClassVar[str] = "base"
    """The message kind, as it appears in a dumped message's ``"type"`` key."""

    _extra_fields: ClassVar[tuple[str, ...]] = ()
    """Fields that a subclass adds, in the order a dump lists them."""

    _fields: ClassVar[tuple[str, ...]] = (
        "content",
        "additional_kwargs",
        "response_metadata",
        "name",
        "id",
    )

    content: MessageContent
    id: str | None
    name: str | None
    additional_kwargs: dict[str, Any]
    response_metadata: dict[str, Any]

    def __init__(
        self,
        content: MessageContent = "",
        *,
        id: str | None = None,
        name: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
    ) -> None:
        self.content = content
        self.id = id
        self.name = name
        self.additional_kwargs = {} if additional_kwargs is None else additional_kwargs
        self.response_metadata = {} if response_metadata is None else response_metadata

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = (*BaseMessage._fields, *cls._extra_fields)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every field of this class, in dump order (``type`` aside)."""
        return cls._fields

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Tool calls the message asks for; always empty except on AI messages."""
        return []

    @property
    def text(self) -> str:
        """The message's text: ``content`` itself, or its text pieces and text blocks joined."""
        content = self.content
        if isinstance(content, str):
            return content
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif block.get("type") == "text" and isinstance(block.get("text"), str):
                parts.append(block["text"])
        return "".join(parts)

    @property
    def reasoning(self) -> str:
        """The model's reasoning: ``additional_kwargs["reasoning_content"]`` followed by the text
        of any thinking or reasoning blocks in ``content``."""
        head = self.additional_kwargs.get("reasoning_content", "")
        parts = [head if isinstance(head, str) else ""]
        if not isinstance(self.content, str):
            parts.extend(_block_reasoning(block) for block in self.content)
        return "".join(parts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseMessage):
            return NotImplemented
        if type(other) is not type(self):
            return False
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = [f"content={self.content!r}"]
        for field in self.field_names()[1:]:
            value = getattr(self, field)
            if value is None or value == {} or value == [] or (field, value) == _DEFAULT_STATUS:
                continue
            shown.append(f"{field}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def model_dump(self) -> dict[str, Any]:
        """The message as a plain dict, the same as :func:`message_to_dict`."""
        from streamgraph.messages.json import message_to_dict

        return message_to_dict(self)

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy of the message with the fields in ``update`` replaced.

        >>> from streamgraph.messages import HumanMessage
        >>> HumanMessage("hi").model_copy(update={"content": "bye"}).content
        'bye'
        """
        clone = object.__new__(type(self))
        for field in self.field_names():
            value = getattr(self, field)
            setattr(clone, field, copy.deepcopy(value) if deep else value)
        for field, value in (update or {}).items():
            if field not in self.field_names():
                raise AttributeError(f"{type(self).__name__} has no field {field!r}")
            setattr(clone, field, value)
        return clone

    def pretty_repr(self) -> str:
        """A human-readable rendering: a title bar, then the name and the text.

        >>> from streamgraph.messages import HumanMessage
        >>> print(HumanMessage("hi").pretty_repr().splitlines()[-1])
        hi
        """
        title = f" {self._title()} ".center(_TITLE_WIDTH, "=")
        lines = [title]
        if self.name is not None:
            lines.append(f"Name: {self.name}")
        lines.append("")
        lines.append(self.text if isinstance(self.content, str) else _plain_content(self))
        lines.extend(self._pretty_extra())
        return "\n".join(lines)

    def pretty_print(self) -> None:
        """Print :meth:`pretty_repr`."""
        print(self.pretty_repr())

    def _title(self) -> str:
        return f"{self.type.title()} Message"

    def _pretty_extra(self) -> list[str]:
        return []

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """Let pydantic models hold messages: any message-like input is coerced on validation,
        and JSON serialization gives the dumped dict."""
        from pydantic_core import core_schema

        from streamgraph.messages.convert import coerce_to_message
        from streamgraph.messages.json import message_to_dict

        def validate(value: Any) -> BaseMessage:
            message = coerce_to_message(value)
            if not isinstance(message, cls):
                raise ValueError(f"expected a {cls.__name__}, got a {type(message).__name__}")
            return message

        return core_schema.no_info_after_validator_function(
            validate,
            core_schema.any_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(
                message_to_dict, when_used="json"
            ),
        )


class BaseMessageChunk(BaseMessage):
    """Marker base of message pieces streamed token by token; ``chunk + chunk`` merges them."""

    __slots__ = ()


_DEFAULT_STATUS = ("status", "success")


def _block_reasoning(block: str | dict[str, Any]) -> str:
    if isinstance(block, str):
        return ""
    kind = block.get("type")
    if kind == "thinking":
        text = block.get("thinking")
        return text if isinstance(text, str) else ""
    if kind != "reasoning":
        return ""
    text = block.get("reasoning")
    if isinstance(text, str):
        return text
    summary = block.get("summary")
    if isinstance(summary, list):
        return "".join(
            part["text"]
            for part in summary
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _plain_content(message: BaseMessage) -> str:
    text = message.text
    blocks = [b for b in message.content if isinstance(b, dict) and b.get("type") != "text"]
    kinds = ", ".join(str(b.get("type", "?")) for b in blocks)
    return f"{text}\n[{kinds}]" if kinds else text
