"""Every saver, sync and async, behind one door, for the conformance suite.

``door`` is parametrised over memory, SQLite and PostgreSQL (a real server this test run
starts; tests marked ``services``) crossed with the sync and the async methods. Locally,
without PostgreSQL's binaries, the PostgreSQL cases skip with the reason; with ``CI=true``
they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import pytest

from streamgraph.checkpoint.base import (
    BaseCheckpointSaver,
    CheckpointTuple,
)
from streamgraph.checkpoint.memory import InMemorySaver
from streamgraph.checkpoint.sqlite import SqliteSaver
from tests.services import postgres as pg_service

_IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a PostgreSQL server started for this test run, stopped at its end."""
    binaries = pg_service.find_binaries()
    if binaries is None and _IN_CI:
        binaries = pg_service.install()
    if binaries is None:
        reason = (
            "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin; install them "
            "with `python -m tests.services.postgres install` (apt-get install postgresql)"
        )
        print(f"\nSKIP postgres tests: {reason}")
        pytest.skip(reason)
    server = pg_service.start(binaries)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_pool(postgres_url: str) -> Iterator[Any]:
    psycopg_pool = pytest.importorskip(
        "psycopg_pool", reason="the [postgres] extra is not installed in this environment"
    )

    from streamgraph.checkpoint.postgres import PostgresSaver

    pool = psycopg_pool.ConnectionPool(
        postgres_url, min_size=2, max_size=20, kwargs={"autocommit": True}, open=True
    )
    try:
        PostgresSaver(pool).setup()
        yield pool
    finally:
        pool.close()


def _truncate(pool: Any) -> None:
    with pool.connection() as conn:
        conn.execute("TRUNCATE checkpoints, checkpoint_blobs, checkpoint_writes")


def make_saver(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if kind == "memory":
        return InMemorySaver()
    if kind == "sqlite":
        saver = SqliteSaver(tmp_path / "checkpoints.db")
        request.addfinalizer(saver.close)
        return saver
    if kind == "postgres":
        from streamgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        pool = request.getfixturevalue("postgres_pool")
        _truncate(pool)
        return AsyncPostgresSaver(pool)
    raise AssertionError(kind)


BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.services),
]


P = ParamSpec("P")
R = TypeVar("R")


def _either(
    method: Callable[Concatenate[BaseCheckpointSaver, P], R],
) -> Callable[Concatenate[Door, P], Awaitable[R]]:
    """A :class:`Door` method calling the saver's ``method`` or, when the door is async, its
    ``a``-prefixed twin; typed as ``method`` is."""
    name = method.__name__

    async def call(door: Door, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if door.use_async:
            result: R = await getattr(door.saver, "a" + name)(*args, **kwargs)
            return result
        found: R = getattr(door.saver, name)(*args, **kwargs)
        return found

    call.__name__ = name
    return call


class Door:
    """The saver's sync methods, or its async twins, behind one async interface."""

    def __init__(self, saver: BaseCheckpointSaver, use_async: bool) -> None:
        self.saver = saver
        self.use_async = use_async

    put = _either(BaseCheckpointSaver.put)
    put_writes = _either(BaseCheckpointSaver.put_writes)
    get_tuple = _either(BaseCheckpointSaver.get_tuple)
    get = _either(BaseCheckpointSaver.get)
    delete_thread = _either(BaseCheckpointSaver.delete_thread)

    async def list(self, config: Mapping[str, Any] | None, **kwargs: Any) -> list[CheckpointTuple]:
        if self.use_async:
            return [t async for t in self.saver.alist(config, **kwargs)]
        return list(self.saver.list(config, **kwargs))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture(params=[False, True], ids=["sync", "async"])
async def door(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> AsyncIterator[Door]:
    yield Door(make_saver(backend, request, tmp_path), request.param)
