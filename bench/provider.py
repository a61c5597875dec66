"""Workload 7: a graph streaming from the mock Anthropic server vs the bare ``anthropic`` SDK.

Both read the same local mock (``streamgraph.testing.MockProviderServer``), alternating in one
process. At a fixed rate of a token per millisecond: time to first token and the delay between the
server writing each text delta and the consumer receiving it; at full speed: µs per token.
LangGraph takes no part. Usage: ``.venv/bin/python bench/provider.py [--quick]``
"""

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

from measure import Drained, delay_figures, delays_us, drain, expect, median
from scenarios import PACE_S

MODEL = "claude-sonnet-5"
KEY = "test-key"
TTFT_RUNS_PER_REP = 3  # short paced streams per side and repetition, for time to first token
# The Anthropic stream ends with content_block_stop, message_delta and message_stop after the text.
TRAILING_EVENTS = 3


def sdk_missing() -> str | None:
    """Why the Anthropic rows cannot run here (an extra not installed), or None."""
    try:
        import anthropic  # noqa: F401

        from streamgraph.models import ChatAnthropic  # noqa: F401
        from streamgraph.testing import MockProviderServer  # noqa: F401
    except ImportError as exc:
        return f"needs streamgraph.models.ChatAnthropic, streamgraph.testing and anthropic ({exc})"
    return None


def _sdk_texts(client: Any) -> Iterator[str]:
    """The bare SDK's raw event stream, reduced to its text deltas."""
    messages = [{"role": "user", "content": "go"}]
    with client.messages.create(
        model=MODEL, max_tokens=4096, messages=messages, stream=True
    ) as stream:
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text


def _graph_texts(graph: Any, inputs: Any) -> Iterator[str]:
    for chunk, _ in graph.stream(inputs, stream_mode="messages"):
        if chunk.content:
            yield chunk.content


class Bench:
    """The server, the SDK client and the graph, set up once and measured in turns."""

    def __init__(self, server: Any) -> None:
        import anthropic
        from scenarios import one_node_graph
        from workloads_streamgraph import STREAMGRAPH

        from streamgraph.models import ChatAnthropic

        self.server = server
        url = server.base_url_anthropic
        self.client = anthropic.Anthropic(api_key=KEY, base_url=url)
        model = ChatAnthropic(model=MODEL, api_key=KEY, base_url=url)
        self.graph = one_node_graph(STREAMGRAPH, model, is_async=False)
        self.inputs = {"messages": [STREAMGRAPH.human("go")]}

    def sides(self) -> dict[str, Callable[[], Iterator[str]]]:
        return {
            "floor": lambda: _sdk_texts(self.client),
            "streamgraph": lambda: _graph_texts(self.graph, self.inputs),
        }

    def run(self, side: str, n_tokens: int, interval: float) -> tuple[Drained, list[float]]:
        """One stream of ``n_tokens``; returns what the consumer saw and the per-token delays."""
        from streamgraph.testing import Reply, Text

        self.server.enqueue(Reply(Text.tokens(n_tokens), interval=interval))
        seen = drain(self.sides()[side], stamp=True)
        expect(seen.count == n_tokens, f"{side}: {seen.count} of {n_tokens} text deltas")
        sent = self.server.last_request.sent_at[-(n_tokens + TRAILING_EVENTS) : -TRAILING_EVENTS]
        return seen, delays_us([int(s * 1e9) for s in sent], seen.received_ns)


def measure(bench: Bench, reps: int, paced_tokens: int, fast_tokens: int) -> dict[str, Any]:
    sides = list(bench.sides())
    ttft: dict[str, list[float]] = {side: [] for side in sides}
    delays: dict[str, list[float]] = {side: [] for side in sides}
    per_token: dict[str, list[float]] = {side: [] for side in sides}
    for side in sides:
        bench.run(side, 20, 0.0)  # warm-up: connections, imports, caches
    for _ in range(reps):
        for side in sides:
            for _ in range(TTFT_RUNS_PER_REP):
                ttft[side].append(bench.run(side, 5, PACE_S)[0].first_us)
            delays[side].extend(bench.run(side, paced_tokens, PACE_S)[1])
            seen, _ = bench.run(side, fast_tokens, 0.0)
            per_token[side].append(seen.elapsed_us / fast_tokens)
    out: dict[str, Any] = {
        side: {
            "ttft_us": median(ttft[side]),
            "us_per_token": median(per_token[side]),
            **delay_figures(delays[side]),
        }
        for side in sides
    }
    out["streamgraph"]["added_ttft_us"] = out["streamgraph"]["ttft_us"] - out["floor"]["ttft_us"]
    return out


def _no_nagle() -> None:
    """Have the mock write each event at once: with Nagle's algorithm on, a small write waits for
    the client's delayed ACK (about 40 ms), which would swamp every figure here."""
    from streamgraph.testing import mock_provider

    handler = getattr(mock_provider, "_Handler", None)
    if handler is not None and not getattr(handler, "disable_nagle_algorithm", False):
        handler.disable_nagle_algorithm = True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    reason = sdk_missing()
    if reason:
        result: dict[str, Any] = {"skipped": reason}
    else:
        from streamgraph.testing import MockProviderServer

        _no_nagle()
        with MockProviderServer(api_key=KEY) as server:
            bench = Bench(server)
            if args.quick:
                result = measure(bench, reps=3, paced_tokens=100, fast_tokens=500)
            else:
                result = measure(bench, reps=10, paced_tokens=200, fast_tokens=2000)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
