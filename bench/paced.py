"""Workload 6b: many runs at once, each streaming at a provider's uneven pace.

A provider sends a token every few milliseconds, never evenly. With a thousand such streams in
one event loop the runs truly overlap (with zero-delay tokens they execute one after another),
so what a framework spends per token shows as CPU time, as a late first token, and as lag of
everything else on the loop. This module imports neither framework: each worker hands in how to
start run ``i``, and the floor hands in bare async generators on the same schedule.
"""

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterable, Callable
from functools import partial

from measure import Drained, Result, adrain, expect, maxrss_kib, percentile

TOKENS = 100  # per run: about a second of pacing, so a run lasts long enough to overlap others
SEED = 20261202  # the same schedule on both sides and in every repetition
MIN_DELAY_S = 0.001
MAX_DELAY_S = 0.020
PROBE_S = 0.001  # the loop-lag probe's period


def schedule(n_streams: int, n_tokens: int = TOKENS) -> list[list[float]]:
    """Per run, the delay (s) before each of its tokens, the first one included: uniform in
    [1 ms, 20 ms], from a fixed seed (a smaller run count gets a prefix of a larger one's)."""
    rng = random.Random(SEED)
    return [
        [rng.uniform(MIN_DELAY_S, MAX_DELAY_S) for _ in range(n_tokens)] for _ in range(n_streams)
    ]


class LoopLag:
    """A task on the running loop that asks to wake every millisecond and notes how late it woke."""

    def __init__(self) -> None:
        self.lags_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        clock = time.perf_counter
        while True:
            due = clock() + PROBE_S
            await asyncio.sleep(PROBE_S)
            self.lags_ms.append(max(0.0, (clock() - due) * 1e3))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _peak_in_flight(runs: list[Drained]) -> int:
    """The most runs that had started and not yet ended at one moment."""
    edges = sorted([(run.start_ns, 1) for run in runs] + [(run.end_ns, -1) for run in runs])
    peak = level = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


async def measure(
    start_run: Callable[[int], AsyncIterable[object]], delays: list[list[float]]
) -> Result:
    """Start every run at once (``start_run(i)`` paced by ``delays[i]``), consume each with
    ``async for`` in its own task, and report what the run cost.

    A first-token time counts from the run's start (its consumer calling ``start_run``) to its
    first item, less the run's own scripted first delay; the ``_from_launch`` twins count from
    the moment all runs were asked for instead (what a caller waits, start-up queue included).
    CPU time is the whole process's.
    """
    n_streams, n_tokens = len(delays), len(delays[0])
    probe = LoopLag()
    rss_before = maxrss_kib()
    probe.start()
    await asyncio.sleep(0)  # the probe's first timer is set before the runs start
    cpu_start = time.process_time()
    launched = time.perf_counter_ns()
    runs = await asyncio.gather(*(adrain(partial(start_run, i)) for i in range(n_streams)))
    end = time.perf_counter_ns()
    cpu_s = time.process_time() - cpu_start
    await probe.stop()
    total = sum(run.count for run in runs)
    expect(total == n_streams * n_tokens, f"{total} tokens over {n_streams} streams")
    first_ms, from_launch_ms = [], []
    for run, pace in zip(runs, delays, strict=True):
        first_ms.append((run.first_ns - run.start_ns) / 1e6 - pace[0] * 1e3)
        from_launch_ms.append((run.first_ns - launched) / 1e6 - pace[0] * 1e3)
    lags = probe.lags_ms
    return {
        "tokens_per_cpu_s": total / cpu_s,
        "tokens_per_s": total / ((end - launched) / 1e9),
        "cpu_ms": cpu_s * 1e3,
        "wall_ms": (end - launched) / 1e6,
        # the least wall time the pacing allows: the longest run's scripted delays
        "paced_wall_ms": max(sum(pace) for pace in delays) * 1e3,
        "first_token_p50_ms": percentile(first_ms, 50),
        "first_token_p99_ms": percentile(first_ms, 99),
        "first_token_from_launch_p50_ms": percentile(from_launch_ms, 50),
        "first_token_from_launch_p99_ms": percentile(from_launch_ms, 99),
        "rss_growth_mib": (maxrss_kib() - rss_before) / 1024,
        "loop_lag_p50_ms": percentile(lags, 50),
        "loop_lag_p99_ms": percentile(lags, 99),
        "loop_lag_max_ms": max(lags, default=0.0),
        "peak_in_flight": _peak_in_flight(runs),
    }
