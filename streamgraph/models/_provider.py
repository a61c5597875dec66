"""SDKChatModel: what the SDK-backed chat models (ChatAnthropic, ChatOpenAI) have in common.

A provider subclass supplies its wire format only: which SDK and client classes, the request
body (:meth:`SDKChatModel.request_params`), the SDK method a request goes to, its stream
translator, the conversion of a whole reply, and its error mapping. Everything else is here:
the options every provider takes, the clients, how a request is sent, the stream loop with its
completeness check, and the translation of SDK errors around every call.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from streamgraph.engine.context import abort_on_stop
from streamgraph.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    OverloadedError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    StreamInterruptedError,
)
from streamgraph.messages.ai import AIMessage, AIMessageChunk
from streamgraph.models._sdk import (
    DEFAULT_TIMEOUT,
    ClientPool,
    hang_up,
    import_sdk,
    shared_ssl_context,
    split_known,
    whole_reply_timeout,
)
from streamgraph.models.base import BaseChatModel, ChatRequest

__all__ = [
    "STATUS_ERRORS",
    "SDKChatModel",
    "StreamTranslator",
    "malformed",
    "provider_error",
    "undecodable",
]


class StreamTranslator(Protocol):
    """What the stream loop asks of a provider's translator besides its chunks."""

    @property
    def finished(self) -> bool:
        """Whether the provider ended the reply properly (a cut stream never does)."""
        ...


T = TypeVar("T", bound=StreamTranslator)


class SDKChatModel(BaseChatModel, Generic[T]):
    """A chat model that speaks to its provider through the provider's official SDK.

    Options every such model takes: ``model`` (or ``model_name``), ``stop``, ``api_key``,
    ``base_url``, ``timeout``, ``max_retries``, ``default_headers`` and ``model_kwargs``;
    the rest go to :class:`~streamgraph.models.base.BaseChatModel`.
    """

    _sdk_package: ClassVar[str]
    """The SDK's import name."""
    _sdk_extra: ClassVar[str]
    """The streamgraph extra that installs the SDK."""
    _client_classes: ClassVar[tuple[str, str]]
    """The SDK's sync and async client class names."""
    _missing_model: ClassVar[str]
    """The error for a model made without a model name."""
    _cut_short: ClassVar[str]
    """The error for a stream that ended before the provider finished the reply."""
    _stream_event: ClassVar[str] = "stream event"
    """What the provider calls one event of a stream (in errors about undecodable ones)."""

    def __init__(
        self,
        *,
        model: str | None = None,
        model_name: str | None = None,
        stop: Sequence[str] | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        default_headers: dict[str, str] | None = None,
        model_kwargs: dict[str, Any] | None = None,
        **base_options: Any,
    ) -> None:
        super().__init__(model_name=self._require_model(model, model_name), **base_options)
        self.stop = list(stop) if stop else None
        self.model_kwargs = dict(model_kwargs or {})
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self._api_key = api_key
        self._default_headers = dict(default_headers or {})
        self._clients = ClientPool(self._make_client)

    @classmethod
    def _require_model(cls, model: str | None, model_name: str | None) -> str:
        name = model or model_name
        if not name:
            raise ConfigurationError(cls._missing_model)
        return name

    # -- clients -----------------------------------------------------------------------

    def _client_options(self) -> dict[str, Any]:
        """The SDK client's keywords."""
        return {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self._default_headers or None,
        }

    def _http_options(self) -> dict[str, Any]:
        """The keywords of the HTTP client the SDK client is given."""
        return {"verify": shared_ssl_context()}

    def _make_client(self, is_async: bool) -> Any:
        """A new SDK client, sync or async."""
        sdk = import_sdk(self._sdk_package, self._sdk_extra)
        http_class = sdk.DefaultAsyncHttpxClient if is_async else sdk.DefaultHttpxClient
        http = http_class(**self._http_options())
        client_class = getattr(sdk, self._client_classes[is_async])
        return client_class(**self._client_options(), http_client=http)

    def _sync_client(self) -> Any:
        """The sync client a call uses."""
        return self._clients.sync_client()

    async def _async_client(self) -> Any:
        """The async client a call uses: the running event loop's."""
        return await self._clients.async_client()

    def close(self) -> None:
        """Close the HTTP connections this model holds (it reopens them when used again)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the HTTP connections, the current event loop's included."""
        await self._clients.aclose()

    # -- what a provider supplies ------------------------------------------------------

    def request_params(self, request: ChatRequest, *, stream: bool = True) -> dict[str, Any]:
        """The provider's request body for ``request`` (without ``stream``)."""
        raise NotImplementedError

    def _create(self, client: Any) -> Any:
        """The SDK method a request goes to (sync or async, as ``client`` is)."""
        raise NotImplementedError

    def _new_translator(self) -> T:
        """A translator for one stream."""
        raise NotImplementedError

    def _chunks(self, translator: T, event: Any) -> Sequence[AIMessageChunk]:
        """The chunks one SDK stream event makes (often one, sometimes none)."""
        raise NotImplementedError

    def _closing_chunks(self, translator: T) -> Sequence[AIMessageChunk]:
        """The chunks that follow the last event of a finished stream."""
        return ()

    def _whole_message(self, response: Any) -> AIMessage:
        """A whole (non-streamed) SDK reply as a message."""
        raise NotImplementedError

    def _translate_error(self, exc: Exception, *, delivered: bool) -> Exception | None:
        """The streamgraph error for an SDK exception; ``None`` leaves ``exc`` as it is."""
        raise NotImplementedError

    # -- requests ----------------------------------------------------------------------

    def _stop(self, request: ChatRequest) -> list[str] | None:
        """The call's stop sequences, else the model's."""
        stop = request.stop if request.stop is not None else self.stop
        return list(stop) if stop else None

    def _send(self, client: Any, request: ChatRequest, *, stream: bool) -> Any:
        """Make the request: a stream, or a whole reply with its longer default timeout.

        On an async client this returns the awaitable of the SDK's call.
        """
        create = self._create(client)
        direct, extra = split_known(create, self.request_params(request, stream=stream))
        if extra:
            direct["extra_body"] = extra
        if stream:
            return create(**direct, stream=True)
        return create(**direct, timeout=whole_reply_timeout(self.timeout))

    # -- the hooks ---------------------------------------------------------------------

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        call = _StreamCall(self)
        with (
            call,
            self._send(self._sync_client(), request, stream=True) as events,
            # stopping the run hangs up at once, even while a read waits in a worker thread
            abort_on_stop(functools.partial(hang_up, events)),
        ):
            for event in events:
                yield from call.feed(event)
        yield from call.end()

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        call = _StreamCall(self)
        with call:
            events = await self._send(await self._async_client(), request, stream=True)
            async with events:
                async for event in events:
                    for chunk in call.feed(event):
                        yield chunk
        for chunk in call.end():
            yield chunk

    def _generate(self, request: ChatRequest) -> AIMessage:
        with _Call(self):
            response = self._send(self._sync_client(), request, stream=False)
        return self._whole_message(response)

    async def _agenerate(self, request: ChatRequest) -> AIMessage:
        with _Call(self):
            response = await self._send(await self._async_client(), request, stream=False)
        return self._whole_message(response)


