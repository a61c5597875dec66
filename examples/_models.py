"""The model the examples use: Claude when ``ANTHROPIC_API_KEY`` is set, else a scripted stand-in.

Every example passes the reply it scripts for the stand-in, so it runs anywhere, offline, and
prints the same text each time. With a key, the same code talks to Claude instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from streamgraph.messages import AIMessage
from streamgraph.models import BaseChatModel, FakeChatModel

CLAUDE = "claude-sonnet-4-20250514"
TOKEN_DELAY = 0.02
"""Seconds the scripted model waits before each token, so the streaming is visible."""

_told: set[str] = set()


def _note(text: str) -> None:
    """Print ``text`` to stderr once per run (the examples may pick several models)."""
    if text not in _told:
        _told.add(text)
        print(text, file=sys.stderr)


def pick_model(
    reply: str | Sequence[str | AIMessage],
    *,
    tags: list[str] | None = None,
    streaming: bool | None = None,
    disable_streaming: bool = False,
) -> BaseChatModel:
    """Claude if ``ANTHROPIC_API_KEY`` is set, else a model that streams ``reply`` word by word.

    ``reply`` is one scripted response, or several that successive calls return in turn.
    """
    options: dict[str, Any] = {"tags": tags, "disable_streaming": disable_streaming}
    if streaming is not None:
        options["streaming"] = streaming
    if os.environ.get("ANTHROPIC_API_KEY"):
        try:
            # Imported here: the provider needs the [anthropic] extra, the stand-in does not.
            from streamgraph.models import ChatAnthropic
        except ImportError as exc:
            _note(f"ChatAnthropic is not available ({exc}); a scripted model stands in for Claude.")
        else:
            return ChatAnthropic(model=CLAUDE, **options)
    else:
        _note("ANTHROPIC_API_KEY is not set: a scripted model stands in for Claude.")
    responses = [reply] if isinstance(reply, str) else list(reply)
    return FakeChatModel(responses, delay=TOKEN_DELAY, **options)
