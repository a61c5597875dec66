"""Chunks from a provider SDK's own stream, for nodes that call the SDK directly.

A node that uses the ``anthropic`` or ``openai`` client itself (its ``messages.stream``,
``chat.completions.create(stream=True)``, ...) streams into ``messages`` mode by turning
the SDK's events into chunks and relaying them::

    from streamgraph.messages import merge_chunks
    from streamgraph.models import relay_chunks
    from streamgraph.models.raw import anthropic_chunks

    def node(state):
        with client.messages.stream(model=MODEL, max_tokens=256, messages=[...]) as events:
            parts = list(relay_chunks(anthropic_chunks(events), model_name=MODEL,
                                      provider="anthropic"))
        return {"messages": [merge_chunks(parts).to_message()]}

The chunks follow the same rules as :class:`~streamgraph.models.ChatAnthropic`'s and
:class:`~streamgraph.models.ChatOpenAI`'s: text as ``str`` content, tool calls announced
once, reasoning in ``additional_kwargs``, usage on the last chunk, one id per reply.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from streamgraph.models._anthropic_wire import AnthropicStreamTranslator
from streamgraph.models._openai_wire import OpenAIStreamTranslator

if TYPE_CHECKING:
    from streamgraph.messages import AIMessageChunk

__all__ = ["aanthropic_chunks", "anthropic_chunks", "aopenai_chunks", "openai_chunks"]


def anthropic_chunks(events: Iterable[Any]) -> Iterator[AIMessageChunk]:
    """Chunks from an Anthropic SDK event stream (raw or ``messages.stream()``)."""
    translator = AnthropicStreamTranslator()
    for event in events:
        chunk = translator.feed(event)
        if chunk is not None:
            yield chunk


async def aanthropic_chunks(events: AsyncIterable[Any]) -> AsyncIterator[AIMessageChunk]:
    """Async twin of :func:`anthropic_chunks`."""
    translator = AnthropicStreamTranslator()
    async for event in events:
        chunk = translator.feed(event)
        if chunk is not None:
            yield chunk


def openai_chunks(chunks: Iterable[Any]) -> Iterator[AIMessageChunk]:
    """Chunks from an OpenAI SDK Chat Completions stream (``create(stream=True)``)."""
    translator = OpenAIStreamTranslator()
    for raw in chunks:
        yield from translator.feed(raw)
    yield translator.end()


async def aopenai_chunks(chunks: AsyncIterable[Any]) -> AsyncIterator[AIMessageChunk]:
    """Async twin of :func:`openai_chunks`."""
    translator = OpenAIStreamTranslator()
    async for raw in chunks:
        for chunk in translator.feed(raw):
            yield chunk
    yield translator.end()
