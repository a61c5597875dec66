"""The floors: the least any Python code can spend on the same job, measured in the same run.

Usage: ``python bench/floors.py FLOOR --size N``, FLOOR one of ``generator``, ``agenerator`` (per
token cost), ``thread_handoff``, ``asyncio_handoff`` (delivery delay with a 1 ms producer),
``paced`` (N bare async generators on workload 6b's schedule, consumed at once).
"""

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator

import paced
from measure import (
    Result,
    Workload,
    adrain,
    delay_figures,
    delays_us,
    drain,
    expect,
    median,
    run_worker,
    script_tokens,
)
from scenarios import PACE_S, TTFT_RUNS

_DONE = object()


def _bare(tokens: list[str]) -> Iterator[str]:
    yield from tokens


async def _abare(tokens: list[str]) -> AsyncIterator[str]:
    for token in tokens:
        yield token


def generator(n_tokens: int) -> Result:
    tokens = script_tokens(n_tokens)
    drain(lambda: _bare(tokens[:100]))  # warm-up, as the framework workers do
    seen = drain(lambda: _bare(tokens))
    expect(seen.count == n_tokens, f"{seen.count} of {n_tokens}")
    return {"us_per_token": seen.elapsed_us / n_tokens}


def agenerator(n_tokens: int) -> Result:
    tokens = script_tokens(n_tokens)
    asyncio.run(adrain(lambda: _abare(tokens[:100])))
    seen = asyncio.run(adrain(lambda: _abare(tokens)))
    expect(seen.count == n_tokens, f"{seen.count} of {n_tokens}")
    return {"us_per_token": seen.elapsed_us / n_tokens}


def _threaded(tokens: list[str], sent: list[int]) -> Iterator[object]:
    """A producer thread paced at 1 ms hands tokens to this consumer through a SimpleQueue."""
    handoff: queue.SimpleQueue[object] = queue.SimpleQueue()

    def produce() -> None:
        for i, token in enumerate(tokens):
            if i:
                time.sleep(PACE_S)
            sent.append(time.perf_counter_ns())
            handoff.put(token)
        handoff.put(_DONE)

    thread = threading.Thread(target=produce)
    thread.start()
    while (item := handoff.get()) is not _DONE:
        yield item
    thread.join()


async def _tasked(tokens: list[str], sent: list[int]) -> AsyncIterator[object]:
    """A producer task paced at 1 ms hands tokens to this consumer through an asyncio.Queue."""
    handoff: asyncio.Queue[object] = asyncio.Queue()

    async def produce() -> None:
        for i, token in enumerate(tokens):
            if i:
                await asyncio.sleep(PACE_S)
            sent.append(time.perf_counter_ns())
            handoff.put_nowait(token)
        handoff.put_nowait(_DONE)

    task = asyncio.create_task(produce())
    while (item := await handoff.get()) is not _DONE:
        yield item
    await task


def _handoff_result(first_us: list[float], sent: list[int], received: list[int]) -> Result:
    return {"ttft_us": median(first_us), **delay_figures(delays_us(sent, received))}


def thread_handoff(n_tokens: int) -> Result:
    short = script_tokens(5)
    first = [drain(lambda: _threaded(short, [])).first_us for _ in range(TTFT_RUNS)]
    sent: list[int] = []
    seen = drain(lambda: _threaded(script_tokens(n_tokens), sent), stamp=True)
    return _handoff_result(first, sent, seen.received_ns)


def asyncio_handoff(n_tokens: int) -> Result:
    short = script_tokens(5)
    first = [asyncio.run(adrain(lambda: _tasked(short, []))).first_us for _ in range(TTFT_RUNS)]
    sent: list[int] = []
    seen = asyncio.run(adrain(lambda: _tasked(script_tokens(n_tokens), sent), stamp=True))
    return _handoff_result(first, sent, seen.received_ns)


async def _scheduled(tokens: list[str], delays: list[float]) -> AsyncIterator[str]:
    for token, delay in zip(tokens, delays, strict=True):
        await asyncio.sleep(delay)
        yield token


def paced_floor(n_streams: int) -> Result:
    delays = paced.schedule(n_streams)
    tokens = script_tokens(paced.TOKENS)
    asyncio.run(adrain(lambda: _scheduled(tokens, [0.0] * paced.TOKENS)))
    return asyncio.run(paced.measure(lambda i: _scheduled(tokens, delays[i]), delays))


FLOORS: dict[str, Workload] = {
    "generator": generator,
    "agenerator": agenerator,
    "thread_handoff": thread_handoff,
    "asyncio_handoff": asyncio_handoff,
    "paced": paced_floor,
}

if __name__ == "__main__":
    run_worker(FLOORS)
