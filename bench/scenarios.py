"""The workloads, written once against the API both frameworks share.

Neither framework is imported here: each worker script imports its own and hands the pieces in as a
:class:`Framework`, so the two sides run the same graphs, inputs and consumer loops line for line.
"""

import asyncio
import operator
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypedDict

import paced
from measure import (
    Drained,
    Result,
    Workload,
    adrain,
    delay_figures,
    delays_us,
    drain,
    expect,
    maxrss_kib,
    median,
    percentile,
    script_text,
    script_tokens,
    split_words,
)

PACE_S = 0.001  # workload 3: the model yields a token every millisecond
TTFT_RUNS = 15  # short runs per side for time to first token
WARMUP_TOKENS = 50


@dataclass(frozen=True)
class Framework:
    """The pieces of one framework's public API that the workloads use."""

    StateGraph: Any
    START: str
    END: str
    MessagesState: Any
    human: Callable[[str], Any]
    # scripted(text): a model streaming ``text`` word by word with no delay
    scripted: Callable[[str], Any]
    # paced(tokens, interval_s, stamps): yields a token every interval, appending
    # time.perf_counter_ns() to ``stamps`` just before handing each one over
    paced: Callable[[list[str], float, list[int]], Any]
    # scheduled(tokens, delays): an async stream of ``tokens`` that waits delays[prompt][i]
    # seconds before token i, ``prompt`` being the text of the last input message
    scheduled: Callable[[list[str], dict[str, list[float]]], Any]
    # sqlite_saver(path): a context manager giving the framework's SQLite checkpoint saver
    sqlite_saver: Callable[[str], Any]


class Counter(TypedDict):
    n: int


class FanState(TypedDict):
    hits: Annotated[list[int], operator.add]


def _inputs(fw: Framework) -> dict[str, Any]:
    return {"messages": [fw.human("go")]}


def _model_node(model: Any, is_async: bool, done: list[int] | None = None) -> Callable[..., Any]:
    """The node under test: call the model, return its reply (``done`` gets the return time)."""
    if is_async:

        async def amodel(state: dict[str, Any]) -> dict[str, Any]:
            reply = await model.ainvoke(state["messages"])
            if done is not None:
                done.append(time.perf_counter_ns())
            return {"messages": [reply]}

        return amodel

    def smodel(state: dict[str, Any]) -> dict[str, Any]:
        reply = model.invoke(state["messages"])
        if done is not None:
            done.append(time.perf_counter_ns())
        return {"messages": [reply]}

    return smodel


def one_node_graph(fw: Framework, model: Any, is_async: bool, done: list[int] | None = None) -> Any:
    builder = fw.StateGraph(fw.MessagesState)
    builder.add_node("model", _model_node(model, is_async, done))
    builder.add_edge(fw.START, "model")
    builder.add_edge("model", fw.END)
    return builder.compile()


def three_node_graph(fw: Framework, model: Any, is_async: bool) -> Any:
    """prepare -> model -> finish, where only ``model`` streams."""

    class Noted(fw.MessagesState):  # type: ignore[name-defined,misc]
        note: str

    def prepare(state: dict[str, Any]) -> dict[str, Any]:
        return {"note": "ready"}

    def finish(state: dict[str, Any]) -> dict[str, Any]:
        return {"note": "done"}

    builder = fw.StateGraph(Noted)
    builder.add_node("prepare", prepare)
    builder.add_node("model", _model_node(model, is_async))
    builder.add_node("finish", finish)
    builder.add_edge(fw.START, "prepare")
    builder.add_edge("prepare", "model")
    builder.add_edge("model", "finish")
    builder.add_edge("finish", fw.END)
    return builder.compile()


def _run(graph: Any, inputs: Any, mode: Any, is_async: bool, stamp: bool = False) -> Drained:
    if is_async:
        return asyncio.run(adrain(lambda: graph.astream(inputs, stream_mode=mode), stamp))
    return drain(lambda: graph.stream(inputs, stream_mode=mode), stamp)


def _collect(graph: Any, inputs: Any, mode: Any, is_async: bool) -> list[Any]:
    if not is_async:
        return list(graph.stream(inputs, stream_mode=mode))

    async def go() -> list[Any]:
        return [item async for item in graph.astream(inputs, stream_mode=mode)]

    return asyncio.run(go())


def _check_tokens(chunks: list[Any], text: str) -> None:
    contents = [chunk.content for chunk in chunks]
    expect(contents == split_words(text), f"streamed {contents[:3]}... not the script's words")


def messages_mode(fw: Framework, n_tokens: int, is_async: bool) -> Result:
    """Workload 1: one node, ``stream_mode="messages"``; microseconds per token."""
    text = script_text(WARMUP_TOKENS)
    warm = one_node_graph(fw, fw.scripted(text), is_async)
    _check_tokens([chunk for chunk, _ in _collect(warm, _inputs(fw), "messages", is_async)], text)
    graph = one_node_graph(fw, fw.scripted(script_text(n_tokens)), is_async)
    seen = _run(graph, _inputs(fw), "messages", is_async)
    expect(seen.count == n_tokens, f"expected {n_tokens} chunks, got {seen.count}")
    return {"us_per_token": seen.elapsed_us / n_tokens, "tokens": seen.count}


