"""asyncio's private running-loop hooks, checked at import, and the public paths used without
them: the streaming contract holds on both."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from streamgraph.engine import running_loop

ROOT = Path(__file__).resolve().parents[2]


def test_the_private_hooks_pass_their_self_test_on_the_tested_pythons() -> None:
    if os.environ.get("STREAMGRAPH_PUBLIC_ASYNCIO", "") not in ("", "0"):
        pytest.skip("this run forces the public paths")
    assert running_loop.FAST


def test_the_public_reader_agrees_with_asyncio() -> None:
    assert running_loop._public_get() is None

    async def inside() -> asyncio.AbstractEventLoop | None:
        return running_loop._public_get()

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(inside()) is loop
    finally:
        loop.close()


def test_a_self_test_with_hooks_that_misbehave_fails() -> None:
    def never_sets(loop: asyncio.AbstractEventLoop | None) -> None:
        pass

    assert not running_loop._self_test(lambda: None, never_sets)


def test_the_streaming_contract_holds_on_the_public_paths() -> None:
    env = {**os.environ, "STREAMGRAPH_PUBLIC_ASYNCIO": "1"}
    check = subprocess.run(
        [sys.executable, "-c", "from streamgraph.engine import running_loop as r; print(r.FAST)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert check.stdout.strip() == "False"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "tests/contract"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
