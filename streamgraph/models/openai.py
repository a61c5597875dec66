"""ChatOpenAI: Chat Completions through the official ``openai`` SDK.

Install with ``pip install 'streamgraph[openai]'``.

``base_url`` points it at any OpenAI-compatible server (llama.cpp, vLLM, a gateway, ...).
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
from streamgraph.models._openai_wire import (
    OpenAIStreamTranslator,
    message_from_completion,
    to_openai_messages,
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

__all__ = ["ChatOpenAI", "translate_openai_error"]

PROVIDER = "openai"


class ChatOpenAI(BaseChatModel):
    """Chat with an OpenAI (or OpenAI-compatible) model, token by token.

    ::

        from streamgraph.models import ChatOpenAI

        model = ChatOpenAI(model="gpt-4o-mini", temperature=0.2)
        for chunk in model.stream("Name three rivers"):
            print(chunk.content, end="", flush=True)

        local = ChatOpenAI(model="local", base_url="http://127.0.0.1:8080/v1", api_key="none")

    Options: ``temperature``, ``max_tokens`` (sent as ``max_completion_tokens``), ``stop``,
    ``api_key`` (default: the SDK reads ``OPENAI_API_KEY``), ``base_url``, ``timeout``
    (seconds without data before giving up, default 120; a call made without streaming then
    waits up to 600), ``max_retries`` (the SDK's retries before a stream starts, default 2),
    ``default_headers``, ``model_kwargs`` (extra request fields, passed through as they
    are); and the base options ``tags``, ``metadata``, ``streaming`` and
    ``disable_streaming``.
    """

    ls_provider = PROVIDER

    def __init__(
        self,
        *,
        model: str | None = None,
        model_name: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        default_headers: dict[str, str] | None = None,
        model_kwargs: dict[str, Any] | None = None,
        **base_options: Any,
    ) -> None:
        name = model or model_name
        if not name:
            raise ConfigurationError("ChatOpenAI needs a model, e.g. model='gpt-4o-mini'")
        super().__init__(
            model_name=name, temperature=temperature, max_tokens=max_tokens, **base_options
        )
        self.stop = list(stop) if stop else None
        self.model_kwargs = dict(model_kwargs or {})
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self._api_key = api_key
        self._default_headers = dict(default_headers or {})
        self._clients = ClientPool(self._new_client, self._new_async_client)

    # -- clients -----------------------------------------------------------------------

    def _new_client(self, kind: str = "OpenAI") -> Any:
        sdk = import_sdk("openai", "openai")
        http_class = (
            sdk.DefaultAsyncHttpxClient if kind == "AsyncOpenAI" else sdk.DefaultHttpxClient
        )
        try:
            return getattr(sdk, kind)(
                http_client=http_class(verify=shared_ssl_context()),
                api_key=self._api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                default_headers=self._default_headers or None,
            )
        except sdk.OpenAIError as exc:
            raise ConfigurationError(
                f"ChatOpenAI could not set up its client: {exc} (pass api_key=..., any "
                "non-empty string for a local server that does not check keys)"
            ) from exc

    def _new_async_client(self) -> Any:
        return self._new_client("AsyncOpenAI")

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

    def request_params(self, request: ChatRequest, *, stream: bool = True) -> dict[str, Any]:
        """The Chat Completions request body for ``request`` (without ``stream``)."""
        params: dict[str, Any] = {
            "model": self.model_name,
            "messages": to_openai_messages(request.messages),
        }
        if stream:
            params["stream_options"] = {"include_usage": True}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_completion_tokens"] = self.max_tokens
        stop = request.stop if request.stop is not None else self.stop
        if stop:
            params["stop"] = list(stop)
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t["name"],
                        "description": t["description"],
                        "parameters": t["parameters"],
                    },
                }
                for t in request.tools
            ]
            if request.tool_choice is not None:
                params["tool_choice"] = _tool_choice(request.tool_choice)
        params.update(self.model_kwargs)
        params.update(request.options)
        return params

    def _call_kwargs(self, method: Any, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        direct, extra = split_known(method, self.request_params(request, stream=stream))
        if extra:
            direct["extra_body"] = extra
        return direct

    # -- the hooks ---------------------------------------------------------------------

    def _stream(self, request: ChatRequest) -> Iterator[AIMessageChunk]:
        translator = OpenAIStreamTranslator()
        delivered = False
        try:
            create = self._clients.sync_client().chat.completions.create
            with create(**self._call_kwargs(create, request, stream=True), stream=True) as chunks:
                for raw in chunks:
                    for chunk in translator.feed(raw):
                        delivered = True
                        yield chunk
        except Exception as exc:
            error = translate_openai_error(exc, delivered=delivered)
            if error is None:
                raise
            raise error from exc
        yield _last_chunk(translator, delivered)

    async def _astream(self, request: ChatRequest) -> AsyncIterator[AIMessageChunk]:
        translator = OpenAIStreamTranslator()
        delivered = False
        try:
            create = (await self._clients.async_client()).chat.completions.create
            chunks = await create(**self._call_kwargs(create, request, stream=True), stream=True)
            async with chunks:
                async for raw in chunks:
                    for chunk in translator.feed(raw):
                        delivered = True
                        yield chunk
        except Exception as exc:
            error = translate_openai_error(exc, delivered=delivered)
            if error is None:
                raise
            raise error from exc
        yield _last_chunk(translator, delivered)

    def _generate(self, request: ChatRequest) -> AIMessage:
        try:
            create = self._clients.sync_client().chat.completions.create
            completion = create(
                **self._call_kwargs(create, request, stream=False), timeout=self._whole_timeout
            )
        except Exception as exc:
            error = translate_openai_error(exc)
            if error is None:
                raise
            raise error from exc
        return message_from_completion(completion)

    async def _agenerate(self, request: ChatRequest) -> AIMessage:
        try:
            create = (await self._clients.async_client()).chat.completions.create
            completion = await create(
                **self._call_kwargs(create, request, stream=False), timeout=self._whole_timeout
            )
        except Exception as exc:
            error = translate_openai_error(exc)
            if error is None:
                raise
            raise error from exc
        return message_from_completion(completion)


def _tool_choice(choice: ToolChoice) -> Any:
    if isinstance(choice, dict):
        return {"type": "function", "function": {"name": choice["name"]}}
    return "required" if choice == "any" else choice


def _last_chunk(translator: OpenAIStreamTranslator, delivered: bool) -> AIMessageChunk:
    """The closing chunk; a stream that ended with no finish reason was cut short."""
    if not translator.finished:
        message = "the response stream ended before the completion was finished"
        if delivered:
            raise StreamInterruptedError(message, provider=PROVIDER)
        raise ProviderConnectionError(message, provider=PROVIDER)
    return translator.end()


# -- errors ------------------------------------------------------------------------------

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
}
_BY_TYPE: dict[str, type[ProviderError]] = {
    "invalid_request_error": BadRequestError,
    "authentication_error": AuthenticationError,
    "insufficient_quota": RateLimitError,
    "rate_limit_exceeded": RateLimitError,
    "requests": RateLimitError,
    "tokens": RateLimitError,
}


def translate_openai_error(exc: BaseException, *, delivered: bool = False) -> ProviderError | None:
    """The streamgraph error for an exception from the openai SDK.

    ``delivered`` says whether chunks already reached the caller: any failure after that is a
    :class:`StreamInterruptedError`. Returns ``None`` for exceptions not from the SDK.
    """
    sdk = sys.modules.get("openai")
    if sdk is None or not isinstance(exc, sdk.OpenAIError):
        return None
    body = getattr(exc, "body", None)
    message = _message(exc, body)
    status: int | None = getattr(exc, "status_code", None)
    if delivered:
        return StreamInterruptedError(message, provider=PROVIDER, status=status, body=body)
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderTimeoutError(message, provider=PROVIDER)
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderConnectionError(message, provider=PROVIDER)
    if isinstance(exc, sdk.APIStatusError):
        cls = _BY_STATUS.get(exc.status_code) or _by_type(body) or ProviderError
        retry_after = parse_retry_after(exc.response.headers)
    else:  # an {"error": ...} object inside a 200 stream: the stream had started
        cls = _by_type(body) or StreamInterruptedError
        retry_after = None
    if cls is RateLimitError:
        return RateLimitError(
            message, provider=PROVIDER, status=status, body=body, retry_after=retry_after
        )
    return cls(message, provider=PROVIDER, status=status, body=body)


def _message(exc: BaseException, body: object) -> str:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return str(getattr(exc, "message", None) or exc)


def _by_type(body: object) -> type[ProviderError] | None:
    if not isinstance(body, dict):
        return None
    for key in ("code", "type"):
        value = body.get(key)
        if isinstance(value, str) and value in _BY_TYPE:
            return _BY_TYPE[value]
    return None
