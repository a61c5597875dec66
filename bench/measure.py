"""Timing and statistics shared by every benchmark worker.

This module imports neither framework, so each worker (and the orchestrator) can use it. A worker is
a script run as ``python bench/<worker>.py WORKLOAD --size N``; it prints one JSON object on stdout.
"""

import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Result = dict[str, Any]
Workload = Callable[[int], Result]

_WORD = re.compile(r"\s*\S+")


def child_env() -> dict[str, str]:
    """The environment for measured child processes: this one, with bytecode caching on.

    An installed package imports from cached bytecode; with ``PYTHONDONTWRITEBYTECODE`` set,
    a source checkout would be compiled again in every process and its import time inflated.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def script_text(n_tokens: int) -> str:
    """The scripted reply: ``n_tokens`` words separated by single spaces."""
    return " ".join(f"w{i}" for i in range(n_tokens))


def split_words(text: str) -> list[str]:
    """Split as the scripted models stream: whitespace stays on the following word.

    >>> split_words("a b  c")
    ['a', ' b', '  c']
    """
    return _WORD.findall(text)


def script_tokens(n_tokens: int) -> list[str]:
    return split_words(script_text(n_tokens))


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by nearest rank; 0.0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return float(ordered[rank])


def median(values: Iterable[float]) -> float:
    data = list(values)
    return float(statistics.median(data)) if data else 0.0


def maxrss_kib() -> int:
    """Peak resident set size of this process so far (KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass(slots=True)
class Drained:
    """What a consumer saw: item count, and clock readings (ns) of start, first item and end."""

    count: int = 0
    start_ns: int = 0
    first_ns: int = 0
    end_ns: int = 0
    received_ns: list[int] = field(default_factory=list)

    @property
    def elapsed_us(self) -> float:
        return (self.end_ns - self.start_ns) / 1000

    @property
    def first_us(self) -> float:
        return (self.first_ns - self.start_ns) / 1000


def drain(make: Callable[[], Iterable[object]], stamp: bool = False) -> Drained:
    """Start ``make()`` and consume it, counting items; ``stamp`` records each arrival time."""
    out = Drained()
    received = out.received_ns
    clock = time.perf_counter_ns
    out.start_ns = clock()
    for _ in make():
        if stamp:
            received.append(clock())
        elif not out.count:
            out.first_ns = clock()
        out.count += 1
    out.end_ns = clock()
    if stamp and received:
        out.first_ns = received[0]
    return out


async def adrain(make: Callable[[], AsyncIterable[object]], stamp: bool = False) -> Drained:
    """The async twin of :func:`drain` (kept separate: a consumer loop is the thing measured)."""
    out = Drained()
    received = out.received_ns
    clock = time.perf_counter_ns
    out.start_ns = clock()
    async for _ in make():
        if stamp:
            received.append(clock())
        elif not out.count:
            out.first_ns = clock()
        out.count += 1
    out.end_ns = clock()
    if stamp and received:
        out.first_ns = received[0]
    return out


def delays_us(sent_ns: list[int], received_ns: list[int]) -> list[float]:
    """Per-position delay between a producer stamping an item and the consumer receiving it."""
    if len(sent_ns) != len(received_ns):
        raise AssertionError(f"{len(sent_ns)} items sent but {len(received_ns)} received")
    return [(r - s) / 1000 for s, r in zip(sent_ns, received_ns, strict=True)]


def delay_figures(delays: Iterable[float]) -> Result:
    """What every delay measurement reports: the median and 99th percentile delay (µs)."""
    data = list(delays)
    return {"delay_p50_us": percentile(data, 50), "delay_p99_us": percentile(data, 99)}


def expect(condition: bool, message: str) -> None:
    """Fail the worker loudly when a benchmark would otherwise measure the wrong thing."""
    if not condition:
        raise AssertionError(message)


def run_worker(workloads: Mapping[str, Workload], argv: list[str] | None = None) -> None:
    """Parse ``WORKLOAD --size N``, run that workload and print its result as one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=sorted(workloads))
    parser.add_argument("--size", type=int, required=True)
    args = parser.parse_args(argv)
    result = workloads[args.workload](args.size)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
