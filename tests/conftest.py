"""Shared test setup: the contract marker and a guard that keeps tests off the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_CONTRACT_DIR = Path(__file__).parent / "contract"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _CONTRACT_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.contract)


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if (
        isinstance(host, str)
        and host not in ("127.0.0.1", "localhost", "::1", "")
        and not (self.family == socket.AF_UNIX)
    ):
        raise OSError(f"tests may not reach the network (tried {address!r}); serve it on 127.0.0.1")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    yield
