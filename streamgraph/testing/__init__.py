"""Offline test helpers: a local server that speaks the providers' real wire protocols.

Point the official SDKs (and so :class:`~streamgraph.models.ChatAnthropic` and
:class:`~streamgraph.models.ChatOpenAI`) at it with ``base_url``; script what it answers::

    from streamgraph.testing import HttpError, MockProviderServer, Reply, Text

    with MockProviderServer() as server:
        server.enqueue(HttpError("rate_limit", retry_after=2), Reply(Text("Hi!")))
        ...  # the first call is rate-limited, the second streams "Hi!"
"""

from . import scripts
from .mock_provider import MockProviderServer, RecordedRequest
from .scripts import *  # noqa: F403

__all__ = ["MockProviderServer", "RecordedRequest"]
__all__ += scripts.__all__
