from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from streamgraph.models.anthropic import ChatAnthropic
from streamgraph.models.openai import ChatOpenAI
from streamgraph.testing import MockProviderServer

API_KEY = "test-key"


@pytest.fixture
def server() -> Iterator[MockProviderServer]:
    with MockProviderServer(api_key=API_KEY) as mock:
        yield mock


@pytest.fixture
def make_anthropic(server: MockProviderServer) -> Iterator[Callable[..., ChatAnthropic]]:
    """ChatAnthropic pointed at the mock, without SDK retries unless asked for."""
    made: list[ChatAnthropic] = []

    def make(**options: Any) -> ChatAnthropic:
        options = {"api_key": API_KEY, "max_retries": 0, "model": "claude-test", **options}
        model = ChatAnthropic(base_url=server.base_url_anthropic, **options)
        made.append(model)
        return model

    yield make
    for model in made:
        model.close()


@pytest.fixture
def make_openai(server: MockProviderServer) -> Iterator[Callable[..., ChatOpenAI]]:
    """ChatOpenAI pointed at the mock, without SDK retries unless asked for."""
    made: list[ChatOpenAI] = []

    def make(**options: Any) -> ChatOpenAI:
        options = {"api_key": API_KEY, "max_retries": 0, "model": "gpt-test", **options}
        model = ChatOpenAI(base_url=server.base_url_openai, **options)
        made.append(model)
        return model

    yield make
    for model in made:
        model.close()
