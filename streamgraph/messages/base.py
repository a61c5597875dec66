"""The fields and behaviour every message shares.

Messages are plain mutable objects with ``__slots__``: one is built per streamed token, so
construction copies nothing, and checks the types of its fields with a few identity tests,
doing more only when something other than text and ``str`` ids was given (see
:mod:`streamgraph.messages.checks`). Container fields left out (``additional_kwargs``,
``response_metadata`` and, on AI messages, the tool-call lists) hold nothing until they are first
read, when a fresh empty dict or list is made and kept; a streamed chunk with only text is then a
single object. Two messages are equal when they are of the same class and every field is equal.

>>> from streamgraph.messages import HumanMessage
>>> HumanMessage("hi", id="1") == HumanMessage("hi", id="1")
True
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, ClassVar, SupportsIndex, TypeAlias

from streamgraph.messages.checks import checked_fields

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

    from streamgraph._compat import Self
    from streamgraph.messages.tool_calls import ToolCall

__all__ = ["BaseMessage", "BaseMessageChunk", "MessageContent"]

MessageContent: TypeAlias = str | list[str | dict[str, Any]]
"""What ``content`` holds: text, or a list of text pieces and content blocks."""

_TITLE_WIDTH = 80

_EMPTY_CONTAINERS: dict[str, Callable[[], Any]] = {
    "additional_kwargs": dict,
    "response_metadata": dict,
    "tool_calls": list,
    "invalid_tool_calls": list,
    "tool_call_chunks": list,
}
"""Fields kept as ``None`` in a private slot (``_`` + name) until read, and what they start as."""

_Layout: TypeAlias = tuple[tuple[str, str, "Callable[[], Any] | None"], ...]


class BaseMessage:
    """Base of every message.

    ``content`` may be given positionally, everything else by keyword; containers left out are
    fresh per message. Containers that are passed in are kept as they are, not copied.

    >>> from streamgraph.messages import AIMessage
    >>> AIMessage("Hello", id="run-1").text
    'Hello'
    """

    # In the order of the public names, so pickles keep the layout they always had.
    __slots__ = ("_additional_kwargs", "content", "id", "name", "_response_metadata")  # noqa: RUF023

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

    _layout: ClassVar[_Layout]
    """Per field: its name, the slot holding it and, for a container made on first read, the
    type of that container (``None`` for other fields)."""

    _private_slots: ClassVar[dict[str, str]]
    """Private slot name to field name, for the containers made on first read."""

    content: MessageContent
    id: str | None
    name: str | None
    _additional_kwargs: dict[str, Any] | None
    _response_metadata: dict[str, Any] | None

    def __init__(
        self,
        content: MessageContent = "",
        *,
        id: str | None = None,
        name: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
    ) -> None:
        if (
            content.__class__ is not str
            or (id is not None and id.__class__ is not str)
            or (name is not None and name.__class__ is not str)
            or (additional_kwargs is not None and additional_kwargs.__class__ is not dict)
            or (response_metadata is not None and response_metadata.__class__ is not dict)
        ):
            content, id, additional_kwargs, response_metadata = checked_fields(
                type(self).__name__,
                content,
                id,
                name,
                additional_kwargs,
                response_metadata,
                deep=True,
            )
        self.content = content
        self.id = id
        self.name = name
        self._additional_kwargs = additional_kwargs
        self._response_metadata = response_metadata

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = (*BaseMessage._fields, *cls._extra_fields)
        cls._set_layout()

    @classmethod
    def _set_layout(cls) -> None:
        layout: list[tuple[str, str, Callable[[], Any] | None]] = []
        for field in cls._fields:
            empty = _EMPTY_CONTAINERS.get(field)
            slot = f"_{field}"
            if (
                empty is not None
                and isinstance(getattr(cls, field, None), property)
                and isinstance(getattr(cls, slot, None), MemberDescriptorType)
            ):
                layout.append((field, slot, empty))
            else:
                layout.append((field, field, None))
        cls._layout = tuple(layout)
        cls._private_slots = {slot: field for field, slot, empty in layout if empty is not None}

    @property
    def additional_kwargs(self) -> dict[str, Any]:
        """Extra fields from the provider; an empty dict, made on first read, when none."""
        value = self._additional_kwargs
        if value is None:
            value = self._additional_kwargs = {}
        return value

    @additional_kwargs.setter
    def additional_kwargs(self, value: dict[str, Any]) -> None:
        self._additional_kwargs = value

    @property
    def response_metadata(self) -> dict[str, Any]:
        """Metadata of the response (model name, finish reason...); an empty dict, made on first
        read, when none."""
        value = self._response_metadata
        if value is None:
            value = self._response_metadata = {}
        return value

    @response_metadata.setter
    def response_metadata(self, value: dict[str, Any]) -> None:
        self._response_metadata = value

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
            elif (
                isinstance(block, dict)
                and block.get("type") == "text"
                and isinstance(block.get("text"), str)
            ):
                parts.append(block["text"])
        return "".join(parts)

    @property
    def reasoning(self) -> str:
        """The model's reasoning: ``additional_kwargs["reasoning_content"]`` followed by the text
        of any thinking or reasoning blocks in ``content``."""
        extra = self._additional_kwargs
        head = extra.get("reasoning_content", "") if isinstance(extra, dict) else ""
        parts = [head if isinstance(head, str) else ""]
        if not isinstance(self.content, str):
            parts.extend(_block_reasoning(block) for block in self.content)
        return "".join(parts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseMessage):
            return NotImplemented
        if type(other) is not type(self):
            return False
        for _, slot, empty in self._layout:
            mine = getattr(self, slot)
            theirs = getattr(other, slot)
            if empty is not None:  # None stands for the empty container not made yet
                if mine is None:
                    if theirs is None:
                        continue
                    mine = empty()
                elif theirs is None:
                    theirs = empty()
            if not mine == theirs:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = [f"content={self.content!r}"]
        for field, slot, _ in self._layout[1:]:
            value = getattr(self, slot)
            if value is None or value == {} or value == [] or (field, value) == _DEFAULT_STATUS:
                continue
            shown.append(f"{field}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        # Pickles and copies name the public fields, holding the same values as ever: an empty
        # container not made yet is made (and kept) here, so a copy.copy shares it as before.
        reduced = super().__reduce_ex__(protocol)
        private = self._private_slots
        if not isinstance(reduced, tuple) or len(reduced) < 3:
            return reduced
        state = reduced[2]
        if not (isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict)):
            return reduced
        slots: dict[str, Any] = {}
        for key, value in state[1].items():
            field = private.get(key)
            if field is None:
                slots[key] = value
            else:
                slots[field] = getattr(self, field)
        return (*reduced[:2], (state[0], slots), *reduced[3:])

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
        if self.name is not None:
            title += f"\nName: {self.name}"
        text = f"{title}\n\n{self.content}"
        extra = self._pretty_extra()
        if extra is None:
            return text
        # an AI message lists its tool calls after the text, and is stripped as a whole
        return (text.strip() + "\n" + "\n".join(extra)).strip()

    def pretty_print(self) -> None:
        """Print :meth:`pretty_repr`."""
        print(self.pretty_repr())

    def _title(self) -> str:
        return f"{self.type.title()} Message"

    def _pretty_extra(self) -> list[str] | None:
        return None

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


BaseMessage._set_layout()


class BaseMessageChunk(BaseMessage):
    """Marker base of message pieces streamed token by token; ``chunk + chunk`` merges them."""

    __slots__ = ()


_DEFAULT_STATUS = ("status", "success")


def _block_reasoning(block: str | dict[str, Any]) -> str:
    if not isinstance(block, dict):
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