class _Call(Generic[T]):
    """Around one SDK call: an SDK exception leaves it as the provider's streamgraph error.

    ``delivered`` says whether chunks already reached the caller: any failure after that is a
    :class:`StreamInterruptedError`, so the caller knows the reply it saw is partial.
    """

    event = "response"  # what a reply that cannot be decoded is called in errors

    def __init__(self, model: SDKChatModel[T]) -> None:
        self.model = model
        self.delivered = False

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, Exception):
            error = self.model._translate_error(exc, delivered=self.delivered)
            if error is None:
                error = undecodable(exc, self.model.ls_provider, self.event)
            if error is not None:
                raise error from exc


class _StreamCall(_Call[T]):
    """One streamed call: its translator, fed event by event, then checked at the end."""

    def __init__(self, model: SDKChatModel[T]) -> None:
        super().__init__(model)
        self.translator = model._new_translator()
        self.event = model._stream_event

    def feed(self, event: Any) -> Sequence[AIMessageChunk]:
        try:
            chunks = self.model._chunks(self.translator, event)
        except (AttributeError, TypeError) as exc:  # a field the translator reads is not there
            kind = getattr(event, "type", None)
            raise malformed(
                self.model.ls_provider,
                kind if isinstance(kind, str) else self.event,
                getattr(exc, "name", None) or "?",
                None,
            ) from exc
        if chunks:
            self.delivered = True
        return chunks

    def end(self) -> Sequence[AIMessageChunk]:
        """The closing chunks; a stream that ended before the reply did was cut."""
        if not self.translator.finished:
            cls = StreamInterruptedError if self.delivered else ProviderConnectionError
            raise cls(self.model._cut_short, provider=self.model.ls_provider)
        return self.model._closing_chunks(self.translator)


# -- errors ------------------------------------------------------------------------------


def malformed(provider: str, event: str, field: str, value: object) -> MalformedResponseError:
    """The error for ``field`` of ``event`` holding ``value`` (None: it is missing)."""
    if value is None:
        what = "missing"
    else:
        what = f"{type(value).__name__} {repr(value)[:60]}, not what the wire format has there"
    return MalformedResponseError(f"{field} is {what}", provider=provider, event=event, field=field)


_EVENT_TYPE = re.compile(r'"type"\s*:\s*"([A-Za-z_.]+)"')


def undecodable(exc: BaseException, provider: str, event: str) -> MalformedResponseError | None:
    """The error for data the SDK could not decode (invalid UTF-8 or JSON); None otherwise.

    The event is named by the ``type`` its data declares, where that much can be read.
    """
    if isinstance(exc, UnicodeDecodeError):
        text = bytes(exc.object).decode("utf-8", "replace")
        what = f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
    elif isinstance(exc, json.JSONDecodeError):
        text = exc.doc
        what = f"not valid JSON ({exc.msg} at character {exc.pos})"
    else:
        return None
    found = _EVENT_TYPE.search(text)
    name = found.group(1) if found else event
    return MalformedResponseError(
        f"its data is {what}: {text[:120]!r}", provider=provider, event=name, field="data"
    )


def provider_error(
    cls: type[ProviderError],
    message: str,
    *,
    provider: str,
    status: int | None,
    body: object,
    retry_after: float | None,
) -> ProviderError:
    """``cls(message, ...)``; ``retry_after`` is kept when it is a :class:`RateLimitError`."""
    if cls is RateLimitError:
        return RateLimitError(
            message, provider=provider, status=status, body=body, retry_after=retry_after
        )
    return cls(message, provider=provider, status=status, body=body)


STATUS_ERRORS: dict[int, type[ProviderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: BadRequestError,
    408: ProviderTimeoutError,
    413: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
    503: OverloadedError,
    504: ProviderTimeoutError,
}
"""The error for an HTTP status, whichever provider's API answered with it."""
