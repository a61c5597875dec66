"""Turn recorded SSE fixtures into event objects shaped like the SDKs' (attribute access)."""

from __future__ import annotations

import json
from importlib import resources
from types import SimpleNamespace
from typing import Any


class Obj(SimpleNamespace):
    """Attribute access like an SDK model; undeclared keys land in ``model_extra``."""

    model_extra: dict[str, Any]


def obj(value: Any) -> Any:
    """Dicts become attribute objects (recursively); everything else stays as it is."""
    if isinstance(value, dict):
        return Obj(**{k: obj(v) for k, v in value.items()}, model_extra={})
    if isinstance(value, list):
        return [obj(v) for v in value]
    return value


def fixture_payloads(name: str) -> list[dict[str, Any]]:
    """The JSON ``data:`` payloads of a fixture file, in order (``[DONE]`` left out)."""
    raw = resources.files("streamgraph.testing").joinpath("fixtures").joinpath(name).read_text()
    payloads = []
    for line in raw.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            payloads.append(json.loads(line[6:]))
    return payloads
