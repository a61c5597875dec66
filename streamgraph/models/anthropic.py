"""ChatAnthropic: Claude through the official ``anthropic`` SDK.

Install with ``pip install 'streamgraph[anthropic]'``.

The SDK (2.x) speaks API version 2026-10-21 and sends the key as ``Authorization: Bearer``.
Under that version the API has no ``temperature``, ``top_p`` or ``top_k``; asking for one is a
configuration error here rather than a 400 from the API.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from streamgraph.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    OverloadedError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    StreamInterruptedError,
)
from streamgraph.messages.ai import AIMessage, AIMessageChunk
from streamgraph.models._anthropic_wire import (
    AnthropicStreamTranslator,
    message_from_response,
    to_anthropic_messages,
)
from streamgraph.models._sdk import (
    DEFAULT_TIMEOUT,
    ClientPool,
    import_sdk,
    parse_retry_after,
    shared_ssl_context,
    split_known,
    whole_reply_timeout,
)
from streamgraph.models.base import BaseChatModel, ChatRequest, ToolChoice

__all__ = ["ChatAnthropic", "translate_anthropic_error"]

PROVIDER = "anthropic"
_SAMPLING = ("temperature", "top_p", "top_k")
_SAMPLING_WHY = (
    "Anthropic API version 2026-10-21, the one the anthropic 2.x SDK speaks, removed "
    "temperature, top_p and top_k: the API rejects them with HTTP 400. Remove the option."
)


class ChatAnthropic(BaseChatModel):
    """Chat with Claude, token by token.

    ::

        from streamgraph.models import ChatAnthropic

        model = ChatAnthropic(model="claude-sonnet-4-5", max_tokens=1024, tags=["main_response"])
        for chunk in model.stream("Write a haiku about rivers"):
            print(chunk.content, end="", flush=True)

    Options: ``max_tokens`` (default 1024), ``stop``, ``thinking`` (``{"type": "enabled",
    "budget_tokens": N}`` or ``{"type": "adaptive"}``), ``api_key`` (default: the SDK reads
    ``ANTHROPIC_API_KEY``), ``base_url``, ``timeout`` (seconds without data before giving up,
    default 120; a call made without streaming then waits up to 600), ``max_retries`` (the
    SDK's retries before a stream starts, default 2), ``default_headers`` and
    ``model_kwargs`` (extra request fields); and the base options ``tags``, ``metadata``,
    ``streaming`` and ``disable_streaming``.
    """

    ls_provider = PROVIDER

    def __init__(
        self,
        *,
        model: str | None = None,
        model_name: str | None = None,
        max_tokens: int = 1024,
        stop: Sequence[str] | None = None,
        thinking: dict[str, Any] | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        default_headers: dict[str, str] | None = None,
        model_kwargs: dict[str, Any] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        **base_options: Any,
    ) -> None:
        name = model or model_name
        if not name:
            raise ConfigurationError("ChatAnthropic needs a model, e.g. model='claude-sonnet-4-5'")
        given = {"temperature": temperature, "top_p": top_p, "top_k": top_k}
        _reject_sampling({k: v for k, v in given.items() if v is not None} | (model_kwargs or {}))
        if thinking is not None and not (isinstance(thinking, dict) and "type" in thinking):
            raise ConfigurationError(
                "thinking must be a dict such as {'type': 'enabled', 'budget_tokens': 4096} "
                f"or {{'type': 'adaptive'}}, got {thinking!r}"
            )
        super().__init__(model_name=name, max_tokens=max_tokens, **base_options)
        self.stop = list(stop) if stop else None
        self.thinking = thinking
        self.model_kwargs = dict(model_kwargs or {})
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self._api_key = api_key
        self._default_headers = dict(default_headers or {})
        self._clients = ClientPool(self._new_client, self._new_async_client)

    # -- clients -----------------------------------------------------------------------

    def _client_options(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self._default_headers or None,
        }

    def _new_client(self) -> Any:
        sdk = import_sdk("anthropic", "anthropic")
        http = sdk.DefaultHttpxClient(verify=shared_ssl_context())
        return sdk.Anthropic(**self._client_options(), http_client=http)

    def _new_async_client(self) -> Any:
        sdk = import_sdk("anthropic", "anthropic")
        http = sdk.DefaultAsyncHttpxClient(verify=shared_ssl_context())
        return sdk.AsyncAnthropic(**self._client_options(), http_client=http)

    @property
    def _whole_timeout(self) -> float | None:
        return whole_reply_timeout(self.timeout)

    def close(self) -> None:
        """Close the HTTP connections this model holds (it reopens them when used again)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the HTTP connections, the current event loop's included."""
        await self._clients.aclose()

    # -- requests ----------------------------------------------------------------------

    def request_params(self, request: ChatRequest) -> dict[str, Any]:
        """The Messages API request body for ``request`` (without ``stream``)."""
        system, messages = to_anthropic_messages(request.messages)
        params: dict[str, Any] = {
            "model": self.model_name,
            "max_tokens": self.max_tokens,
            "messages": messages,
        }
        if system:
            params["system"] = system
        stop = request.stop if request.stop is not None else self.stop
        if stop:
            params["stop_sequences"] = list(stop)
        options = dict(request.options)
        parallel = options.pop("parallel_tool_calls", None)
        if request.tools:
            params["tools"] = [
                {
                    "name": t["name"],
                    "description": t["description"],
                    "input_schema": t["parameters"],
                }
                for t in request.tools
            ]
            choice = _tool_choice(request.tool_choice, parallel)
            if choice is not None:
                params["tool_choice"] = choice
        if self.thinking is not None:
            params["thinking"] = self.thinking
        params.update(self.model_kwargs)
        params.update(options)
        _reject_sampling(params)
        return params

    def _call_kwargs(self, method: Any, request: ChatRequest) -> dict[str, Any]:
        direct, extra = split_known(method, self.request_params(request))
        if extra:
            direct["extra_body"] = extra
        return direct

    # -- the hooks ---------------------------------------------------------------------

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        translator = AnthropicStreamTranslator()
        delivered = False
        try:
            create = self._clients.sync_client().messages.create
            with create(**self._call_kwargs(create, request), stream=True) as events:
                for event in events:
                    chunk = translator.feed(event)
                    if chunk is not None:
                        delivered = True
                        yield chunk
        except Exception as exc:
            error = translate_anthropic_error(exc, delivered=delivered)
            if error is None:
                raise
            raise error from exc
        _check_complete(translator, delivered)

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        translator = AnthropicStreamTranslator()
        delivered = False
        try:
            create = (await self._clients.async_client()).messages.create
            events = await create(**self._call_kwargs(create, request), stream=True)
            async with events:
                async for event in events:
                    chunk = translator.feed(event)
                    if chunk is not None:
                        delivered = True
                        yield chunk
        except Exception as exc:
            error = translate_anthropic_error(exc, delivered=delivered)
            if error is None:
                raise
            raise error from exc
        _check_complete(translator, delivered)

    def _generate(self, request: ChatRequest) -> AIMessage:
        try:
            create = self._clients.sync_client().messages.create
            response = create(**self._call_kwargs(create, request), timeout=self._whole_timeout)
        except Exception as exc:
            error = translate_anthropic_error(exc)
            if error is None:
                raise
            raise error from exc
        return message_from_response(response)

    async def _agenerate(self, request: ChatRequest) -> AIMessage:
        try:
            create = (await self._clients.async_client()).messages.create
            response = await create(
                **self._call_kwargs(create, request), timeout=self._whole_timeout
            )
        except Exception as exc:
            error = translate_anthropic_error(exc)
            if error is None:
                raise
            raise error from exc
        return message_from_response(response)


def _reject_sampling(params: dict[str, Any]) -> None:
    for name in _SAMPLING:
        if name in params:
            raise ConfigurationError(f"ChatAnthropic does not take {name!r}: {_SAMPLING_WHY}")


def _tool_choice(choice: ToolChoice, parallel: object) -> dict[str, Any] | None:
    if isinstance(choice, dict):
        wire: dict[str, Any] = {"type": "tool", "name": choice["name"]}
    elif choice in ("auto", "any", "none"):
        wire = {"type": choice}
    elif parallel is False:
        wire = {"type": "auto"}
    else:
        return None
    if parallel is False and wire["type"] != "none":
        wire["disable_parallel_tool_use"] = True
    return wire


def _check_complete(translator: AnthropicStreamTranslator, delivered: bool) -> None:
    """A stream that ends without ``message_stop`` was cut (e.g. a close-delimited body)."""
    if not translator.finished:
        message = "the response stream ended before the message was complete"
        if delivered:
            raise StreamInterruptedError(message, provider=PROVIDER)
        raise ProviderConnectionError(message, provider=PROVIDER)


# -- errors ------------------------------------------------------------------------------

_BY_TYPE: dict[str, type[ProviderError]] = {
    "authentication_error": AuthenticationError,
    "permission_error": AuthenticationError,
    "rate_limit_error": RateLimitError,
    "overloaded_error": OverloadedError,
    "invalid_request_error": BadRequestError,
    "not_found_error": BadRequestError,
    "request_too_large": BadRequestError,
    "timeout_error": ProviderTimeoutError,
}
_BY_STATUS: dict[int, type[ProviderError]] = {
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
    529: OverloadedError,
}


def translate_anthropic_error(
    exc: BaseException, *, delivered: bool = False
) -> ProviderError | ConfigurationError | None:
    """The streamgraph error for an exception from the anthropic SDK (or its HTTP layer).

    ``delivered`` says whether chunks already reached the caller: any failure after that is a
    :class:`StreamInterruptedError`, so the caller knows the reply it saw is partial. Returns
    ``None`` for exceptions that do not come from the SDK.
    """
    if isinstance(exc, TypeError) and "authentication method" in str(exc):
        # The SDK found no key anywhere (argument, environment, profile) and said so as a
        # TypeError before sending anything.
        return ConfigurationError(
            "ChatAnthropic has no API key: pass api_key=... or set ANTHROPIC_API_KEY"
        )
    sdk = sys.modules.get("anthropic")
    httpx = sys.modules.get("httpx2")
    if sdk is None:
        return None
    if isinstance(exc, sdk.APIStatusError):
        return _status_error(exc, delivered)
    timeout_types = (sdk.APITimeoutError, *((httpx.TimeoutException,) if httpx else ()))
    if isinstance(exc, timeout_types):
        cls: type[ProviderError] = StreamInterruptedError if delivered else ProviderTimeoutError
        return cls(f"no data from the API in time ({exc})", provider=PROVIDER)
    if isinstance(exc, (sdk.APIConnectionError, *((httpx.TransportError,) if httpx else ()))):
        cls = StreamInterruptedError if delivered else ProviderConnectionError
        return cls(f"the connection failed: {exc}", provider=PROVIDER)
    if isinstance(exc, sdk.APIError):
        return (StreamInterruptedError if delivered else ProviderError)(
            str(exc), provider=PROVIDER, body=exc.body
        )
    if isinstance(exc, sdk.AnthropicError):  # e.g. credentials that could not be loaded
        return AuthenticationError(str(exc), provider=PROVIDER)
    return None


def _status_error(exc: Any, delivered: bool) -> ProviderError:
    body = exc.body
    error = body.get("error") if isinstance(body, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    message = (error.get("message") if isinstance(error, dict) else None) or str(exc)
    # An `event: error` inside a 200 stream reaches us as a status error with status 200.
    midstream = exc.status_code == 200
    status = None if midstream else exc.status_code
    if delivered:
        return StreamInterruptedError(message, provider=PROVIDER, status=status, body=body)
    cls = _BY_TYPE.get(kind or "") if midstream else _BY_STATUS.get(exc.status_code)
    cls = cls or _BY_TYPE.get(kind or "")
    if cls is None:
        cls = StreamInterruptedError if midstream else ProviderError
    if cls is RateLimitError:
        headers = None if midstream else exc.response.headers
        return RateLimitError(
            message,
            provider=PROVIDER,
            status=status,
            body=body,
            retry_after=parse_retry_after(headers),
        )
    return cls(message, provider=PROVIDER, status=status, body=body)