def multi_mode(fw: Framework, n_tokens: int, is_async: bool) -> Result:
    """Workload 2: ``["messages", "updates"]`` on prepare -> model -> finish."""
    mode = ["messages", "updates"]
    text = script_text(WARMUP_TOKENS)
    warm = _collect(three_node_graph(fw, fw.scripted(text), is_async), _inputs(fw), mode, is_async)
    _check_tokens([payload[0] for kind, payload in warm if kind == "messages"], text)
    updates = [payload for kind, payload in warm if kind == "updates"]
    expect([next(iter(u)) for u in updates] == ["prepare", "model", "finish"], f"{updates!r}")
    graph = three_node_graph(fw, fw.scripted(script_text(n_tokens)), is_async)
    seen = _run(graph, _inputs(fw), mode, is_async)
    expect(seen.count == n_tokens + 3, f"expected {n_tokens} chunks + 3 updates, got {seen.count}")
    return {"us_per_token": seen.elapsed_us / n_tokens, "items": seen.count}


def _model_ttft_us(fw: Framework, is_async: bool) -> float:
    """The model's own time to first token, streamed directly (no graph)."""
    messages = _inputs(fw)["messages"]
    samples = []
    for _ in range(TTFT_RUNS):
        model = fw.paced(script_tokens(5), PACE_S, [])
        start = partial(model.astream if is_async else model.stream, messages)
        seen = asyncio.run(adrain(start)) if is_async else drain(start)
        samples.append(seen.first_us)
    return median(samples)


def _graph_ttft_us(fw: Framework, is_async: bool) -> float:
    samples = []
    for _ in range(TTFT_RUNS):
        model = fw.paced(script_tokens(5), PACE_S, [])
        graph = one_node_graph(fw, model, is_async)
        samples.append(_run(graph, _inputs(fw), "messages", is_async).first_us)
    return median(samples)


def first_token(fw: Framework, n_tokens: int, is_async: bool) -> Result:
    """Workload 3: added time to first token, and model-to-consumer delay per token."""
    model_ttft = _model_ttft_us(fw, is_async)
    graph_ttft = _graph_ttft_us(fw, is_async)
    sent: list[int] = []
    done: list[int] = []
    model = fw.paced(script_tokens(n_tokens), PACE_S, sent)
    graph = one_node_graph(fw, model, is_async, done)
    seen = _run(graph, _inputs(fw), "messages", is_async, stamp=True)
    delays = delays_us(sent, seen.received_ns)
    # Streaming, not replay: the first token must reach the consumer while the node still runs.
    expect(seen.first_ns < done[0], "first token arrived only after the model node returned")
    return {
        "model_ttft_us": model_ttft,
        "graph_ttft_us": graph_ttft,
        "added_ttft_us": graph_ttft - model_ttft,
        **delay_figures(delays),
        "first_token_before_node_end_us": (done[0] - seen.first_ns) / 1000,
    }


def _median_invoke_us(graph: Any, inputs: Any, runs: int, config: Any = None) -> float:
    graph.invoke(inputs, config)  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        graph.invoke(inputs, config)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return median(samples)


def _bump(state: Counter) -> dict[str, int]:
    return {"n": state["n"] + 1}


def chain(fw: Framework, n_nodes: int) -> Result:
    """Workload 4a: ``n_nodes`` trivial nodes in a line, one superstep each, via ``invoke``."""
    builder = fw.StateGraph(Counter)
    names = [f"step{i}" for i in range(n_nodes)]
    for name in names:
        builder.add_node(name, _bump)
    for a, b in zip([fw.START, *names], [*names, fw.END], strict=True):
        builder.add_edge(a, b)
    graph = builder.compile()
    config = {"recursion_limit": n_nodes + 1}  # the two defaults differ
    final = graph.invoke({"n": 0}, config)
    expect(final["n"] == n_nodes, f"chain ended at {final!r}")
    return {"us_per_step": _median_invoke_us(graph, {"n": 0}, runs=20, config=config) / n_nodes}


def _hit(state: FanState) -> dict[str, list[int]]:
    return {"hits": [1]}


def fan_out(fw: Framework, width: int) -> Result:
    """Workload 4b: ``width`` trivial nodes in parallel from START, joined by one node."""
    builder = fw.StateGraph(FanState)
    builder.add_node("join", _hit)
    for i in range(width):
        builder.add_node(f"fan{i}", _hit)
        builder.add_edge(fw.START, f"fan{i}")
        builder.add_edge(f"fan{i}", "join")
    builder.add_edge("join", fw.END)
    graph = builder.compile()
    final = graph.invoke({"hits": []})
    expect(len(final["hits"]) == width + 1, f"fan-out ended with {final!r}")
    return {"us_per_run": _median_invoke_us(graph, {"hits": []}, runs=50)}


CONCURRENT_TOKENS = 100


