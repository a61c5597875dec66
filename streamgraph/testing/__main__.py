"""Run the mock provider server on its own, e.g. for a benchmark in another process.

::

    python -m streamgraph.testing --port 8765 --tokens 200 --interval 0.005

Every request then streams ``--tokens`` text tokens, one per ``--interval`` seconds, on both
``/v1/messages`` (Anthropic) and ``/v1/chat/completions`` (OpenAI), until interrupted. A model
named ``fixture:<file>`` replays that recorded stream instead.
"""

from __future__ import annotations

import argparse
import threading

from .mock_provider import MockProviderServer
from .scripts import Reply, Text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m streamgraph.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default="test-key", help="'' accepts any key")
    parser.add_argument("--tokens", type=int, default=50, help="text tokens per reply")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between tokens")
    args = parser.parse_args(argv)
    server = MockProviderServer(
        api_key=args.api_key or None,
        default=Reply(Text.tokens(args.tokens), interval=args.interval),
        host=args.host,
        port=args.port,
    )
    with server:
        print(f"anthropic base_url: {server.base_url_anthropic}", flush=True)
        print(f"openai base_url:    {server.base_url_openai}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
