"""Provider failures become streamgraph errors, for both providers, sync and async."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streamgraph.errors import (
    AuthenticationError,
    BadRequestError,
    OverloadedError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    StreamInterruptedError,
)
from streamgraph.models.base import BaseChatModel
from streamgraph.testing import HttpError, MockProviderServer, Reply, Text

from .streams import Via, collect, whole

MakeModel = Callable[..., BaseChatModel]


def provider_of(model: BaseChatModel) -> str:
    return model.ls_provider


async def test_wrong_key_is_an_authentication_error(make_model: MakeModel, via: Via) -> None:
    model = make_model(api_key="wrong-key")
    chunks, error = await collect(model, "hi", via)
    assert chunks == []
    assert isinstance(error, AuthenticationError) and isinstance(error, PermissionError)
    assert error.status == 401
    assert error.provider == provider_of(model)
    assert error.body
    with pytest.raises(AuthenticationError):
        await whole(model, "hi", via)


async def test_rate_limit_carries_retry_after(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(HttpError("rate_limit", retry_after=7))
    _, error = await collect(make_model(), "hi", via)
    assert isinstance(error, RateLimitError)
    assert error.status == 429
    assert error.retry_after == 7.0
    assert "rate limit" in error.message.lower()


async def test_the_sdk_retries_a_rate_limit_before_the_stream_starts(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(HttpError("rate_limit", retry_after=0), Reply(Text("Second try.")))
    chunks, error = await collect(make_model(max_retries=1), "hi", via)
    assert error is None
    assert "".join(str(c.content) for c in chunks) == "Second try."
    assert [r.status for r in server.requests] == [429, 200]
    assert server.requests[1].headers["x-stainless-retry-count"] == "1"


async def test_overloaded_is_its_own_error(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(HttpError("overloaded"))
    _, error = await collect(make_model(), "hi", via)
    assert isinstance(error, OverloadedError)
    assert error.status == (529 if provider_of(make_model()) == "anthropic" else 503)


async def test_bad_request_is_a_value_error(
    server: MockProviderServer, make_model: MakeModel
) -> None:
    server.enqueue(HttpError("bad_request", message="messages: too short"))
    with pytest.raises(BadRequestError, match="too short") as info:
        make_model().invoke("hi")
    assert isinstance(info.value, ValueError)
    assert info.value.status == 400


async def test_error_event_mid_stream_comes_after_the_tokens_and_is_not_retried(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text.tokens(5), error_after=2))
    chunks, error = await collect(make_model(max_retries=2), "hi", via)
    assert [c.content for c in chunks] == ["tok0 ", "tok1 "]
    assert isinstance(error, StreamInterruptedError)
    assert error.body is not None
    assert len(server.requests) == 1


async def test_error_event_before_any_token_is_typed_by_the_provider_error(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text.tokens(5), error_after=0))
    model = make_model()
    chunks, error = await collect(model, "hi", via)
    assert chunks == []
    # Anthropic names the cause (overloaded_error); OpenAI's server_error only says it broke.
    expected = OverloadedError if provider_of(model) == "anthropic" else StreamInterruptedError
    assert type(error) is expected
    assert error.status is None  # the HTTP status was 200: the failure came inside the stream


async def test_connection_cut_mid_stream(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text.tokens(5), cut_after=3))
    chunks, error = await collect(make_model(max_retries=2), "hi", via)
    assert [c.content for c in chunks] == ["tok0 ", "tok1 ", "tok2 "]
    assert isinstance(error, StreamInterruptedError)
    assert len(server.requests) == 1


async def test_connection_cut_before_any_token(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text.tokens(5), cut_after=0))
    chunks, error = await collect(make_model(), "hi", via)
    assert chunks == []
    assert isinstance(error, ProviderConnectionError)


async def test_a_stalled_stream_times_out(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    # The server stops sending after one token; the client gives up after `timeout` seconds.
    server.enqueue(Reply(Text.tokens(3), hold_after=1), Reply(Text.tokens(3), hold_after=0))
    model = make_model(timeout=0.3)
    chunks, error = await collect(model, "hi", via)
    assert [c.content for c in chunks] == ["tok0 "]
    assert isinstance(error, StreamInterruptedError)
    chunks, error = await collect(model, "hi", via)
    assert chunks == []
    assert isinstance(error, ProviderTimeoutError) and isinstance(error, TimeoutError)


async def test_every_provider_error_shares_the_root(make_model: MakeModel) -> None:
    with pytest.raises(ProviderError):
        make_model(api_key="nope").invoke("hi")
