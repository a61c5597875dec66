"""Empty containers of a message are made when first read, and nothing else can tell."""

from __future__ import annotations

import copy
import gc
import json
import pickle
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    invalid_tool_call,
    merge_chunks,
    message_from_dict,
    message_to_dict,
    tool_call,
    tool_call_chunk,
)

CONTAINERS: dict[str, Any] = {
    "additional_kwargs": {"k": 1},
    "response_metadata": {"model_name": "m"},
    "tool_calls": [tool_call(name="f", args={"a": 1}, id="c1")],
    "invalid_tool_calls": [invalid_tool_call(name="g", args="{", id="c2", error="bad")],
    "tool_call_chunks": [tool_call_chunk(name="f", args='{"a": 1}', id="c1", index=0)],
}

M = TypeVar("M", bound=BaseMessage)

MAKERS: list[Callable[[], BaseMessage]] = [
    lambda: HumanMessage("a"),
    lambda: SystemMessage("a"),
    lambda: AIMessage("a"),
    lambda: AIMessageChunk("a", id="run-1"),
    lambda: ToolMessage("a", tool_call_id="c"),
    lambda: RemoveMessage(id="r"),
    lambda: ChatMessage("a", role="critic"),
]

# AIMessageChunk("tok", id="run-1") pickled with protocol 2: the state names the public fields
# and holds every container, which keeps pickles loadable across releases.
OLD_CHUNK_PICKLE = (
    b"\x80\x02cstreamgraph.messages.ai\nAIMessageChunk\nq\x00)\x81q\x01N}q\x02(X\x10\x00\x00\x00"
    b"tool_call_chunksq\x03]q\x04X\x12\x00\x00\x00invalid_tool_callsq\x05]q\x06X\n\x00\x00\x00"
    b"tool_callsq\x07]q\x08X\x0e\x00\x00\x00usage_metadataq\tNX\x11\x00\x00\x00additional_kwargs"
    b"q\n}q\x0bX\x07\x00\x00\x00contentq\x0cX\x03\x00\x00\x00tokq\rX\x02\x00\x00\x00idq\x0eX\x05"
    b"\x00\x00\x00run-1q\x0fX\x04\x00\x00\x00nameq\x10NX\x11\x00\x00\x00response_metadataq\x11}"
    b"q\x12u\x86q\x13b."
)


def held(message: BaseMessage) -> list[Any]:
    """The objects a message refers to, its class aside."""
    return [o for o in gc.get_referents(message) if o is not type(message)]


def containers_held(message: BaseMessage) -> list[Any]:
    return [o for o in held(message) if isinstance(o, (dict, list))]


def container_fields(message: BaseMessage) -> list[str]:
    return [f for f in message.field_names() if f in CONTAINERS]


def read_all(message: M) -> M:
    for field in container_fields(message):
        getattr(message, field)
    return message


def test_a_plain_chunk_is_one_tracked_object_holding_no_container() -> None:
    chunk = AIMessageChunk(content="tok", id="run-1")
    assert containers_held(chunk) == []
    assert [o for o in held(chunk) if gc.is_tracked(o)] == []
    assert containers_held(AIMessageChunk(content="tok")) == []


@pytest.mark.parametrize("make", MAKERS)
def test_no_message_holds_an_empty_container_until_it_is_read(
    make: Callable[[], BaseMessage],
) -> None:
    message = make()
    assert containers_held(message) == []
    for field in container_fields(message):
        value = getattr(message, field)
        assert value == type(CONTAINERS[field])()
        assert getattr(message, field) is value  # made once, then kept
        assert any(o is value for o in held(message))


@pytest.mark.parametrize("field", list(CONTAINERS))
def test_what_is_set_or_added_is_read_back(field: str) -> None:
    chunk = AIMessageChunk("a")
    value = copy.deepcopy(CONTAINERS[field])
    setattr(chunk, field, value)
    assert getattr(chunk, field) is value
    other = AIMessageChunk("a")
    if isinstance(value, dict):
        getattr(other, field).update(value)
    else:
        getattr(other, field).extend(value)
    assert getattr(other, field) == value
    assert other == chunk
    assert other != AIMessageChunk("a")


def test_containers_given_are_kept_as_they_are_and_empty_ones_are_fresh() -> None:
    extra: dict[str, Any] = {}
    message = AIMessage("a", additional_kwargs=extra)
    assert message.additional_kwargs is extra
    extra["k"] = 1
    assert message.additional_kwargs == {"k": 1}
    a, b = AIMessageChunk("a"), AIMessageChunk("a")
    assert a.tool_calls is not b.tool_calls
    assert a.additional_kwargs is not b.additional_kwargs