async def _concurrent(fw: Framework, n_streams: int) -> Result:
    graph = one_node_graph(fw, fw.scripted(script_text(CONCURRENT_TOKENS)), is_async=True)
    inputs = _inputs(fw)

    def stream() -> Any:
        return graph.astream(inputs, stream_mode="messages")

    await adrain(stream)  # warm-up
    rss_before = maxrss_kib()
    start = time.perf_counter_ns()
    runs = await asyncio.gather(*(adrain(stream) for _ in range(n_streams)))
    end = time.perf_counter_ns()
    total = sum(run.count for run in runs)
    expect(total == n_streams * CONCURRENT_TOKENS, f"{total} tokens over {n_streams} streams")
    return {
        "wall_ms": (end - start) / 1e6,
        "tokens_per_s": total / ((end - start) / 1e9),
        "first_token_p50_ms": percentile(((r.first_ns - start) / 1e6 for r in runs), 50),
        "rss_growth_mib": (maxrss_kib() - rss_before) / 1024,
    }


def concurrent(fw: Framework, n_streams: int) -> Result:
    """Workload 6: ``n_streams`` concurrent ``astream`` runs of 100 tokens in one event loop.

    The tokens come with no delay, so a run never waits and the runs execute one after another.
    """
    return asyncio.run(_concurrent(fw, n_streams))


WARM_UP = "warm-up"


def paced_concurrent(fw: Framework, n_streams: int) -> Result:
    """Workload 6b: the graph of workload 6, ``n_streams`` runs started at once, each of
    :data:`paced.TOKENS` tokens paced by its row of :func:`paced.schedule`."""
    delays = paced.schedule(n_streams)
    prompts = [f"run {i}" for i in range(n_streams)]
    by_prompt = dict(zip(prompts, delays, strict=True))
    by_prompt[WARM_UP] = [0.0] * paced.TOKENS
    model = fw.scheduled(script_tokens(paced.TOKENS), by_prompt)
    graph = one_node_graph(fw, model, is_async=True)
    inputs = [{"messages": [fw.human(prompt)]} for prompt in prompts]

    async def go() -> Result:
        warm = {"messages": [fw.human(WARM_UP)]}
        seen = await adrain(lambda: graph.astream(warm, stream_mode="messages"))
        expect(seen.count == paced.TOKENS, f"warm-up streamed {seen.count} chunks")
        return await paced.measure(
            lambda i: graph.astream(inputs[i], stream_mode="messages"), delays
        )

    return asyncio.run(go())


def workloads(fw: Framework) -> dict[str, Workload]:
    """Every workload a framework worker offers, by the name the orchestrator asks for."""
    return {
        "messages_sync": lambda n: messages_mode(fw, n, is_async=False),
        "messages_async": lambda n: messages_mode(fw, n, is_async=True),
        "multimode_sync": lambda n: multi_mode(fw, n, is_async=False),
        "multimode_async": lambda n: multi_mode(fw, n, is_async=True),
        "ttft_sync": lambda n: first_token(fw, n, is_async=False),
        "ttft_async": lambda n: first_token(fw, n, is_async=True),
        "chain": lambda n: chain(fw, n),
        "fanout": lambda n: fan_out(fw, n),
        "concurrent": lambda n: concurrent(fw, n),
        "paced": lambda n: paced_concurrent(fw, n),
        "chat_storage": lambda n: chat_storage(fw, n),
    }


def _stored_bytes(path: str) -> tuple[int, int]:
    """Bytes in every BLOB and TEXT cell of the database, and the file's size after a checkpoint."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cells = 0
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            total = " + ".join(f"coalesce(sum(length({c})), 0)" for c in columns)
            cells += conn.execute(f"SELECT {total} FROM {table}").fetchone()[0]
        conn.execute("VACUUM")
    finally:
        conn.close()
    return cells, os.path.getsize(path)


def chat_storage(fw: Framework, turns: int) -> Result:
    """A chat of ``turns`` turns on one thread of the SQLite saver: how many bytes it keeps."""
    question = "please tell me more about the thing we discussed earlier " * 2
    answer = "here is a longer answer with several sentences of generated text. " * 6

    def bot(state: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [("ai", answer)]}

    folder = tempfile.mkdtemp(prefix="bench-chat-")
    path = os.path.join(folder, "chat.db")
    config = {"configurable": {"thread_id": "chat"}}
    with fw.sqlite_saver(path) as saver:
        builder = fw.StateGraph(fw.MessagesState)
        builder.add_node("bot", bot)
        builder.add_edge(fw.START, "bot")
        builder.add_edge("bot", fw.END)
        graph = builder.compile(checkpointer=saver)
        started = time.perf_counter()
        for _ in range(turns):
            out = graph.invoke({"messages": [("user", question)]}, config)
        elapsed = time.perf_counter() - started
    expect(len(out["messages"]) == 2 * turns, f"expected {2 * turns} messages")
    cells, file_bytes = _stored_bytes(path)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    os.rmdir(folder)
    return {
        "stored_kb": cells / 1024,
        "file_kb": file_bytes / 1024,
        "ms_per_turn": elapsed / turns * 1000,
    }
