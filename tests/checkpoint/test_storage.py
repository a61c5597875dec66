"""Storage per channel version, and growing lists stored as deltas with periodic snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from streamgraph.checkpoint.base import create_checkpoint_id, empty_checkpoint
from streamgraph.checkpoint.memory import InMemorySaver
from streamgraph.checkpoint.sqlite import SqliteSaver
from streamgraph.checkpoint.stored import StoredSaver
from streamgraph.messages import AIMessage, BaseMessage, HumanMessage
from tests.checkpoint.conftest import BACKENDS, make_saver


def stored_blobs(saver: Any) -> list[tuple[str, int]]:
    """``(type, size)`` of every stored channel blob."""
    if isinstance(saver, InMemorySaver):
        return [(b.type, len(b.blob)) for b in saver._rows.blob_rows.values()]
    if isinstance(saver, SqliteSaver):
        rows = saver._session(
            lambda r: r.cur.execute("SELECT type, length(blob) FROM checkpoint_blobs").fetchall(),
            write=False,
        )
        return [(t, n or 0) for t, n in rows]
    rows = saver._session(
        lambda r: r.cur.execute("SELECT type, octet_length(blob) FROM checkpoint_blobs").fetchall(),
        write=False,
    )
    return [(t, n or 0) for t, n in rows]


class Chat:
    """Puts checkpoints the way a chat graph does: the message list grows by one each step."""

    def __init__(self, saver: StoredSaver, thread: str = "chat") -> None:
        self.saver = saver
        self.config: dict[str, Any] = {"configurable": {"thread_id": thread}}
        self.version: str | None = None
        self.step = 0
        self.configs: list[dict[str, Any]] = []

    def put(self, messages: Sequence[BaseMessage]) -> dict[str, Any]:
        self.version = self.saver.get_next_version(self.version, None)
        checkpoint = empty_checkpoint()
        checkpoint["id"] = create_checkpoint_id(self.step)
        checkpoint["channel_values"] = {"messages": messages, "turn": self.step}
        checkpoint["channel_versions"] = {"messages": self.version, "turn": self.version}
        self.config = self.saver.put(
            self.config,
            checkpoint,
            {"source": "loop", "step": self.step},
            {"messages": self.version, "turn": self.version},
        )
        self.step += 1
        self.configs.append(self.config)
        return self.config


def turn_messages(i: int) -> list[BaseMessage]:
    return [
        HumanMessage(f"question {i}: " + "words " * 20, id=f"h{i}"),
        AIMessage(f"answer {i}: " + "tokens " * 60, id=f"a{i}"),
    ]


@pytest.fixture(params=BACKENDS)
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return make_saver(request.param, request, tmp_path)


def test_200_turn_chat_stores_a_fraction_of_the_full_copies(saver: Any) -> None:
    chat, messages = Chat(saver), list[BaseMessage]()
    full_copies = 0
    for i in range(200):
        human, ai = turn_messages(i)
        messages = [*messages, human]
        chat.put(messages)
        full_copies += len(saver.serde.dumps_typed(messages)[1])
        messages = [*messages, ai]
        chat.put(messages)
        full_copies += len(saver.serde.dumps_typed(messages)[1])
    stored = sum(size for _, size in stored_blobs(saver))
    assert stored * 10 < full_copies, (stored, full_copies)
    latest = saver.get_tuple({"configurable": {"thread_id": "chat"}})
    assert latest.checkpoint["channel_values"]["messages"] == messages
    for index in (0, 1, 31, 32, 33, 200, 399):  # around snapshots too
        got = saver.get(chat.configs[index])["channel_values"]["messages"]
        assert got == messages[: index + 1]


def test_growing_list_is_stored_whole_every_snapshot_every_versions(tmp_path: Path) -> None:
    saver = InMemorySaver(snapshot_every=4)
    chat, messages = Chat(saver), list[BaseMessage]()
    for i in range(10):
        messages = [*messages, HumanMessage(str(i))]
        chat.put(messages)
    message_kinds = [
        b.type
        for b in sorted(saver._rows.blob_rows.values(), key=lambda b: b.version)
        if b.channel == "messages"
    ]
    assert ["delta" if k.startswith("delta/") else k for k in message_kinds] == [
        "json",
        "delta",
        "delta",
        "delta",
        "json",
        "delta",
        "delta",
        "delta",
        "json",
        "delta",
    ]
    for i, config in enumerate(chat.configs):
        assert saver.get(config)["channel_values"]["messages"] == messages[: i + 1]  # type: ignore[index]


def test_list_that_stops_growing_is_stored_whole(saver: Any) -> None:
    chat = Chat(saver)
    chat.put([HumanMessage("a"), HumanMessage("b")])
    chat.put([HumanMessage("a"), HumanMessage("b"), HumanMessage("c")])
    replaced = [HumanMessage("a"), HumanMessage("B, edited"), HumanMessage("c")]
    config = chat.put(replaced)
    assert saver.get(config)["channel_values"]["messages"] == replaced
    assert saver.get(chat.configs[1])["channel_values"]["messages"][1].content == "b"


def test_fork_from_an_earlier_checkpoint_keeps_both_branches(saver: Any) -> None:
    chat = Chat(saver)
    base = [HumanMessage("root")]
    chat.put(base)
    chat.put([*base, AIMessage("branch one")])
    chat.config = chat.configs[0]  # continue from the first checkpoint
    fork = chat.put([*base, AIMessage("branch two"), HumanMessage("more")])
    assert saver.get(chat.configs[1])["channel_values"]["messages"][1].content == "branch one"
    assert [m.content for m in saver.get(fork)["channel_values"]["messages"]] == [
        "root",
        "branch two",
        "more",
    ]


def test_deltas_are_read_back_by_a_new_process_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    messages: list[BaseMessage] = []
    with SqliteSaver.from_conn_string(str(path)) as first:
        chat = Chat(first)
        for i in range(5):
            messages = [*messages, HumanMessage(str(i))]
            chat.put(messages)
        last_config = chat.config
    with SqliteSaver.from_conn_string(str(path)) as second:
        assert second.get(last_config)["channel_values"]["messages"] == messages  # type: ignore[index]
        chat2 = Chat(second)
        chat2.config, chat2.version, chat2.step = last_config, chat.version, 5
        more = [*messages, HumanMessage("after restart")]
        config = chat2.put(more)
        assert second.get(config)["channel_values"]["messages"] == more  # type: ignore[index]


def test_thread_reused_after_delete_does_not_build_on_deleted_versions(saver: Any) -> None:
    chat = Chat(saver, "reuse")
    chat.put([HumanMessage("old")])
    saver.delete_thread("reuse")
    chat2 = Chat(saver, "reuse")
    config = chat2.put([HumanMessage("old"), HumanMessage("new")])
    assert [m.content for m in saver.get(config)["channel_values"]["messages"]] == ["old", "new"]
