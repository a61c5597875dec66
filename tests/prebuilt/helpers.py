"""Shared pieces of the prebuilt tests."""

from __future__ import annotations

from typing import Any

from streamgraph.messages import AIMessage


def calls(*items: tuple[str, dict[str, Any], str]) -> AIMessage:
    """An AI message asking for the tool calls ``(name, args, id)``, with no text."""
    return AIMessage(
        "",
        tool_calls=[
            {"name": name, "args": args, "id": call_id, "type": "tool_call"}
            for name, args, call_id in items
        ],
    )
