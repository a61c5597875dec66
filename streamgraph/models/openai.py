"""ChatOpenAI: Chat Completions through the official ``openai`` SDK.

Install with ``pip install 'streamgraph[openai]'``.

``base_url`` points it at any OpenAI-compatible server (llama.cpp, vLLM, a gateway, ...).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from streamgraph.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
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
from streamgraph.models._provider import STATUS_ERRORS, SDKChatModel, provider_error
from streamgraph.models._sdk import import_sdk, parse_retry_after
from streamgraph.models.base import ChatRequest, ToolChoice

__all__ = ["ChatOpenAI", "translate_openai_error"]

PROVIDER = "openai"


class ChatOpenAI(SDKChatModel[OpenAIStreamTranslator]):
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
    _sdk_package = _sdk_extra = "openai"
    _client_classes = ("OpenAI", "AsyncOpenAI")
    _missing_model = "ChatOpenAI needs a model, e.g. model='gpt-4o-mini'"
    _cut_short = "the response stream ended before the completion was finished"
    _stream_event = "chunk"

    def _make_client(self, is_async: bool) -> Any:
        sdk = import_sdk(self._sdk_package, self._sdk_extra)
        try:
            return super()._make_client(is_async)
        except sdk.OpenAIError as exc:
            raise ConfigurationError(
                f"ChatOpenAI could not set up its client: {exc} (pass api_key=..., any "
                "non-empty string for a local server that does not check keys)"
            ) from exc

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
        stop = self._stop(request)
        if stop:
            params["stop"] = stop
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

    def _create(self, client: Any) -> Any:
        return client.chat.completions.create

    def _new_translator(self) -> OpenAIStreamTranslator:
        return OpenAIStreamTranslator()

    def _chunks(self, translator: OpenAIStreamTranslator, event: Any) -> Sequence[AIMessageChunk]:
        return translator.feed(event)

    def _closing_chunks(self, translator: OpenAIStreamTranslator) -> Sequence[AIMessageChunk]:
        return (translator.end(),)

    def _whole_message(self, response: Any) -> AIMessage:
        return message_from_completion(response)

    def _translate_error(self, exc: Exception, *, delivered: bool) -> Exception | None:
        return translate_openai_error(exc, delivered=delivered)


def _tool_choice(choice: ToolChoice) -> Any:
    if isinstance(choice, dict):
        return {"type": "function", "function": {"name": choice["name"]}}
    return "required" if choice == "any" else choice


# -- errors ------------------------------------------------------------------------------

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
        cls = STATUS_ERRORS.get(exc.status_code) or _by_type(body) or ProviderError
        retry_after = parse_retry_after(exc.response.headers)
    else:  # an {"error": ...} object inside a 200 stream: the stream had started
        cls = _by_type(body) or StreamInterruptedError
        retry_after = None
    return provider_error(
        cls, message, provider=PROVIDER, status=status, body=body, retry_after=retry_after
    )


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
