"""200 threads, then 200 tasks, writing to distinct threads of one saver at once: no errors,
nothing lost. On one SQLite file and on one PostgreSQL pool."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamgraph.checkpoint.base import create_checkpoint_id, empty_checkpoint
from streamgraph.checkpoint.sqlite import SqliteSaver
from streamgraph.messages import HumanMessage

WORKERS = 200
STEPS = 4


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.services),
    ]
)
def shared_saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        saver = SqliteSaver(tmp_path / "shared.db")
        yield saver
        saver.close()
        return
    from streamgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    pool = request.getfixturevalue("postgres_pool")
    with pool.connection() as conn:
        conn.execute("TRUNCATE checkpoints, checkpoint_blobs, checkpoint_writes")
    yield AsyncPostgresSaver(pool)


def _step(saver: Any, thread: str, step: int, version: str | None) -> tuple[Any, ...]:
    version = saver.get_next_version(version, None)
    checkpoint = empty_checkpoint()
    checkpoint["id"] = create_checkpoint_id(step)
    messages = [HumanMessage(f"{thread} message {i}") for i in range(step + 1)]
    checkpoint["channel_values"] = {"messages": messages, "owner": thread}
    checkpoint["channel_versions"] = {"messages": version, "owner": version}
    new_versions = {"messages": version, "owner": version}
    return checkpoint, {"source": "loop", "step": step, "owner": thread}, new_versions, version


def _check(saver: Any) -> None:
    every = list(saver.list(None))
    assert len(every) == WORKERS * STEPS
    for w in range(WORKERS):
        thread = f"thread-{w}"
        found = saver.get_tuple({"configurable": {"thread_id": thread}})
        assert found is not None
        values = found.checkpoint["channel_values"]
        assert values["owner"] == thread
        assert [m.content for m in values["messages"]] == [
            f"{thread} message {i}" for i in range(STEPS)
        ]
        assert found.pending_writes == [(f"task-{STEPS - 1}", "owner", thread)]
        assert found.metadata["step"] == STEPS - 1


def _write_thread(saver: Any, thread: str) -> None:
    """Write ``thread``'s ``STEPS`` checkpoints, each with one task's write, with the sync API."""
    config: dict[str, Any] = {"configurable": {"thread_id": thread}}
    version = None
    for step in range(STEPS):
        checkpoint, metadata, new_versions, version = _step(saver, thread, step, version)
        config = saver.put(config, checkpoint, metadata, new_versions)
        saver.put_writes(config, [("owner", thread)], f"task-{step}")


def _write_at_once(savers: list[Any]) -> None:
    """Write ``thread-w`` on ``savers[w % len(savers)]``, every ``w`` in its own OS thread at
    once; raise nothing unless a writer failed."""
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def work(w: int) -> None:
        try:
            start.wait()
            _write_thread(savers[w % len(savers)], f"thread-{w}")
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []


def test_200_threads_write_distinct_threads_at_once(shared_saver: Any) -> None:
    _write_at_once([shared_saver])
    _check(shared_saver)


async def test_200_tasks_write_distinct_threads_at_once(shared_saver: Any) -> None:
    async def work(w: int) -> None:
        thread = f"thread-{w}"
        config: dict[str, Any] = {"configurable": {"thread_id": thread}}
        version = None
        for step in range(STEPS):
            checkpoint, metadata, new_versions, version = _step(shared_saver, thread, step, version)
            config = await shared_saver.aput(config, checkpoint, metadata, new_versions)
            await shared_saver.aput_writes(config, [("owner", thread)], f"task-{step}")

    results = await asyncio.gather(*(work(w) for w in range(WORKERS)), return_exceptions=True)
    assert [r for r in results if r is not None] == []
    await asyncio.to_thread(_check, shared_saver)


def test_two_savers_on_one_sqlite_file_write_at_once_without_locking_errors(
    tmp_path: Path,
) -> None:
    """Two connections (as two processes would have) contend for the file's write lock."""
    path = tmp_path / "two.db"
    with SqliteSaver.from_conn_string(str(path)) as a, SqliteSaver.from_conn_string(str(path)) as b:
        a.setup()
        b.setup()
        _write_at_once([b, a])
        _check(a)
