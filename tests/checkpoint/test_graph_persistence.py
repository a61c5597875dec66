"""``compile(checkpointer=...)``: a chat over one ``thread_id`` continues across calls, doors
and process restarts; every superstep is a checkpoint and every task's writes are kept."""

from __future__ import annotations

import dataclasses
import enum
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

from streamgraph.checkpoint.memory import InMemorySaver
from streamgraph.errors import ConfigurationError, SerializationError
from streamgraph.graph import END, START, MessagesState, StateGraph
from streamgraph.graph.message import add_messages
from streamgraph.messages import AIMessage, BaseMessage
from tests.checkpoint.conftest import BACKENDS, make_saver

ROOT = Path(__file__).resolve().parents[2]


def echo_bot(state: MessagesState) -> dict[str, Any]:
    last = state["messages"][-1]
    return {"messages": [AIMessage(f"echo {last.content} ({len(state['messages'])} so far)")]}


def chat_graph(saver: Any) -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("bot", echo_bot)
    builder.add_edge(START, "bot")
    builder.add_edge("bot", END)
    return builder.compile(checkpointer=saver)


@pytest.fixture(params=BACKENDS)
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return make_saver(request.param, request, tmp_path)


def contents(messages: list[BaseMessage]) -> list[Any]:
    return [m.content for m in messages]


def test_multi_turn_chat_over_one_thread_sync(saver: Any) -> None:
    app = chat_graph(saver)
    config = {"configurable": {"thread_id": "chat-1"}}
    app.invoke({"messages": [("user", "hi")]}, config)
    out = app.invoke({"messages": [("user", "again")]}, config)
    assert contents(out["messages"]) == [
        "hi",
        "echo hi (1 so far)",
        "again",
        "echo again (3 so far)",
    ]
    chunks = list(app.stream({"messages": [("user", "third")]}, config, stream_mode="updates"))
    assert [contents(c["bot"]["messages"]) for c in chunks] == [["echo third (5 so far)"]]
    other = app.invoke({"messages": [("user", "alone")]}, {"configurable": {"thread_id": "2"}})
    assert contents(other["messages"]) == ["alone", "echo alone (1 so far)"]


async def test_multi_turn_chat_over_one_thread_async(saver: Any) -> None:
    app = chat_graph(saver)
    config = {"configurable": {"thread_id": "chat-1"}}
    await app.ainvoke({"messages": [("user", "hi")]}, config)
    seen = [
        chunk.content
        async for chunk, _ in app.astream(
            {"messages": [("user", "again")]}, config, stream_mode="messages"
        )
    ]
    assert seen == ["echo again (3 so far)"]  # the restored history is not streamed again
    latest = await saver.aget_tuple(config)
    assert contents(latest.checkpoint["channel_values"]["messages"]) == [
        "hi",
        "echo hi (1 so far)",
        "again",
        "echo again (3 so far)",
    ]


def test_each_superstep_is_a_checkpoint_with_its_tasks_writes(saver: Any) -> None:
    app = chat_graph(saver)
    config = {"configurable": {"thread_id": "t"}}
    app.invoke({"messages": [("user", "hi")]}, config)
    app.invoke({"messages": [("user", "more")]}, config)
    history = list(saver.list(config))
    assert [(t.metadata["source"], t.metadata["step"]) for t in history] == [
        ("loop", 2),
        ("input", 1),
        ("loop", 0),
        ("input", -1),
    ]
    assert [t.parent_config for t in history[:-1]] == [t.config for t in history[1:]]
    input_checkpoint = history[1]
    [(_task_id, channel, value)] = input_checkpoint.pending_writes
    assert channel == "messages" and contents(value) == ["echo more (3 so far)"]
    assert history[0].pending_writes == []


def test_history_survives_a_process_restart_with_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    setup = "from streamgraph.checkpoint.sqlite import SqliteSaver\n"
    opener = f"SqliteSaver.from_conn_string({str(db)!r})"
    assert _turn_in_a_new_process(setup, opener, "hello") == ["hello", "echo hello (1 so far)"]
    assert _turn_in_a_new_process(setup, opener, "back") == [
        "hello",
        "echo hello (1 so far)",
        "back",
        "echo back (3 so far)",
    ]


@pytest.mark.services
def test_history_survives_a_process_restart_with_postgres(postgres_pool: Any) -> None:
    with postgres_pool.connection() as conn:
        conn.execute("TRUNCATE checkpoints, checkpoint_blobs, checkpoint_writes")
    url = postgres_pool.conninfo
    setup = "from streamgraph.checkpoint.postgres import PostgresSaver\n"
    opener = f"PostgresSaver.from_conn_string({url!r})"
    assert _turn_in_a_new_process(setup, opener, "hello") == ["hello", "echo hello (1 so far)"]
    assert _turn_in_a_new_process(setup, opener, "back")[-1] == "echo back (3 so far)"


def _turn_in_a_new_process(setup: str, opener: str, text: str) -> list[str]:
    script = setup + textwrap.dedent(
        f"""
        import json
        from tests.checkpoint.test_graph_persistence import chat_graph
        with {opener} as saver:
            out = chat_graph(saver).invoke(
                {{"messages": [("user", {text!r})]}}, {{"configurable": {{"thread_id": "keep"}}}}
            )
        print(json.dumps([m.content for m in out["messages"]]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    import json

    result: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_checkpointer_needs_a_thread_id() -> None:
    app = chat_graph(InMemorySaver())
    with pytest.raises(ConfigurationError, match="thread_id"):
        app.invoke({"messages": [("user", "hi")]})


def test_unstorable_state_fails_naming_the_node_and_the_path() -> None:
    class State(TypedDict):
        messages: Annotated[list[BaseMessage], add_messages]
        notes: dict[str, Any]

    def careless(state: State) -> dict[str, Any]:
        return {"notes": {"handle": [object()]}}

    builder = StateGraph(State).add_node("careless", careless)
    builder.add_edge(START, "careless")
    app = builder.compile(checkpointer=InMemorySaver())
    with pytest.raises(SerializationError) as info:
        app.invoke({"messages": [("user", "hi")]}, {"configurable": {"thread_id": "t"}})
    assert info.value.node == "careless"
    assert info.value.path == 'notes["handle"][0]'
    assert "written by node 'careless'" in str(info.value)


class Mood(enum.Enum):
    CALM = "calm"
    UPSET = "upset"


@dataclasses.dataclass
class Ticket:
    title: str
    mood: Mood


def test_types_named_by_the_state_schema_round_trip_without_listing_them(tmp_path: Path) -> None:
    class State(TypedDict):
        tickets: Annotated[list[Ticket], lambda a, b: a + b]

    def file_ticket(state: State) -> dict[str, Any]:
        return {"tickets": [Ticket(f"t{len(state['tickets'])}", Mood.UPSET)]}

    builder = StateGraph(State).add_node("file", file_ticket)
    builder.add_edge(START, "file")
    from streamgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(tmp_path / "t.db")) as saver:
        app = builder.compile(checkpointer=saver)
        config: Any = {"configurable": {"thread_id": "t"}}
        app.invoke({"tickets": []}, config)
        out = app.invoke({"tickets": [Ticket("manual", Mood.CALM)]}, config)
    assert out["tickets"] == [
        Ticket("t0", Mood.UPSET),
        Ticket("manual", Mood.CALM),
        Ticket("t2", Mood.UPSET),
    ]
