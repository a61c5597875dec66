from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from streamgraph.models.anthropic import ChatAnthropic
from streamgraph.models.base import BaseChatModel
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


@pytest.fixture(params=["anthropic", "openai"])
def make_model(
    request: pytest.FixtureRequest,
    make_anthropic: Callable[..., ChatAnthropic],
    make_openai: Callable[..., ChatOpenAI],
) -> Callable[..., BaseChatModel]:
    """Either provider's model (the test runs once per provider); skipped without its SDK."""
    pytest.importorskip(request.param)
    return make_anthropic if request.param == "anthropic" else make_openai


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
