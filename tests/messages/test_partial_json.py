from __future__ import annotations

import json
from typing import Any

import pytest

from streamgraph.messages import parse_partial_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1, "b": [true, null]}', {"a": 1, "b": [True, None]}),
        ("{", {}),
        ("[", []),
        ('{"city": "Par', {"city": "Par"}),
        ('{"city": "Paris", "uni', {"city": "Paris"}),
        ('{"city": "Paris", "units"', {"city": "Paris"}),
        ('{"city": "Paris", "units":', {"city": "Paris"}),
        ('{"city": "Paris", "units": ', {"city": "Paris"}),
        ('{"city": "Paris",', {"city": "Paris"}),
        ('{"a": [1, 2, ', {"a": [1, 2]}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": {"b": {"c": "d', {"a": {"b": {"c": "d"}}}),
        ('{"a": tr', {}),
        ('{"a": true, "b": nul', {"a": True}),
        ('{"n": -', {}),
        ('{"n": 1.', {"n": 1}),
        ('{"n": 1.5e', {"n": 1.5}),
        ('{"n": 12', {"n": 12}),
        ('{"s": "line\\', {"s": "line"}),
        ('{"s": "caf\\u00e', {"s": "caf"}),
        ('{"s": "caf\\u00e9', {"s": "café"}),
        ('{"s": "a\\"b', {"s": 'a"b'}),
        ('{"s": "\\ud83d', {"s": ""}),
        ('{"s": "\\ud83d\\ude00', {"s": "😀"}),
        ('{"s": "raw\nnewline', {"s": "raw\nnewline"}),
        ('"half a str', "half a str"),
        ("[1, [2, [3", [1, [2, [3]]]),
        ("  {  ", {}),
        ("42", 42),
    ],
)
def test_parse_partial_json_prefixes(text: str, expected: Any) -> None:
    assert parse_partial_json(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-",
        "tr",
        "not json",
        '{"a": x}',
        "}",
        '{"a" 1}',
        '{"a": 1}}',
        "[1,]",
        "{,",
        '{"a": 1,}',
        "01",
        '{"s": "\\q',
    ],
)
def test_parse_partial_json_returns_none_for_non_json(text: str) -> None:
    assert parse_partial_json(text) is None


def test_parse_partial_json_every_prefix_of_a_document_parses() -> None:
    document = json.dumps(
        {
            "query": "weather in Paris",
            "days": [1, 2.5, -3e2],
            "ok": False,
            "nested": {"x": None, "emoji": "é😀"},
        },
        ensure_ascii=True,
    )
    for end in range(1, len(document) + 1):
        assert isinstance(parse_partial_json(document[:end]), dict), document[:end]
    assert parse_partial_json(document) == json.loads(document)


def test_parse_partial_json_deep_nesting_is_none_not_crash() -> None:
    assert parse_partial_json("[" * 100_000) is None
