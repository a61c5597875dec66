"""Drive a model's stream the same way from sync and async tests."""

from __future__ import annotations

from typing import Any, Literal

from streamgraph.errors import ProviderError
from streamgraph.messages import AIMessageChunk
from streamgraph.models.base import BaseChatModel

Via = Literal["sync", "async"]
VIAS: tuple[Via, ...] = ("sync", "async")


async def collect(
    model: BaseChatModel, prompt: Any, via: Via, **kwargs: Any
) -> tuple[list[AIMessageChunk], ProviderError | None]:
    """Every chunk the stream yielded, and the provider error that ended it, if any."""
    chunks: list[AIMessageChunk] = []
    try:
        if via == "async":
            async for chunk in model.astream(prompt, **kwargs):
                chunks.append(chunk)
        else:
            for chunk in model.stream(prompt, **kwargs):
                chunks.append(chunk)
    except ProviderError as exc:
        return chunks, exc
    return chunks, None


async def whole(model: BaseChatModel, prompt: Any, via: Via, **kwargs: Any) -> Any:
    """``invoke`` or ``ainvoke``."""
    if via == "async":
        return await model.ainvoke(prompt, **kwargs)
    return model.invoke(prompt, **kwargs)
