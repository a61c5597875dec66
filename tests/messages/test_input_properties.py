"""Property tests: a message built from any fields either works everywhere a message goes
(text, repr, dumps, JSON, merging, ``add_messages``) or is refused at once with a
``StreamGraphError``; partial JSON of any str or bytes parses or gives ``None``.
"""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from streamgraph.errors import StreamGraphError
from streamgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    add_messages,
    coerce_to_message,
    convert_to_messages,
    message_from_dict,
    message_to_dict,
    parse_partial_json,
)
from tests.strategies import fast, user_values

FAST = fast(200)
_, _, anything = user_values(allow_nan=False, sets=False)
blocks = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "thinking", "reasoning", "image"]) | anything},
    optional={
        "text": st.text(max_size=4) | anything,
        "thinking": anything,
        "reasoning": anything,
        "summary": anything,
        "index": st.integers(0, 2) | anything,
    },
)
contents = (
    st.text(max_size=6)
    | st.lists(st.text(max_size=3) | blocks | anything, max_size=3)
    | st.tuples(st.text(max_size=3))
    | anything
)
tool_calls = st.lists(
    st.fixed_dictionaries(
        {"name": st.text(max_size=3) | anything},
        optional={"args": st.dictionaries(st.text(max_size=3), anything) | anything,
                  "id": st.text(max_size=3) | anything},
    )
    | anything,
    max_size=2,
) | anything  # fmt: skip
tool_call_chunks = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "name": st.none() | st.text(max_size=3) | anything,
            "args": st.none() | st.text(max_size=3) | anything,
            "id": st.none() | st.text(max_size=3),
            "index": st.none() | st.integers(0, 2) | anything,
        },
    ),
    max_size=2,
)
common = {
    "id": st.none() | st.text(max_size=3) | anything,
    "name": st.none() | st.text(max_size=3) | anything,
    "additional_kwargs": st.none() | st.dictionaries(st.text(max_size=4), anything) | anything,
    "response_metadata": st.none() | st.dictionaries(st.text(max_size=4), anything) | anything,
}
ai_fields = {
    **common,
    "tool_calls": st.none() | tool_calls,
    "invalid_tool_calls": st.none() | anything,
    "usage_metadata": st.none()
    | st.fixed_dictionaries({"input_tokens": st.integers(0, 9), "output_tokens": st.integers(0, 9),
                             "total_tokens": st.integers(0, 9)})
    | anything,
}  # fmt: skip
kinds: dict[str, tuple[type[BaseMessage], dict[str, Any], dict[str, Any]]] = {
    "human": (HumanMessage, {}, common),
    "system": (SystemMessage, {}, common),
    "ai": (AIMessage, {}, ai_fields),
    "chunk": (AIMessageChunk, {}, {**ai_fields, "tool_call_chunks": st.none() | tool_call_chunks}),
    "tool": (
        ToolMessage,
        {"tool_call_id": st.text(max_size=3) | anything},
        {**common, "status": st.sampled_from(["success", "error"]) | anything,
         "artifact": anything},
    ),
    "chat": (ChatMessage, {"role": st.text(max_size=3) | anything}, common),
}  # fmt: skip


@st.composite
def built(draw: st.DrawFn) -> tuple[type[BaseMessage], Any, dict[str, Any]]:
    cls, required, optional = kinds[draw(st.sampled_from(sorted(kinds)))]
    fields = draw(st.fixed_dictionaries(required, optional=optional))
    return cls, draw(contents), fields


def _use(message: BaseMessage) -> None:
    """Everything a message goes through on its way through a graph and out of a server."""
    assert isinstance(message.text, str)
    assert isinstance(message.reasoning, str)
    repr(message)
    message.pretty_repr()
    dumped = message_to_dict(message)
    if not isinstance(message, AIMessageChunk):  # a chunk's blocks are checked as a message
        json.dumps(dumped["content"])
    again = message_from_dict(dumped)
    assert type(again) is type(message) and again.content == message.content
    assert message == copy.deepcopy(message)
    assert pickle.loads(pickle.dumps(message)) == message
    merged = add_messages([HumanMessage("before", id="h")], [message])
    assert merged[-1].content == message.content
    if isinstance(message, AIMessageChunk):
        whole = (message + AIMessageChunk("!", id="x")).to_message()
        json.dumps(message_to_dict(whole)["content"])
        add_messages([], [whole])


@FAST
@given(spec=built())
def test_any_message_fields_build_a_working_message_or_get_a_typed_error(
    spec: tuple[type[BaseMessage], Any, dict[str, Any]],
) -> None:
    cls, content, fields = spec
    try:
        message = cls(content, **fields)
        _use(message)
    except Exception as error:
        assert isinstance(error, StreamGraphError), repr(error)


@FAST
@given(id=st.text(max_size=3) | anything)
def test_any_remove_message_id_builds_or_gets_a_typed_error(id: Any) -> None:
    try:
        remove = RemoveMessage(id=id)
        add_messages([HumanMessage("a", id=remove.id)], [remove])
    except Exception as error:
        assert isinstance(error, StreamGraphError), repr(error)


message_likes = (
    anything
    | st.tuples(st.sampled_from(["user", "ai", "system", "tool", "x"]), contents)
    | st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "tool", "system"]) | anything},
        optional={"content": contents, "tool_calls": tool_calls, "tool_call_id": anything,
                  "name": anything, "id": anything, "additional_kwargs": anything},
    )
    | st.fixed_dictionaries(
        {"type": st.sampled_from(["human", "ai", "tool", "remove", "AIMessageChunk"]) | anything},
        optional={"content": contents, "id": anything, "tool_call_id": anything,
                  "role": anything, "tool_call_chunks": anything, "data": anything},
    )
)  # fmt: skip


@FAST
@given(value=message_likes | st.lists(message_likes, max_size=3))
def test_any_message_like_converts_or_gets_a_typed_error(value: Any) -> None:
    try:
        for message in convert_to_messages(value):
            _use(message)
        coerce_to_message(value)
    except Exception as error:
        assert isinstance(error, StreamGraphError), repr(error)


# -- partial JSON -------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)  # NaN and Infinity are not JSON
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)


@FAST
@given(text=st.text(max_size=30) | st.binary(max_size=30))
def test_partial_json_of_any_str_or_bytes_parses_or_gives_none(text: str | bytes) -> None:
    parse_partial_json(text)


@FAST
@given(value=json_values, cut=st.integers(min_value=0), as_bytes=st.booleans())
def test_partial_json_of_any_prefix_of_a_document(value: Any, cut: int, as_bytes: bool) -> None:
    text = json.dumps(value, ensure_ascii=False)
    document: str | bytes = text.encode() if as_bytes else text
    assert parse_partial_json(document) == value
    prefix = document[: cut % (len(document) + 1)]
    result = parse_partial_json(prefix)
    if isinstance(value, dict) and prefix:
        assert isinstance(result, dict)  # an object stays an object however it is cut
