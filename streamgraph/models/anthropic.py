"""ChatAnthropic: Claude through the official ``anthropic`` SDK.

Install with ``pip install 'streamgraph[anthropic]'``.

The SDK (2.x) speaks API version 2026-10-21 and sends the key as ``Authorization: Bearer``.
Under that version the API has no ``temperature``, ``top_p`` or ``top_k``; asking for one is a
configuration error here rather than a 400 from the API.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
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
from streamgraph.models._provider import STATUS_ERRORS, SDKChatModel, provider_error
from streamgraph.models._sdk import parse_retry_after
from streamgraph.models.base import ChatRequest, ToolChoice

__all__ = ["ChatAnthropic", "translate_anthropic_error"]

PROVIDER = "anthropic"
_SAMPLING = ("temperature", "top_p", "top_k")
_SAMPLING_WHY = (
    "Anthropic API version 2026-10-21, the one the anthropic 2.x SDK speaks, removed "
    "temperature, top_p and top_k: the API rejects them with HTTP 400. Remove the option."
)


class ChatAnthropic(SDKChatModel[AnthropicStreamTranslator]):
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
    _sdk_package = _sdk_extra = "anthropic"
    _client_classes = ("Anthropic", "AsyncAnthropic")
    _missing_model = "ChatAnthropic needs a model, e.g. model='claude-sonnet-4-5'"
    _cut_short = "the response stream ended before the message was complete"

    def __init__(
        self,
        *,
        model: str | None = None,
        model_name: str | None = None,
        max_tokens: int = 1024,
        thinking: dict[str, Any] | None = None,
        model_kwargs: dict[str, Any] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        **options: Any,
    ) -> None:
        name = self._require_model(model, model_name)
        given = {"temperature": temperature, "top_p": top_p, "top_k": top_k}
        _reject_sampling({k: v for k, v in given.items() if v is not None} | (model_kwargs or {}))
        if thinking is not None and not (isinstance(thinking, dict) and "type" in thinking):
            raise ConfigurationError(
                "thinking must be a dict such as {'type': 'enabled', 'budget_tokens': 4096} "
                f"or {{'type': 'adaptive'}}, got {thinking!r}"
            )
        super().__init__(model=name, max_tokens=max_tokens, model_kwargs=model_kwargs, **options)
        self.thinking = thinking

    def request_params(self, request: ChatRequest, *, stream: bool = True) -> dict[str, Any]:
        """The Messages API request body for ``request`` (without ``stream``).

        The body is the same for a streamed call and a whole one.
        """
        system, messages = to_anthropic_messages(request.messages)
        params: dict[str, Any] = {
            "model": self.model_name,
            "max_tokens": self.max_tokens,
            "messages": messages,
        }
        if system:
            params["system"] = system
        stop = self._stop(request)
        if stop:
            params["stop_sequences"] = stop
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

    def _create(self, client: Any) -> Any:
        return client.messages.create

    def _new_translator(self) -> AnthropicStreamTranslator:
        return AnthropicStreamTranslator()

    def _chunks(
        self, translator: AnthropicStreamTranslator, event: Any
    ) -> Sequence[AIMessageChunk]:
        chunk = translator.feed(event)
        return () if chunk is None else (chunk,)

    def _whole_message(self, response: Any) -> AIMessage:
        return message_from_response(response)

    def _translate_error(self, exc: Exception, *, delivered: bool) -> Exception | None:
        return translate_anthropic_error(exc, delivered=delivered)


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
_BY_STATUS = {**STATUS_ERRORS, 529: OverloadedError}  # 529: Anthropic's "overloaded"


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
        return cls(
            f"no data from the API within the read timeout ({_described(exc)}); if the model "
            "needs longer to answer, raise it: ChatAnthropic(timeout=seconds)",
            provider=PROVIDER,
        )
    if isinstance(exc, (sdk.APIConnectionError, *((httpx.TransportError,) if httpx else ()))):
        cls = StreamInterruptedError if delivered else ProviderConnectionError
        return cls(f"the connection failed: {_described(exc)}", provider=PROVIDER)
    if isinstance(exc, sdk.APIError):
        return (StreamInterruptedError if delivered else ProviderError)(
            str(exc), provider=PROVIDER, body=exc.body
        )
    if isinstance(exc, sdk.AnthropicError):  # e.g. credentials that could not be loaded
        return AuthenticationError(str(exc), provider=PROVIDER)
    return None


def _described(exc: BaseException) -> str:
    """The exception's message, or its class and cause when it has none (an asyncio timeout's
    ``str`` is empty)."""
    text = str(exc)
    if text:
        return text
    cause = exc.__cause__ or exc.__context__
    inner = f" from {type(cause).__name__}" if cause is not None else ""
    return f"{type(exc).__name__}{inner}"


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
    retry_after = None if midstream else parse_retry_after(exc.response.headers)
    return provider_error(
        cls, message, provider=PROVIDER, status=status, body=body, retry_after=retry_after
    )
