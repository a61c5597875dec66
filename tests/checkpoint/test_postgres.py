"""What only the PostgreSQL saver promises: it migrates itself under a lock, needs no autocommit,
runs pooled calls side by side, and can stay off prepared statements (pgbouncer)."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from streamgraph.checkpoint.base import empty_checkpoint
from tests.checkpoint.conftest import ROOT

pytestmark = pytest.mark.services

psycopg = pytest.importorskip("psycopg")
psycopg_pool = pytest.importorskip("psycopg_pool")

from streamgraph.checkpoint.postgres import PostgresSaver  # noqa: E402

CONFIG = {"configurable": {"thread_id": "t"}}


@pytest.fixture
def fresh_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database on the test server."""
    name = f"db_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _put_and_get(saver: PostgresSaver) -> Any:
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"x": [1, 2]}
    checkpoint["channel_versions"] = {"x": "1"}
    config = saver.put(CONFIG, checkpoint, {"step": 0}, {"x": "1"})
    return saver.get(config)


def test_saver_creates_its_tables_on_first_use_on_a_connection_without_autocommit(
    fresh_url: str,
) -> None:
    with psycopg.connect(fresh_url) as conn:  # autocommit off, as psycopg defaults
        assert conn.autocommit is False
        saver = PostgresSaver(conn)
        got = _put_and_get(saver)
        assert got is not None and got["channel_values"] == {"x": [1, 2]}
    with psycopg.connect(fresh_url) as other:  # committed, not left in an open transaction
        versions = [r[0] for r in other.execute("SELECT v FROM checkpoint_migrations ORDER BY v")]
        assert versions == [0, 1, 2, 3]
        assert other.execute("SELECT count(*) FROM checkpoints").fetchone() == (1,)


def test_many_savers_migrating_a_fresh_database_at_once_apply_each_step_once(
    fresh_url: str,
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def setup() -> None:
        try:
            with psycopg.connect(fresh_url) as conn:
                start.wait()
                PostgresSaver(conn).setup()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=setup) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(fresh_url) as conn:
        rows = conn.execute("SELECT v, count(*) FROM checkpoint_migrations GROUP BY v").fetchall()
        assert sorted(rows) == [(0, 1), (1, 1), (2, 1), (3, 1)]


def test_pooled_calls_run_side_by_side_with_no_saver_lock(fresh_url: str) -> None:
    with PostgresSaver.from_conn_string(fresh_url, max_size=4) as saver:
        saver.setup()
        with psycopg.connect(fresh_url, autocommit=True) as holder:
            holder.execute("SELECT pg_advisory_lock(4242)")
            inside = threading.Event()

            def blocked_call() -> None:
                def wait_for_lock(rows: Any) -> None:
                    inside.set()
                    rows.cur.execute("SELECT pg_advisory_lock(4242)")
                    rows.cur.execute("SELECT pg_advisory_unlock(4242)")

                saver._session(wait_for_lock, write=False)

            blocked = threading.Thread(target=blocked_call)
            blocked.start()
            assert inside.wait(timeout=30)
            # one call is stuck inside the saver; another still gets through
            got = _put_and_get(saver)
            assert got is not None and got["channel_values"] == {"x": [1, 2]}
            assert blocked.is_alive()
            holder.execute("SELECT pg_advisory_unlock(4242)")
        blocked.join(timeout=30)
        assert not blocked.is_alive()


def _prepared_count(saver: PostgresSaver) -> int:
    count: int = saver._session(
        lambda rows: rows.cur.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0],
        write=False,
    )
    return count


def test_prepare_threshold_none_never_prepares_statements_for_pgbouncer(fresh_url: str) -> None:
    with PostgresSaver.from_conn_string(fresh_url, max_size=1, prepare_threshold=None) as saver:
        for _ in range(10):
            saver.get_tuple(CONFIG)
        assert _prepared_count(saver) == 0
    with PostgresSaver.from_conn_string(fresh_url, max_size=1, prepare_threshold=1) as saver:
        for _ in range(10):
            saver.get_tuple(CONFIG)
        assert _prepared_count(saver) > 0  # the default path does prepare: the option matters


def test_one_connection_and_relaxed_commits_work_too(fresh_url: str) -> None:
    with PostgresSaver.from_conn_string(fresh_url, pool=False, synchronous_commit=False) as saver:
        got = _put_and_get(saver)
        assert got is not None and got["channel_values"] == {"x": [1, 2]}


def test_anything_but_a_connection_or_pool_is_refused() -> None:
    from streamgraph.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="Connection or ConnectionPool"):
        PostgresSaver("postgresql://nowhere")  # type: ignore[arg-type]


def test_missing_extra_says_what_to_install() -> None:
    script = (
        "import sys; sys.modules['psycopg'] = None\n"
        "try:\n"
        "    import streamgraph.checkpoint.postgres\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "MissingDependencyError" in done.stdout
    assert "pip install 'streamgraph[postgres]'" in done.stdout
