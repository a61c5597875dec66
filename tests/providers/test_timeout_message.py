"""A provider that goes silent: the timeout error says what happened and what to change."""

from __future__ import annotations

from collections.abc import Callable

from streamgraph.errors import ProviderTimeoutError, StreamInterruptedError
from streamgraph.models.base import BaseChatModel
from streamgraph.testing import MockProviderServer, Reply, Text

from .streams import Via, collect

MakeModel = Callable[..., BaseChatModel]


async def test_a_timeout_message_names_the_cause_and_the_timeout_option(
    server: MockProviderServer, make_model: MakeModel, via: Via
) -> None:
    server.enqueue(Reply(Text.tokens(3), hold_after=0), Reply(Text.tokens(3), hold_after=1))
    model = make_model(timeout=0.3)
    for expected in (ProviderTimeoutError, StreamInterruptedError):
        _, error = await collect(model, "hi", via)
        assert isinstance(error, expected)
        text = str(error)
        assert "()" not in text
        assert text.rstrip(": ") == text  # no message that ends where the cause should be
        assert "time" in text.lower()
