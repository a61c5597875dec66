"""``tools_condition``: route to the tools node when the model asked for tools.

::

    builder.add_conditional_edges("agent", tools_condition)   # -> "tools" or END
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from streamgraph.errors import ConfigurationError

__all__ = ["tools_condition"]


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """``"tools"`` when the last message is an AI message with tool calls, else ``END``.

    Calls whose arguments could not be parsed count too, so ToolNode can answer them with
    an error the model can correct. ``state`` is a dict, an object with a ``messages``
    attribute, or the list of messages itself.
    """
    messages: Any
    if isinstance(state, list):
        messages = state
    elif isinstance(state, Mapping):
        messages = state.get(messages_key)
    else:
        messages = getattr(state, messages_key, None)
    if not isinstance(messages, list):
        raise ConfigurationError(
            f"tools_condition reads the messages from state[{messages_key!r}], which is missing"
        )
    if not messages:
        return "__end__"
    last = messages[-1]
    if getattr(last, "tool_calls", None) or getattr(last, "invalid_tool_calls", None):
        return "tools"
    return "__end__"
