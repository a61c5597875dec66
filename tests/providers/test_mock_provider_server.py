"""The mock provider server itself, driven by the official SDKs and by plain HTTP."""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
from typing import Any

import pytest

from streamgraph.testing import (
    Fixture,
    HttpError,
    MockProviderServer,
    Reply,
    Text,
    Thinking,
    ToolCall,
)

anthropic: Any = pytest.importorskip("anthropic")
openai: Any = pytest.importorskip("openai")
httpx2: Any = pytest.importorskip("httpx2")

USER = [{"role": "user", "content": "hi"}]


def _post(server: MockProviderServer, path: str, body: dict[str, Any], **headers: str) -> Any:
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(
            "POST", path, json.dumps(body), {"content-type": "application/json", **headers}
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_anthropic_sdk_streams_a_generated_reply(server: MockProviderServer) -> None:
    server.enqueue(Reply(Thinking("hmm"), Text("Hello there!"), ToolCall("f", {"a": 1})))
    with (
        anthropic.Anthropic(api_key="test-key", base_url=server.base_url_anthropic) as client,
        client.messages.create(model="m", max_tokens=8, messages=USER, stream=True) as stream,
    ):
        kinds = [event.type for event in stream]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert server.last_request.headers["authorization"] == "Bearer test-key"
    assert server.last_request.completed.is_set()


def test_anthropic_accepts_x_api_key_and_rejects_a_wrong_key(server: MockProviderServer) -> None:
    body = {"model": "m", "max_tokens": 8, "messages": USER}
    version = {"anthropic-version": "2023-06-01"}
    status, _ = _post(server, "/v1/messages", body, **version, **{"x-api-key": "test-key"})
    assert status == 200
    status, raw = _post(server, "/v1/messages", body, **version, **{"x-api-key": "nope"})
    assert status == 401
    assert json.loads(raw)["error"]["type"] == "authentication_error"


def test_anthropic_rejects_sampling_options_under_the_new_api_version(
    server: MockProviderServer,
) -> None:
    body = {"model": "m", "max_tokens": 8, "messages": USER, "top_k": 3}
    auth = {"x-api-key": "test-key"}
    status, raw = _post(server, "/v1/messages", body, **auth, **{"anthropic-version": "2026-10-21"})
    assert status == 400
    assert "top_k" in json.loads(raw)["error"]["message"]
    status, _ = _post(server, "/v1/messages", body, **auth, **{"anthropic-version": "2023-06-01"})
    assert status == 200


def test_openai_wrong_key_gets_openai_error_shape(server: MockProviderServer) -> None:
    with (
        openai.OpenAI(api_key="wrong", base_url=server.base_url_openai, max_retries=0) as client,
        pytest.raises(openai.AuthenticationError) as info,
    ):
        client.chat.completions.create(model="m", messages=USER)
    assert info.value.code == "invalid_api_key"


def test_openai_usage_chunk_only_when_asked(server: MockProviderServer) -> None:
    with openai.OpenAI(api_key="test-key", base_url=server.base_url_openai) as client:
        for include in (True, False):
            with client.chat.completions.create(
                model="m",
                messages=USER,
                stream=True,
                stream_options={"include_usage": include},
            ) as stream:
                usage = [chunk.usage for chunk in stream if chunk.usage]
            assert bool(usage) is include


@pytest.mark.parametrize(
    "name",
    ["anthropic_text.sse", "anthropic_tool_use.sse", "llamacpp_anthropic_messages.sse"],
)
def test_fixture_replay_by_model_name(server: MockProviderServer, name: str) -> None:
    with (
        anthropic.Anthropic(api_key="test-key", base_url=server.base_url_anthropic) as client,
        client.messages.create(
            model=f"fixture:{name}", max_tokens=8, messages=USER, stream=True
        ) as stream,
    ):
        kinds = [event.type for event in stream]
    assert kinds[-1] == "message_stop"
    assert isinstance(server.last_request.script, Fixture)


def test_http_errors_carry_retry_after(server: MockProviderServer) -> None:
    server.enqueue(HttpError("rate_limit", retry_after=7), HttpError("overloaded"))
    with anthropic.Anthropic(
        api_key="test-key", base_url=server.base_url_anthropic, max_retries=0
    ) as client:
        with pytest.raises(anthropic.RateLimitError) as info:
            client.messages.create(model="m", max_tokens=8, messages=USER)
        assert info.value.response.headers["retry-after"] == "7"
        with pytest.raises(anthropic.OverloadedError):
            client.messages.create(model="m", max_tokens=8, messages=USER)


def test_server_sees_a_client_hang_up_during_a_held_stream(server: MockProviderServer) -> None:
    server.enqueue(Reply(Text.tokens(10), hold_after=2))
    with openai.OpenAI(api_key="test-key", base_url=server.base_url_openai) as client:
        stream = client.chat.completions.create(model="m", messages=USER, stream=True)
        with stream:
            pieces = [next(stream).choices[0].delta.content for _ in range(3)]
        assert pieces == ["", "tok0 ", "tok1 "]
    assert server.wait_for_disconnect(timeout=5)
    record = server.last_request
    assert record.disconnected.is_set()
    assert not record.completed.is_set()


def test_tokens_are_paced_at_the_fixed_interval(server: MockProviderServer) -> None:
    server.enqueue(Reply(Text.tokens(4), interval=0.02))
    with (
        anthropic.Anthropic(api_key="test-key", base_url=server.base_url_anthropic) as client,
        client.messages.create(model="m", max_tokens=8, messages=USER, stream=True) as stream,
    ):
        texts = [e.delta.text for e in stream if e.type == "content_block_delta"]
    assert texts == ["tok0 ", "tok1 ", "tok2 ", "tok3"]
    # events: message_start, ping, block start, 4 deltas, ...: each delta waited first
    sent = server.last_request.sent_at
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent[3:7])]
    assert all(gap >= 0.019 for gap in gaps)