@pytest.mark.parametrize("make", MAKERS)
def test_made_and_unmade_empty_containers_compare_and_show_the_same(
    make: Callable[[], BaseMessage],
) -> None:
    lazy, made = make(), read_all(make())
    assert lazy == made
    assert made == lazy
    assert (lazy != made) is False
    assert repr(lazy) == repr(made)
    assert message_to_dict(lazy) == message_to_dict(made)
    assert json.dumps(lazy.model_dump()) == json.dumps(made.model_dump())
    assert lazy.pretty_repr() == made.pretty_repr()
    assert lazy.model_copy() == made.model_copy() == lazy
    assert pickle.dumps(make()) == pickle.dumps(read_all(make()))


def test_an_empty_container_differs_from_a_filled_one_either_way() -> None:
    for field, value in CONTAINERS.items():
        filled = AIMessageChunk("a", **{field: copy.deepcopy(value)})
        lazy, made = AIMessageChunk("a"), read_all(AIMessageChunk("a"))
        assert filled != lazy and lazy != filled
        assert filled != made and made != filled


def test_empty_containers_given_compare_equal_to_none_given() -> None:
    given = AIMessageChunk(
        "a",
        additional_kwargs={},
        response_metadata={},
        tool_calls=[],
        invalid_tool_calls=[],
        tool_call_chunks=[],
    )
    assert given == AIMessageChunk("a")
    assert repr(given) == "AIMessageChunk(content='a')"


def test_merging_plain_chunks_makes_no_container_on_them_or_the_result() -> None:
    chunks = [AIMessageChunk(t, id="run-1") for t in ("a", "b", "c")]
    merged = merge_chunks(chunks)
    assert merged == AIMessageChunk("abc", id="run-1")
    assert all(containers_held(c) == [] for c in chunks)
    assert containers_held(merged) == []
    summed = chunks[0] + chunks[1]
    assert containers_held(summed) == []
    assert containers_held(merged.to_message()) == []
    assert merged.to_message() == AIMessage("abc", id="run-1")


def test_merging_gives_the_same_whether_empty_containers_were_made_or_not() -> None:
    rich = [
        AIMessageChunk("a", id="r", additional_kwargs={"reasoning_content": "x"}),
        AIMessageChunk("b", tool_call_chunks=[tool_call_chunk(name="f", args='{"a"', index=0)]),
        AIMessageChunk("c", tool_call_chunks=[tool_call_chunk(args=": 1}", index=0)]),
        AIMessageChunk("", response_metadata={"finish_reason": "stop"}),
    ]

    def plain() -> list[AIMessageChunk]:
        return [AIMessageChunk("d"), AIMessageChunk("e", name="n")]

    lazy = merge_chunks([*rich[:2], *plain(), *rich[2:]])
    made = merge_chunks([*rich[:2], *(read_all(c) for c in plain()), *rich[2:]])
    assert lazy == made
    assert lazy.content == "abdec"
    assert lazy.name == "n"
    assert lazy.tool_calls == [tool_call(name="f", args={"a": 1}, id=None)]
    assert lazy.additional_kwargs == {"reasoning_content": "x"}
    assert lazy.response_metadata == {"finish_reason": "stop"}


def test_a_container_filled_after_construction_is_merged() -> None:
    first = AIMessageChunk("a", id="r")
    first.additional_kwargs["reasoning_content"] = "think"
    first.tool_call_chunks.append(tool_call_chunk(name="f", args="{}", index=0))
    merged = merge_chunks([first, AIMessageChunk("b")])
    assert merged.additional_kwargs == {"reasoning_content": "think"}
    assert merged.tool_calls == [tool_call(name="f", args={}, id=None)]


def test_pickles_and_copies_name_the_public_fields_as_before() -> None:
    chunk = AIMessageChunk("tok", id="run-1")
    assert pickle.dumps(chunk, protocol=2) == OLD_CHUNK_PICKLE
    loaded = pickle.loads(OLD_CHUNK_PICKLE)
    assert loaded == chunk
    assert loaded.tool_calls == []
    loaded.tool_calls.append(tool_call(name="f", args={}, id="c"))
    assert pickle.loads(pickle.dumps(loaded)) == loaded
    fresh = AIMessageChunk("tok")
    shallow = copy.copy(fresh)
    assert shallow == fresh
    assert shallow.tool_calls is fresh.tool_calls  # a shallow copy shares its containers
    deep = copy.deepcopy(AIMessageChunk("tok", additional_kwargs={"k": [1]}))
    assert deep.additional_kwargs == {"k": [1]}
    assert deep.tool_call_chunks == []
    with pytest.raises(TypeError):
        pickle.dumps(AIMessageChunk("tok"), protocol=0)


def test_messages_read_back_from_dicts_hold_no_empty_container() -> None:
    for make in MAKERS:
        message = make()
        loaded = message_from_dict(message_to_dict(message))
        assert loaded == message
        assert containers_held(loaded) == []
