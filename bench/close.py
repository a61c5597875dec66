"""Workload 8: how soon closing a stream closes the provider connection of a silent provider.

A sync node runs in a worker thread under ``astream`` and calls a model on the mock Anthropic
server (``streamgraph.testing.MockProviderServer``). The server sends the first text delta, then
holds the stream open with no data (``Reply(hold_after=1)``), as a provider that is thinking.
The consumer takes that first token and calls ``aclose()``; the figure is the time from the
``aclose()`` call until the server sees the client hang up, over many trials. The model's read
timeout is 60 s, so a connection left to the timeout shows as a trial that does not close within
:data:`BOUND_S`: it counts as :data:`BOUND_S` (a late trial), and the hold is then released so
the next trial starts clean. The server checks for a hang-up every 10 ms while it holds, so the
figures carry up to 10 ms of that polling. LangGraph takes no part (it has no such fix to
compare). Usage: ``.venv/bin/python bench/close.py [--quick]``
"""

import argparse
import asyncio
import json
import sys
import threading
import time
from typing import Any

from measure import expect, median, percentile
from provider import sdk_missing

MODEL = "claude-sonnet-5"
KEY = "test-key"
READ_TIMEOUT_S = 60.0
BOUND_S = 1.0  # a trial not closed by then is late (ten times the 100 ms target)
SETTLE_S = 10.0  # after a late trial: how long its node may take to finish once released
TRIALS = 100
QUICK_TRIALS = 20


def _watch(record: Any) -> tuple[bool, float]:
    """Wait (in a thread) for the server to see the client hang up; stamp the moment."""
    seen = record.disconnected.wait(BOUND_S)
    return seen, time.perf_counter()


async def _trial(server: Any, graph: Any, inputs: Any) -> tuple[float, float]:
    """One close: (ms until the server saw the hang-up, ms aclose() took to return)."""
    from streamgraph.testing import Reply, Text

    server.enqueue(Reply(Text.tokens(5), hold_after=1))
    stream = graph.astream(inputs, stream_mode="messages")
    chunk, _ = await anext(stream)
    expect(chunk.content == "tok0 ", f"first chunk {chunk.content!r}")
    record = server.last_request
    expect(record.events_sent > 0 and not record.completed.is_set(), "the stream is not held")
    # If closing waited for the silent provider, this timer ends the wait after the bound.
    releaser = threading.Timer(BOUND_S, record.release.set)
    releaser.start()
    watcher = asyncio.get_running_loop().run_in_executor(None, _watch, record)
    start = time.perf_counter()
    await stream.aclose()
    returned = time.perf_counter()
    seen, seen_at = await watcher
    releaser.cancel()
    if not seen:
        record.release.set()
        settled = await asyncio.to_thread(_settle, record)
        expect(settled, f"the held request did not end within {SETTLE_S} s of its release")
    closed_ms = min((seen_at - start) * 1e3 if seen else BOUND_S * 1e3, BOUND_S * 1e3)
    return closed_ms, (returned - start) * 1e3


def _settle(record: Any) -> bool:
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        if record.completed.wait(0.01) or record.disconnected.is_set():
            return True
    return False


async def measure(server: Any, trials: int) -> dict[str, Any]:
    from scenarios import one_node_graph
    from workloads_streamgraph import STREAMGRAPH

    from streamgraph.models import ChatAnthropic

    model = ChatAnthropic(
        model=MODEL, api_key=KEY, base_url=server.base_url_anthropic, timeout=READ_TIMEOUT_S
    )
    graph = one_node_graph(STREAMGRAPH, model, is_async=False)
    inputs = {"messages": [STREAMGRAPH.human("go")]}
    await _trial(server, graph, inputs)  # warm-up: imports, the connection pool, the threads
    closed, returned = [], []
    for _ in range(trials):
        closed_ms, aclose_ms = await _trial(server, graph, inputs)
        closed.append(closed_ms)
        returned.append(aclose_ms)
    return {
        "streamgraph": {
            "closed_p50_ms": percentile(closed, 50),
            "closed_p99_ms": percentile(closed, 99),
            "closed_max_ms": max(closed),
            "aclose_p50_ms": median(returned),
            "trials": trials,
            "late_trials": sum(ms >= BOUND_S * 1e3 for ms in closed),
        }
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    reason = sdk_missing()
    if reason:
        result: dict[str, Any] = {"skipped": reason}
    else:
        from streamgraph.testing import MockProviderServer

        with MockProviderServer(api_key=KEY, hold_timeout=READ_TIMEOUT_S) as server:
            result = asyncio.run(measure(server, QUICK_TRIALS if args.quick else TRIALS))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
