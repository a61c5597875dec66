"""One LLM call inside a run: its metadata, its message id, and the relay of its chunks.

The same relay serves our chat models, the LangChain adapter and any other client's
stream (:func:`relay_chunks`), so every source of tokens streams the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from streamgraph._ids import new_id
from streamgraph.engine.context import FrozenMetadata, FrozenTags, current_task, scoped_metadata
from streamgraph.engine.driver import handoff
from streamgraph.engine.hosted import consumer_iterates
from streamgraph.errors import RunCancelled
from streamgraph.messages import AIMessage, AIMessageChunk, merge_chunks

if TYPE_CHECKING:
    from streamgraph.config import RunnableConfig
    from streamgraph.engine.context import TaskContext

__all__ = ["LLMCall", "arelay_chunks", "new_message_id", "relay_chunks"]


def new_message_id() -> str:
    """A fresh id for a message whose provider gave none."""
    return f"run-{new_id()}"


class _Idle:
    """Stands in for the task outside a graph: never cancelled."""

    cancelled = False
    node = ""


_IDLE: Any = _Idle()


class LLMCall:
    """The run-side half of one model call."""

    __slots__ = ("_emit", "_mark", "capture", "ctx", "id", "meta")

    def __init__(self, ctx: TaskContext | None) -> None:
        self.ctx = ctx if ctx is not None else _IDLE
        self.id: str | None = None
        self.capture = False
        self._mark = False
        self.meta: FrozenMetadata | None = None
        self._emit: Any = None

    @classmethod
    def begin(
        cls,
        model: Any,
        config: RunnableConfig | None = None,
        *,
        tags: Sequence[str] = (),
        metadata: dict[str, Any] | None = None,
        ls_params: dict[str, Any] | None = None,
    ) -> LLMCall:
        """Start a call made by ``model`` (anything with ``tags``, ``metadata``, ``ls_params``)."""
        ctx = current_task()
        call = cls(ctx)
        if ctx is None or not ctx.run.capture:
            return call
        config = config or {}
        model_tags = getattr(model, "tags", None) or tags
        all_tags = tuple(dict.fromkeys([*ctx.tags, *model_tags, *(config.get("tags") or ())]))
        call._mark = True
        if "nostream" in all_tags:
            return call
        model_meta = getattr(model, "metadata", None) or metadata or {}
        params = model.ls_params() if hasattr(model, "ls_params") else (ls_params or {})
        call.meta = FrozenMetadata(
            {
                "ls_integration": "langchain_chat_model",
                **ctx.user_metadata,
                **model_meta,
                **(config.get("metadata") or {}),
                **(scoped_metadata() or {}),
                **ctx.base_metadata,
                "tags": FrozenTags(all_tags),
                **params,
            }
        )
        call._emit = ctx.run.message_sink(ctx.ns)
        call.capture = True
        return call

    def _first(self, chunk: AIMessageChunk) -> str:
        cid = chunk.id or new_message_id()
        self.id = cid
        if self._mark:
            self.ctx.run.mark_seen(cid)
        return cid

    def accept(self, chunk: AIMessageChunk) -> None:
        """Deliver one chunk: stop if the run was stopped, give it the call's id, stream it."""
        if self.ctx.cancelled:
            raise RunCancelled(f"the run was stopped while node {self.ctx.node!r} was streaming")
        chunk.id = self.id or self._first(chunk)
        if self._emit is not None:
            self._emit((chunk, self.meta))

    def relay(self, chunks: Iterable[AIMessageChunk]) -> Iterator[AIMessageChunk]:
        """Pass ``chunks`` through, delivering each to the run; closes the source when stopped."""
        accept = self.accept
        try:
            for chunk in chunks:
                accept(chunk)
                yield chunk
        finally:
            _close(chunks)

    def collect(self, chunks: Iterable[AIMessageChunk]) -> list[AIMessageChunk]:
        """Deliver every chunk and return them all (``relay`` for a caller that only merges).

        In a sync ``stream``, the consumer pulls the chunks itself while the node waits.
        """
        accept = self.accept
        out: list[AIMessageChunk] = []
        try:
            if self._emit is not None:
                pulled = consumer_iterates(chunks, accept)
                if pulled is not None:
                    return pulled
            append = out.append
            for chunk in chunks:
                accept(chunk)
                append(chunk)
        finally:
            _close(chunks)
        return out

    async def arelay(self, chunks: AsyncIterable[AIMessageChunk]) -> AsyncIterator[AIMessageChunk]:
        """Async twin of :meth:`relay`."""
        accept = self.accept
        now = self._handoff()
        try:
            async for chunk in chunks:
                accept(chunk)
                if now is not None:
                    await now
                yield chunk
        finally:
            await _aclose(chunks)

    async def acollect(self, chunks: AsyncIterable[AIMessageChunk]) -> list[AIMessageChunk]:
        """Async twin of :meth:`collect`."""
        accept = self.accept
        now = self._handoff()
        out: list[AIMessageChunk] = []
        append = out.append
        try:
            async for chunk in chunks:
                accept(chunk)
                append(chunk)
                if now is not None:
                    await now
        finally:
            await _aclose(chunks)
        return out

    def _handoff(self) -> Any:
        # driven by its consumer (astream), the run hands each chunk over before going on
        return handoff() if self._emit is not None else None

    def whole(self, message: AIMessage) -> AIMessage:
        """Deliver a reply made without streaming as one whole message."""
        if self.ctx.cancelled:
            raise RunCancelled(f"the run was stopped while node {self.ctx.node!r} was waiting")
        if message.id is None:
            message.id = new_message_id()
        if self._mark:
            self.ctx.run.mark_seen(message.id)
        if self._emit is not None:
            self._emit((message, self.meta))
        return message

    def merge(self, chunks: list[AIMessageChunk]) -> AIMessage:
        """The whole reply from its chunks."""
        if not chunks:
            return AIMessage(content="", id=self.id or new_message_id())
        return merge_chunks(chunks).to_message()


def relay_chunks(
    chunks: Iterable[AIMessageChunk],
    *,
    model_name: str,
    provider: str = "custom",
    tags: Sequence[str] = (),
    metadata: dict[str, Any] | None = None,
) -> Iterator[AIMessageChunk]:
    """Stream chunks from any client into the current run's ``messages`` mode.

    For a client streamgraph has no model class for: turn its events into
    ``AIMessageChunk`` objects and pass them through this inside a node::

        def node(state):
            chunks = (AIMessageChunk(content=t) for t in my_client.stream(prompt))
            parts = list(relay_chunks(chunks, model_name="my-model"))
            return {"messages": [merge_chunks(parts).to_message()]}
    """
    call = LLMCall.begin(None, tags=tags, metadata=metadata, ls_params=_ls(model_name, provider))
    return call.relay(chunks)


def arelay_chunks(
    chunks: AsyncIterable[AIMessageChunk],
    *,
    model_name: str,
    provider: str = "custom",
    tags: Sequence[str] = (),
    metadata: dict[str, Any] | None = None,
) -> AsyncIterator[AIMessageChunk]:
    """Async twin of :func:`relay_chunks`."""
    call = LLMCall.begin(None, tags=tags, metadata=metadata, ls_params=_ls(model_name, provider))
    return call.arelay(chunks)


def _close(chunks: Iterable[AIMessageChunk]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


async def _aclose(chunks: AsyncIterable[AIMessageChunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


def _ls(model_name: str, provider: str) -> dict[str, Any]:
    return {"ls_provider": provider, "ls_model_name": model_name, "ls_model_type": "chat"}
