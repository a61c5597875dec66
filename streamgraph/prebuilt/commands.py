"""Folding the results of one ToolNode step into the node's single return value.

A tool answers with a ToolMessage, or with a ``Command`` that updates the state (and may
route). A node returns one value, so the answers are folded together: plain messages into
``{messages_key: [...]}``; when any tool returned a ``Command``, into one ``Command``
whose update holds every message in call order, the other keys of each update, and
every ``goto``::

    @tool
    def set_name(name: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
        "Remember the user's name."
        message = ToolMessage(f"saved {name}", tool_call_id=tool_call_id)
        return Command(update={"user_name": name, "messages": [message]})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streamgraph.errors import InvalidUpdateError
from streamgraph.types import Command, Send

__all__ = ["merge_outputs"]


def merge_outputs(outputs: list[Any], messages_key: str) -> Any:
    """``{messages_key: outputs}``, or one ``Command`` when any output is a ``Command``."""
    if not any(isinstance(out, Command) for out in outputs):
        return {messages_key: outputs}
    parents = [out for out in outputs if isinstance(out, Command) and out.graph]
    if parents:
        if len(outputs) == 1:
            return parents[0]
        raise InvalidUpdateError(
            "a tool returned Command(graph=Command.PARENT) alongside other tool calls; the "
            "parent can receive only a lone Command from one step"
        )
    messages: list[Any] = []
    update: dict[str, Any] = {}
    goto: list[str | Send] = []
    for out in outputs:
        if not isinstance(out, Command):
            messages.append(out)
            continue
        goto.extend(out.goto_targets())
        _fold_update(out.update, messages_key, messages, update)
    return Command(update={**update, messages_key: messages}, goto=goto)


def _fold_update(raw: Any, messages_key: str, messages: list[Any], update: dict[str, Any]) -> None:
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        raise InvalidUpdateError(
            f"a tool's Command(update=...) must be a dict when run by ToolNode, got "
            f"{type(raw).__name__}"
        )
    for key, value in raw.items():
        if key == messages_key:
            messages.extend(value if isinstance(value, list) else [value])
        elif key in update:
            raise InvalidUpdateError(
                f"two tools updated the state key {key!r} in the same step; update it from "
                "one tool per step"
            )
        else:
            update[key] = value