def test_answers_by_the_last_user_message(server: MockProviderServer) -> None:
    server.on_prompt("left", Reply(Text("went left")))
    server.on_prompt("right", Reply(Text("went right")))
    with anthropic.Anthropic(api_key="test-key", base_url=server.base_url_anthropic) as client:
        for prompt in ("right", "left"):
            messages = [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
            reply = client.messages.create(model="m", max_tokens=8, messages=messages)
            assert reply.content[0].text == f"went {prompt}"
        reply = client.messages.create(model="m", max_tokens=8, messages=USER)
        assert reply.content[0].text == "Hello from the mock provider."


async def test_a_thousand_concurrent_sdk_streams_all_connect_and_complete(
    server: MockProviderServer,
) -> None:
    streams = 1000
    server.default = Reply(Text("one two three"))
    # No idle connections kept: the pool would probe each idle socket on every request it
    # hands out, which costs the client seconds at this size (the server is what is tested).
    limits = httpx2.Limits(max_connections=streams, max_keepalive_connections=0)
    http = anthropic.DefaultAsyncHttpxClient(limits=limits)
    # The client's own loop prepares all the requests before it sees a connection complete
    # (seconds on a busy machine): a connect timeout that outlasts that. A server that cannot
    # queue the burst resets connections, which no timeout hides.
    timeout = httpx2.Timeout(60.0, connect=30.0)
    client = anthropic.AsyncAnthropic(
        api_key="test-key",
        base_url=server.base_url_anthropic,
        max_retries=0,
        http_client=http,
        timeout=timeout,
    )

    async def one() -> str:
        stream = await client.messages.create(model="m", max_tokens=8, messages=USER, stream=True)
        async with stream:
            kinds, text = [], []
            async for event in stream:
                kinds.append(event.type)
                if event.type == "content_block_delta":
                    text.append(event.delta.text)
        assert kinds[-1] == "message_stop"
        return "".join(text)

    async with client:
        assert await one() == "one two three"  # the SDK's first call sets itself up
        texts = await asyncio.gather(*(one() for _ in range(streams)))
    assert texts == ["one two three"] * streams
    records = server.requests
    assert len(records) == streams + 1
    assert all(r.completed.is_set() and r.status == 200 for r in records)
