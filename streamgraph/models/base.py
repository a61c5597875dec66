"""BaseChatModel: the chat-model contract, and the one place tokens enter a run.

A provider implements ``_stream(request)`` (and ``_astream`` for a native async path,
``_generate`` / ``_agenerate`` for non-streaming calls). Everything else is here: the
public ``invoke`` / ``ainvoke`` / ``stream`` / ``astream`` / ``batch``, tool binding,
tags and metadata, and delivery of each chunk straight to the current run's stream
when ``messages`` mode was asked for. There is no callback manager on the per-token
path: a chunk costs an id check, a cancellation check and one put on the stream bus.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from streamgraph._compat import Self
from streamgraph.config import check_config
from streamgraph.errors import ConfigurationError
from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    convert_to_messages,
    merge_chunks,
)
from streamgraph.models.call import LLMCall, new_message_id
from streamgraph.tools.base import ToolSpec

if TYPE_CHECKING:
    from streamgraph.config import RunnableConfig

__all__ = ["BaseChatModel", "ChatRequest", "ToolChoice", "ToolSpec"]


ToolChoice = Literal["auto", "any", "none"] | dict[str, str] | None


@dataclass
class ChatRequest:
    """One call to a model, already normalised for the provider hooks."""

    messages: list[BaseMessage]
    stop: list[str] | None = None
    tools: list[ToolSpec] | None = None
    tool_choice: ToolChoice = None
    options: dict[str, Any] = field(default_factory=dict)


def _normalise_tool_choice(choice: Any) -> ToolChoice:
    if choice is None or choice in ("auto", "any", "none"):
        return choice  # type: ignore[no-any-return]
    if choice == "required" or choice is True:
        return "any"
    if isinstance(choice, str):
        return {"name": choice}
    if isinstance(choice, dict):
        name = choice.get("name") or (choice.get("function") or {}).get("name")
        if isinstance(name, str):
            return {"name": name}
        kind = choice.get("type")
        if kind in ("auto", "any", "none"):
            return kind  # type: ignore[no-any-return]
    raise ConfigurationError(
        f"tool_choice {choice!r} is not understood; use 'auto', 'any', 'none', or a tool name"
    )


class BaseChatModel:
    """Base of every chat model. Subclasses implement :meth:`_stream` (and friends).

    ::

        model = FakeChatModel(responses=["Hello there"], tags=["main_response"])
        model.invoke("hi").content        # 'Hello there'
        for chunk in model.stream("hi"):  # 'Hello', ' there'
            print(chunk.content)
    """

    ls_provider: ClassVar[str] = "unknown"
    ls_model_type: ClassVar[str] = "chat"

    def __init__(
        self,
        *,
        model_name: str,
        tags: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
        streaming: bool | None = None,
        disable_streaming: bool | Literal["tool_calling"] = False,
        temperature: float | None = None,
        max_tokens: int | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            raise ConfigurationError(
                f"{type(self).__name__} got unknown option(s) {sorted(unknown)}; "
                "check the spelling or the model's documented options"
            )
        if disable_streaming not in (True, False, "tool_calling"):
            raise ConfigurationError(
                "disable_streaming must be True, False or 'tool_calling', "
                f"got {disable_streaming!r}"
            )
        if streaming not in (None, True, False):
            raise ConfigurationError(f"streaming must be True or False, got {streaming!r}")
        self.model_name = model_name
        self.tags: list[str] = list(tags or [])
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.streaming = streaming
        self.disable_streaming = disable_streaming
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._tools: list[ToolSpec] | None = None
        self._tool_choice: ToolChoice = None
        self._bound: dict[str, Any] = {}

    @property
    def model(self) -> str:
        """The model's name (same as ``model_name``)."""
        return self.model_name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_name={self.model_name!r})"

    # -- configuration copies ----------------------------------------------------------
    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Self:
        """A copy of this model that offers ``tools`` to the LLM on every call.

        Tools may be ``@tool`` functions, ``BaseTool`` objects, plain functions, pydantic
        models, or JSON-schema dicts in OpenAI or Anthropic form.
        """
        from streamgraph.tools.convert import convert_to_tool_spec

        clone = self._copy()
        clone._tools = [convert_to_tool_spec(t) for t in tools]
        clone._tool_choice = _normalise_tool_choice(tool_choice)
        clone._bound = {**self._bound, **kwargs}
        return clone

    def bind(self, **kwargs: Any) -> Self:
        """A copy of this model that passes ``kwargs`` (``stop``, provider options) every call."""
        clone = self._copy()
        clone._bound = {**self._bound, **kwargs}
        return clone

    def with_config(self, config: RunnableConfig | None = None, **kwargs: Any) -> Self:
        """A copy with extra ``tags`` and ``metadata`` (e.g. ``with_config(tags=["nostream"])``)."""
        merged: dict[str, Any] = dict(check_config({**check_config(config), **kwargs}))
        clone = self._copy()
        clone.tags = list(dict.fromkeys([*self.tags, *merged.pop("tags", [])]))
        clone.metadata = {**self.metadata, **merged.pop("metadata", {})}
        merged.pop("run_name", None)
        if merged:
            raise ConfigurationError(
                f"with_config() got unsupported key(s) {sorted(merged)}; it takes tags and metadata"
            )
        return clone

    def _copy(self) -> Self:
        clone = copy.copy(self)
        clone.tags = list(self.tags)
        clone.metadata = dict(self.metadata)
        return clone

    # -- what providers implement ------------------------------------------------------
    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        """Yield the chunks of one streamed completion."""
        raise NotImplementedError(f"{type(self).__name__} must implement _stream()")

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        """Async chunks; by default :meth:`_stream` driven from a worker thread."""
        from streamgraph.models.sync_bridge import iterate_in_thread

        async for chunk in iterate_in_thread(self._stream(request)):
            yield chunk

    def _generate(self, request: ChatRequest) -> AIMessage:
        """One whole completion; by default the merged chunks of :meth:`_stream`."""
        return merge_chunks(list(self._stream(request))).to_message()

    async def _agenerate(self, request: ChatRequest) -> AIMessage:
        """Async twin of :meth:`_generate`; by default the merged chunks of :meth:`_astream`."""
        return merge_chunks([c async for c in self._astream(request)]).to_message()

    def ls_params(self) -> dict[str, Any]:
        """The ``ls_*`` keys this model adds to stream metadata."""
        params: dict[str, Any] = {
            "ls_provider": self.ls_provider,
            "ls_model_name": self.model_name,
            "ls_model_type": self.ls_model_type,
        }
        if self.temperature is not None:
            params["ls_temperature"] = self.temperature
        if self.max_tokens is not None:
            params["ls_max_tokens"] = self.max_tokens
        return params

    # -- public calls ------------------------------------------------------------------
    def _request(self, input: Any, stop: list[str] | None, kwargs: dict[str, Any]) -> ChatRequest:
        options = {**self._bound, **kwargs}
        stop = stop if stop is not None else options.pop("stop", None)
        return ChatRequest(
            messages=convert_to_messages(input),
            stop=stop,
            tools=self._tools,
            tool_choice=self._tool_choice,
            options=options,
        )

    def _prepare(
        self,
        input: Any,
        config: RunnableConfig | None,
        stop: list[str] | None,
        kwargs: dict[str, Any],
        *,
        invoking: bool,
    ) -> tuple[ChatRequest, LLMCall, bool]:
        """The request, its call in the run, and whether to make it without streaming.

        Streaming is off when disabled on the model (or for tool calls, with
        ``disable_streaming="tool_calling"``), and for ``invoke`` when nobody streams the
        tokens (no ``messages`` mode) unless ``streaming=True`` asks for it.
        """
        request = self._request(input, stop, kwargs)
        call = LLMCall.begin(self, None if config is None else check_config(config))
        whole = (
            self.disable_streaming is True
            or self.streaming is False
            or (self.disable_streaming == "tool_calling" and bool(request.tools))
            or (invoking and not call.capture and self.streaming is not True)
        )
        return request, call, whole

    def invoke(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """The whole reply. Inside a graph streamed in ``messages`` mode, its tokens stream."""
        request, call, whole = self._prepare(input, config, stop, kwargs, invoking=True)
        if whole:
            return call.whole(self._generate(request))
        return call.merge(call.collect(self._stream(request)))

    async def ainvoke(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """Async twin of :meth:`invoke`."""
        request, call, whole = self._prepare(input, config, stop, kwargs, invoking=True)
        if whole:
            return call.whole(await self._agenerate(request))
        return call.merge(await call.acollect(self._astream(request)))

    def stream(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        """Yield the reply chunk by chunk (one whole chunk when streaming is disabled)."""
        request, call, whole = self._prepare(input, config, stop, kwargs, invoking=False)
        if whole:
            yield _as_chunk(call.whole(self._generate(request)))
            return
        yield from call.relay(self._stream(request))

    async def astream(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        """Async twin of :meth:`stream`."""
        request, call, whole = self._prepare(input, config, stop, kwargs, invoking=False)
        if whole:
            yield _as_chunk(call.whole(await self._agenerate(request)))
            return
        async for chunk in call.arelay(self._astream(request)):
            yield chunk

    def batch(self, inputs: Sequence[Any], config: RunnableConfig | None = None) -> list[AIMessage]:
        """``invoke`` each input in order."""
        return [self.invoke(i, config) for i in inputs]

    async def abatch(
        self, inputs: Sequence[Any], config: RunnableConfig | None = None
    ) -> list[AIMessage]:
        """``ainvoke`` every input concurrently."""
        import asyncio

        return list(await asyncio.gather(*(self.ainvoke(i, config) for i in inputs)))


def _as_chunk(message: AIMessage) -> AIMessageChunk:
    return AIMessageChunk(
        content=message.content,
        id=message.id or new_message_id(),
        name=message.name,
        tool_calls=list(message.tool_calls),
        invalid_tool_calls=list(message.invalid_tool_calls),
        tool_call_chunks=[
            {
                "name": tc["name"],
                "args": _dumps(tc["args"]),
                "id": tc["id"],
                "index": i,
                "type": "tool_call_chunk",
            }
            for i, tc in enumerate(message.tool_calls)
        ],
        usage_metadata=message.usage_metadata,
        response_metadata=dict(message.response_metadata),
        additional_kwargs=dict(message.additional_kwargs),
    )


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)
