"""The checkpoint serializer: exact round trips, write-time failures, allow-list, AES-GCM."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import importlib.util
import os
import uuid
from decimal import Decimal
from typing import Any, NamedTuple, TypedDict
from zoneinfo import ZoneInfo

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamgraph.checkpoint.base import empty_checkpoint
from streamgraph.checkpoint.memory import InMemorySaver
from streamgraph.checkpoint.serde import EncryptedSerializer, JsonPlusSerializer
from streamgraph.errors import ConfigurationError, SerializationError
from streamgraph.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from streamgraph.messages.json import message_to_dict
from streamgraph.types import Send


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: tuple[int, ...]


@dataclasses.dataclass
class Box:
    items: list[Any]
    label: str = "box"


class Profile(pydantic.BaseModel):
    name: str
    tags: set[str] = set()
    when: dt.datetime | None = None


class Pair(NamedTuple):
    a: int
    b: str


class Movie(TypedDict):
    title: str
    year: int


ALLOWED = [Color, Level, Point, Box, Profile, Pair]


def roundtrip(value: Any, serde: Any = None) -> Any:
    serde = serde or JsonPlusSerializer(allowed_types=ALLOWED)
    return serde.loads_typed(serde.dumps_typed(value))


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (== alone lets 1 == 1.0 == True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return bool(b != b)
    if isinstance(a, BaseMessage):  # compared field by field, so a NaN inside them counts as equal
        return same(message_to_dict(a), message_to_dict(b))
    if isinstance(a, (dt.datetime, dt.time)):
        return a == b and a.tzinfo == b.tzinfo and repr(a) == repr(b)
    return bool(a == b)


@pytest.mark.parametrize(
    "value",
    [
        None,
        [float("nan"), float("inf"), -float("inf"), -0.0],
        b"\x00raw",
        {"t": (1, (2, "x")), "s": {1, 2}, "f": frozenset({"a"})},
        {1: "int key", (1, 2): "tuple key", "$t": "looks like a tag"},
        [dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc), dt.date(2026, 1, 2)],
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Paris")),
        dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5), "PKT")),
        dt.time(12, 30, 1, 5),
        dt.timedelta(days=-1, seconds=5, microseconds=7),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        Decimal("3.14159265358979323846264338327950288"),
        bytearray(b"ab"),
        [Color.RED, Level.HIGH],
        Point(1, (2, 3)),
        Box([Point(0, ()), {"k": Color.BLUE}]),
        Profile(name="ada", tags={"x"}, when=dt.datetime(2020, 1, 1)),
        Profile(name="only name"),
        Pair(1, "b"),
        Movie(title="Alien", year=1979),
        2**100,
        float("inf"),
        "lone surrogate \ud800 kept",
        Send("node", {"arg": (1,)}),
    ],
)
def test_serde_round_trips_exactly(value: Any) -> None:
    back = roundtrip(value)
    assert same(back, value), (value, back)
    if isinstance(value, pydantic.BaseModel):
        assert back.model_fields_set == value.model_fields_set


def test_serde_round_trips_streamgraph_messages_with_nested_types() -> None:
    messages = [
        HumanMessage("hi", id="1", additional_kwargs={"when": dt.date(2026, 1, 1)}),
        AIMessage(
            "",
            tool_calls=[{"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}],
            usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
        ),
        AIMessageChunk("par", id="run-1"),
        ToolMessage("4", tool_call_id="c1", artifact={"raw": (4,)}),
    ]
    back = roundtrip(messages)
    assert back == messages
    assert [type(m) for m in back] == [type(m) for m in messages]
    assert back[0].additional_kwargs["when"] == dt.date(2026, 1, 1)
    assert back[3].artifact == {"raw": (4,)}


def test_serde_round_trips_langchain_messages() -> None:
    lc = pytest.importorskip("langchain_core.messages")
    messages = [
        lc.HumanMessage("hi", id="h1"),
        lc.AIMessage(
            "ok",
            tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1", "type": "tool_call"}],
        ),
        lc.ToolMessage("done", tool_call_id="c1"),
        lc.AIMessageChunk("chunk"),
    ]
    back = JsonPlusSerializer().loads_typed(JsonPlusSerializer().dumps_typed(messages))
    assert back == messages
    assert [type(m) for m in back] == [type(m) for m in messages]


def test_unstorable_value_fails_at_write_with_the_state_path() -> None:
    saver = InMemorySaver()
    checkpoint = empty_checkpoint()
    bad = AIMessage("x", additional_kwargs={"x": object()})
    checkpoint["channel_values"] = {"messages": [HumanMessage("a")] * 3 + [bad]}
    checkpoint["channel_versions"] = {"messages": "1"}
    with pytest.raises(SerializationError) as info:
        saver.put({"configurable": {"thread_id": "t"}}, checkpoint, {}, {"messages": "1"})
    assert info.value.path == 'messages[3].additional_kwargs["x"]'
    assert 'messages[3].additional_kwargs["x"]' in str(info.value)
    assert info.value.type_name == "builtins:object"
    assert isinstance(info.value, TypeError)
    assert saver.get_tuple({"configurable": {"thread_id": "t"}}) is None  # nothing half-written


def test_unstorable_write_names_its_channel_and_the_node_when_given() -> None:
    saver = InMemorySaver()
    config = saver.put({"configurable": {"thread_id": "t"}}, empty_checkpoint(), {}, {})
    with pytest.raises(SerializationError) as info:
        saver.put_writes(config, [("docs", {"a": [lambda: 1]})], "task-1")
    assert info.value.path == 'docs["a"][0]'
    named = info.value.at("", node="retrieve")
    assert "written by node 'retrieve'" in str(named) and named.path == 'docs["a"][0]'


def test_class_outside_the_allow_list_fails_at_write_not_at_read() -> None:
    serde = JsonPlusSerializer()  # Point not allowed
    with pytest.raises(SerializationError) as info:
        serde.dumps_typed({"p": Point(1, ())})
    assert info.value.path == '["p"]'
    assert "allowed_types" in str(info.value)


def test_load_refuses_a_class_it_was_not_given_and_imports_nothing() -> None:
    stored = JsonPlusSerializer(allowed_types=[Point]).dumps_typed(Point(1, ()))
    with pytest.raises(SerializationError, match="not an allowed type"):
        JsonPlusSerializer().loads_typed(stored)
    forged = b'{"$t":"dc","c":"os:system","v":{}}'
    with pytest.raises(SerializationError, match="not an allowed type"):
        JsonPlusSerializer().loads_typed(("json", forged))


def test_unrestorable_tzinfo_fails_at_write() -> None:
    class Odd(dt.tzinfo):
        def utcoffset(self, d: object) -> dt.timedelta:
            return dt.timedelta(0)

        def dst(self, d: object) -> dt.timedelta:
            return dt.timedelta(0)

        def tzname(self, d: object) -> str:
            return "odd"

    with pytest.raises(SerializationError, match="tzinfo"):
        JsonPlusSerializer().dumps_typed(dt.datetime(2020, 1, 1, tzinfo=Odd()))


needs_crypto = pytest.mark.skipif(
    importlib.util.find_spec("cryptography") is None,
    reason="the [crypto] extra (cryptography) is not installed here",
)


@needs_crypto
def test_encrypted_checkpoint_is_unreadable_without_the_key() -> None:
    key = os.urandom(32)
    saver = InMemorySaver(serde=EncryptedSerializer.from_aes_key(key))
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"secret": "the launch code is 0000"}
    checkpoint["channel_versions"] = {"secret": "1"}
    config = saver.put({"configurable": {"thread_id": "t"}}, checkpoint, {}, {"secret": "1"})
    blob = next(iter(saver._rows.blob_rows.values()))
    assert blob.type == "json+aesgcm" and b"launch" not in blob.blob
    assert saver.get(config)["channel_values"] == {"secret": "the launch code is 0000"}  # type: ignore[index]

    thief = InMemorySaver(serde=EncryptedSerializer.from_aes_key(os.urandom(32)))
    thief._rows = saver._rows
    with pytest.raises(SerializationError, match="cannot decrypt"):
        thief.get(config)
    plain = InMemorySaver()
    plain._rows = saver._rows
    with pytest.raises(SerializationError, match="encrypted"):
        plain.get(config)


@needs_crypto
def test_encrypted_serializer_reads_values_written_before_encryption() -> None:
    old = JsonPlusSerializer().dumps_typed({"a": 1})
    assert EncryptedSerializer.from_aes_key(os.urandom(16)).loads_typed(old) == {"a": 1}


def test_aes_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="16, 24 or 32"):
        EncryptedSerializer.from_aes_key(b"short")


# -- property test --------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),  # NaN != NaN inside objects compared with ==; NaN has its own case
    st.text(),
    st.binary(max_size=20),
    st.datetimes(timezones=st.sampled_from([None, dt.timezone.utc, ZoneInfo("Asia/Tokyo")])),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.uuids(),
    st.decimals(allow_nan=False),
    st.sampled_from(list(Color) + list(Level)),
    st.builds(HumanMessage, st.text(), id=st.none() | st.text(max_size=5)),
)
_hashable = st.one_of(st.integers(), st.text(max_size=5), st.tuples(st.integers()))


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.text(max_size=5), children, max_size=4),
        st.dictionaries(_hashable, children, max_size=3),
        st.frozensets(_hashable, max_size=3),
        st.sets(_hashable, max_size=3),
        st.builds(Point, st.integers(), st.tuples(st.integers())),
        st.builds(Box, st.lists(children, max_size=3)),
        st.builds(Profile, name=st.text(max_size=5), tags=st.sets(st.text(max_size=3))),
        st.builds(Pair, st.integers(), st.text(max_size=3)),
        st.builds(
            AIMessage,
            st.text(max_size=5),
            additional_kwargs=st.dictionaries(st.text(max_size=3), children, max_size=2),
        ),
    )


@settings(max_examples=150, deadline=None)
@given(st.recursive(_scalars, _containers, max_leaves=12))
def test_serde_round_trip_property(value: Any) -> None:
    back = roundtrip(value)
    assert same(back, value) or (isinstance(value, set | frozenset) and back == value)
