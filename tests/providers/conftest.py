from __future__ import annotations

from collections.abc import Iterator

import pytest

from streamgraph.testing import MockProviderServer

API_KEY = "test-key"


@pytest.fixture
def server() -> Iterator[MockProviderServer]:
    with MockProviderServer(api_key=API_KEY) as mock:
        yield mock
