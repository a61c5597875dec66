"""Fixtures of the streaming-contract tests: every behaviour through both doors and node kinds."""

from __future__ import annotations

import pytest

from tests.contract.helpers import DOORS, KINDS


@pytest.fixture(params=DOORS)
def door(request: pytest.FixtureRequest) -> str:
    """The streaming door a test drives: ``stream`` or ``astream``."""
    return str(request.param)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """The node flavour a test builds: ``sync`` or ``async``."""
    return str(request.param)
