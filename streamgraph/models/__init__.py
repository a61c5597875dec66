"""Chat models: the base contract, a scripted model, and providers (imported on first use).

``ChatAnthropic``, ``ChatOpenAI`` and ``ChatLocal`` each need their extra
(``streamgraph[anthropic]``, ``[openai]``, ``[local]``); they are imported only when
first used, so ``import streamgraph`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streamgraph.models.base import BaseChatModel, ChatRequest, ToolChoice, ToolSpec
from streamgraph.models.call import arelay_chunks, relay_chunks
from streamgraph.models.fake import FakeChatModel

if TYPE_CHECKING:
    from streamgraph.models.anthropic import ChatAnthropic
    from streamgraph.models.local import ChatLocal
    from streamgraph.models.openai import ChatOpenAI

__all__ = [
    "BaseChatModel",
    "ChatAnthropic",
    "ChatLocal",
    "ChatOpenAI",
    "ChatRequest",
    "FakeChatModel",
    "ToolChoice",
    "ToolSpec",
    "arelay_chunks",
    "relay_chunks",
]

_LAZY = {
    "ChatAnthropic": "streamgraph.models.anthropic",
    "ChatOpenAI": "streamgraph.models.openai",
    "ChatLocal": "streamgraph.models.local",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'streamgraph.models' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
