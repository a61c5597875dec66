from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import pytest

from streamgraph.models._provider import SDKChatModel
from streamgraph.models.anthropic import ChatAnthropic
from streamgraph.models.base import BaseChatModel
from streamgraph.models.openai import ChatOpenAI
from streamgraph.testing import MockProviderServer

from .streams import VIAS, Via

API_KEY = "test-key"

M = TypeVar("M", bound=SDKChatModel[Any])


@pytest.fixture
def server() -> Iterator[MockProviderServer]:
    with MockProviderServer(api_key=API_KEY) as mock:
        yield mock


@pytest.fixture(params=VIAS)
def via(request: pytest.FixtureRequest) -> Via:
    """Sync or async (the test runs once each way)."""
    return cast(Via, request.param)


def pointed_at_the_mock(
    model_class: type[M], base_url: str, name: str
) -> Iterator[Callable[..., M]]:
    """Make models pointed at the mock, without SDK retries unless asked for; close them after."""
    made: list[M] = []

    def make(**options: Any) -> M:
        options = {"api_key": API_KEY, "max_retries": 0, "model": name, **options}
        model = model_class(base_url=base_url, **options)
        made.append(model)
        return model

    yield make
    for model in made:
        model.close()


@pytest.fixture
def make_anthropic(server: MockProviderServer) -> Iterator[Callable[..., ChatAnthropic]]:
    """ChatAnthropic pointed at the mock, without SDK retries unless asked for."""
    yield from pointed_at_the_mock(ChatAnthropic, server.base_url_anthropic, "claude-test")


@pytest.fixture
def make_openai(server: MockProviderServer) -> Iterator[Callable[..., ChatOpenAI]]:
    """ChatOpenAI pointed at the mock, without SDK retries unless asked for."""
    yield from pointed_at_the_mock(ChatOpenAI, server.base_url_openai, "gpt-test")


@pytest.fixture(params=["anthropic", "openai"])
def make_model(
    request: pytest.FixtureRequest,
    make_anthropic: Callable[..., ChatAnthropic],
    make_openai: Callable[..., ChatOpenAI],
) -> Callable[..., BaseChatModel]:
    """Either provider's model (the test runs once per provider); skipped without its SDK."""
    pytest.importorskip(request.param)
    return make_anthropic if request.param == "anthropic" else make_openai
