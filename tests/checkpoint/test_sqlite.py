"""What only the SQLite saver promises: WAL, a busy timeout, its own thread, a clear refusal
of a connection it cannot use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from streamgraph.checkpoint.sqlite import SqliteSaver
from streamgraph.errors import ConfigurationError

CONFIG = {"configurable": {"thread_id": "t"}}


def _pragmas(saver: SqliteSaver) -> tuple[str, int, int]:
    def read(conn: sqlite3.Connection) -> tuple[str, int, int]:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        sync = conn.execute("PRAGMA synchronous").fetchone()[0]
        return mode, timeout, sync

    return saver._worker.call(read)


def test_file_is_in_wal_mode_with_a_busy_timeout_and_normal_sync(tmp_path: Path) -> None:
    with SqliteSaver.from_conn_string(str(tmp_path / "a.db")) as saver:
        assert _pragmas(saver) == ("wal", 5000, 1)
    with SqliteSaver(tmp_path / "b.db", synchronous="FULL", busy_timeout_ms=250) as saver:
        assert _pragmas(saver) == ("wal", 250, 2)


def test_a_connection_of_the_callers_own_thread_is_refused_with_the_fix(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "c.db")
    try:
        with (
            SqliteSaver(conn) as saver,
            pytest.raises(ConfigurationError, match="check_same_thread"),
        ):
            saver.get_tuple(CONFIG)
    finally:
        conn.close()


def test_a_shared_connection_is_used_and_left_open(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "d.db", check_same_thread=False)
    try:
        with SqliteSaver(conn) as saver:
            assert saver.get_tuple(CONFIG) is None
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone() == (0,)
    finally:
        conn.close()


def test_a_closed_saver_says_so(tmp_path: Path) -> None:
    saver = SqliteSaver(tmp_path / "e.db")
    saver.close()
    with pytest.raises(ConfigurationError, match="closed"):
        saver.get_tuple(CONFIG)


def test_bad_synchronous_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="NORMAL"):
        SqliteSaver(tmp_path / "f.db", synchronous="OFF")  # type: ignore[arg-type]
