"""Offline test helpers: a local server that speaks the providers' real wire protocols.

Point the official SDKs (and so :class:`~streamgraph.models.ChatAnthropic` and
:class:`~streamgraph.models.ChatOpenAI`) at it with ``base_url``; script what it answers::

    from streamgraph.testing import HttpError, MockProviderServer, Reply, Text

    with MockProviderServer() as server:
        server.enqueue(HttpError("rate_limit", retry_after=2), Reply(Text("Hi!")))
        ...  # the first call is rate-limited, the second streams "Hi!"
"""

from .mock_provider import MockProviderServer, RecordedRequest
from .scripts import (
    Fixture,
    HttpError,
    RedactedThinking,
    Refusal,
    Reply,
    Script,
    Text,
    Thinking,
    ToolCall,
    Usage,
)

__all__ = [
    "Fixture",
    "HttpError",
    "MockProviderServer",
    "RecordedRequest",
    "RedactedThinking",
    "Refusal",
    "Reply",
    "Script",
    "Text",
    "Thinking",
    "ToolCall",
    "Usage",
]
