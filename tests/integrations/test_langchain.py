"""LangChain chat models inside nodes stream in ``messages`` mode like our own models."""

from __future__ import annotations

import asyncio
import gc
import importlib
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import version
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="needs the langchain extra (langchain-core)")

from langchain_core import messages as lc
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages.tool import tool_call_chunk as lc_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.config import var_child_runnable_config

from streamgraph import START, MessagesState, StateGraph
from streamgraph.engine.context import metadata_scope
from streamgraph.errors import MissingDependencyError, RunCancelled
from streamgraph.graph import CompiledStateGraph
from streamgraph.integrations.langchain import _HANDLER, MessagesCallbackHandler, to_langchain
from streamgraph.messages import AIMessage, HumanMessage

TIMEOUT = 10.0
"""Upper bound for waits on events that a correct run sets almost at once."""

TEXT = "hello world foo"
TOKENS = ["hello", " ", "world", " ", "foo"]
INPUTS: dict[str, Any] = {"messages": [HumanMessage("hi", id="in-1")]}
RUN_CONFIG: Any = {"tags": ["run-tag"]}


class NamedFakeChatModel(GenericFakeChatModel):
    """LangChain's fake streaming model, with a model name for ``ls_model_name``."""

    model: str = "fake-lc"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        return {**super()._get_ls_params(stop=stop, **kwargs), "ls_provider": "fake-provider"}


def fake(text: str = TEXT, **kwargs: Any) -> Any:
    """A fake model answering ``text``; typed ``Any`` because LangChain's signatures do not name
    streamgraph messages, which the adapter teaches LangChain to read."""
    return NamedFakeChatModel(messages=iter([lc.AIMessage(content=text)]), **kwargs)


class Probe:
    """What a gated model did: how many tokens it made, and whether its stream was closed."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.closed = threading.Event()
        self.produced = 0


class GatedChatModel(BaseChatModel):
    """Streams ``" t0"``, ``" t1"``, ... and waits for ``probe.gate`` before token ``gate_at``."""

    probe: Any
    tokens: int = 1000
    gate_at: int = 3

    @property
    def _llm_type(self) -> str:
        return "gated"

    def _generate(
        self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        text = "".join(c.message.text for c in self._stream(messages))
        return ChatResult(generations=[ChatGeneration(message=lc.AIMessage(content=text))])

    def _stream(
        self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        try:
            for i in range(self.tokens):
                if i == self.gate_at:
                    self.probe.gate.wait(TIMEOUT)
                self.probe.produced += 1
                yield ChatGenerationChunk(message=lc.AIMessageChunk(content=f" t{i}"))
        finally:
            self.probe.closed.set()


class BlocksChatModel(BaseChatModel):
    """Streams the way ``ChatAnthropic`` does: content blocks, the provider's id on the first
    chunk only, usage on the first and last chunks."""

    @property
    def _llm_type(self) -> str:
        return "blocks"

    def _generate(
        self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        raise NotImplementedError("this model only streams")

    def _stream(
        self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        usage_in: Any = {"input_tokens": 7, "output_tokens": 0, "total_tokens": 7}
        usage_out: Any = {"input_tokens": 0, "output_tokens": 3, "total_tokens": 3}
        pieces = [
            lc.AIMessageChunk(content=[], id="msg_01", usage_metadata=usage_in),
            lc.AIMessageChunk(content=[{"type": "thinking", "thinking": "hm", "index": 0}]),
            lc.AIMessageChunk(content=[{"type": "thinking", "signature": "sig", "index": 0}]),
            lc.AIMessageChunk(content=[{"type": "text", "text": "Hel", "index": 1}]),
            lc.AIMessageChunk(content=[{"type": "text", "text": "lo", "index": 1}]),
            lc.AIMessageChunk(
                content=[{"type": "tool_use", "id": "toolu_1", "name": "get", "index": 2}],
                tool_call_chunks=[lc_chunk(name="get", args="", id="toolu_1", index=2)],
            ),
            lc.AIMessageChunk(
                content=[{"type": "input_json_delta", "partial_json": '{"x": ', "index": 2}],
                tool_call_chunks=[lc_chunk(args='{"x": ', index=2)],
            ),
            lc.AIMessageChunk(
                content=[{"type": "input_json_delta", "partial_json": "1}", "index": 2}],
                tool_call_chunks=[lc_chunk(args="1}", index=2)],
            ),
            lc.AIMessageChunk(content=[], usage_metadata=usage_out),
        ]
        for piece in pieces:
            yield ChatGenerationChunk(message=piece)


def one_node(node: Any, *, tags: list[str] | None = None) -> CompiledStateGraph:
    builder = StateGraph(MessagesState).add_node("talk", node, tags=tags)
    return builder.add_edge(START, "talk").compile()


def run(graph: CompiledStateGraph, inputs: Any = INPUTS, config: Any = RUN_CONFIG) -> Any:
    """``(messages items, final messages)`` of one ``stream`` run."""
    items, final = [], None
    for mode, payload in graph.stream(inputs, config, stream_mode=["messages", "values"]):
        if mode == "messages":
            items.append(payload)
        else:
            final = payload["messages"]
    return items, final


async def arun(graph: CompiledStateGraph, inputs: Any = INPUTS, config: Any = RUN_CONFIG) -> Any:
    """``(messages items, final messages)`` of one ``astream`` run."""
    items, final = [], None
    async for mode, payload in graph.astream(inputs, config, stream_mode=["messages", "values"]):
        if mode == "messages":
            items.append(payload)
        else:
            final = payload["messages"]
    return items, final


def assert_streamed_reply(items: list[Any], final: list[Any], node: str = "talk") -> None:
    """Tokens arrive as LangChain's own chunks, in order, under one id: the id of the reply in
    state, which is LangChain's AIMessage."""
    assert all(type(chunk) is lc.AIMessageChunk for chunk, _ in items), items
    assert [chunk.content for chunk, _ in items] == TOKENS
    reply = final[-1]
    assert type(reply) is lc.AIMessage
    assert reply.content == TEXT
    assert {chunk.id for chunk, _ in items} == {reply.id}
    assert reply.id
    for _, meta in items:
        assert meta["langgraph_node"] == node
        assert meta["langgraph_step"] == 1
        assert meta["ls_model_name"] == "fake-lc"
        assert meta["ls_model_type"] == "chat"
        assert isinstance(meta["tags"], list)
        assert meta["ls_integration"] == "langchain_chat_model"


# -- the three ways a node calls a model, in sync and async nodes ----------------------------
def sync_invoke(model: Any) -> Any:
    def talk(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    return talk


def sync_invoke_with_config(model: Any) -> Any:
    def talk(state: MessagesState, config: Any) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"], config)]}

    return talk


def sync_stream(model: Any) -> Any:
    def talk(state: MessagesState) -> dict[str, Any]:
        reply = None
        for chunk in model.stream(state["messages"]):
            reply = chunk if reply is None else reply + chunk
        return {"messages": [reply]}

    return talk


def async_invoke(model: Any) -> Any:
    async def talk(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    return talk


def async_invoke_with_config(model: Any) -> Any:
    async def talk(state: MessagesState, config: Any) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"], config)]}

    return talk


def async_stream(model: Any) -> Any:
    async def talk(state: MessagesState) -> dict[str, Any]:
        reply = None
        async for chunk in model.astream(state["messages"]):
            reply = chunk if reply is None else reply + chunk
        return {"messages": [reply]}

    return talk


def async_to_thread(model: Any) -> Any:
    async def talk(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await asyncio.to_thread(model.invoke, state["messages"])]}

    return talk


NODES = [
    sync_invoke,
    sync_invoke_with_config,
    sync_stream,
    async_invoke,
    async_invoke_with_config,
    async_stream,
    async_to_thread,
]


@pytest.mark.parametrize("make_node", NODES, ids=lambda f: f.__name__)
def test_stream_messages_yields_langchain_tokens_as_langchain_chunks(make_node: Any) -> None:
    graph = one_node(make_node(fake(tags=["model-tag"])), tags=["node-tag"])
    items, final = run(graph)
    assert_streamed_reply(items, final)
    assert items[0][1]["tags"] == ["run-tag", "node-tag", "model-tag"]
    assert [type(m) for m in final] == [HumanMessage, lc.AIMessage]


@pytest.mark.parametrize("make_node", NODES, ids=lambda f: f.__name__)
async def test_astream_messages_yields_langchain_tokens_as_langchain_chunks(
    make_node: Any,
) -> None:
    graph = one_node(make_node(fake(tags=["model-tag"])))
    items, final = await arun(graph)
    assert_streamed_reply(items, final)
    assert items[0][1]["tags"] == ["run-tag", "model-tag"]


def test_metadata_matches_what_our_models_get_and_is_shared_by_the_call() -> None:
    graph = one_node(sync_invoke(fake()))
    config = {**RUN_CONFIG, "metadata": {"user": "u1"}, "configurable": {"thread_id": "t1"}}
    items, _ = run(graph, config=config)
    meta = items[0][1]
    assert all(m is meta for _, m in items)
    assert meta["langgraph_triggers"] == ("branch:to:talk",)
    assert meta["langgraph_path"] == ("__pregel_pull", "talk")
    assert meta["langgraph_checkpoint_ns"] == meta["checkpoint_ns"]
    assert meta["checkpoint_ns"].startswith("talk:")
    assert meta["thread_id"] == "t1"
    assert meta["user"] == "u1"
    assert meta["ls_provider"] == "fake-provider"
    assert isinstance(meta["run_id"], str)
    # LangGraph 1.2.22 with langchain-core 1.8.3 gives these two keys on a LangChain model's chunks
    assert meta["lc_versions"] == {"langchain-core": version("langchain-core")}
    assert meta["ls_integration"] == "langchain_chat_model"
    with pytest.raises(TypeError):
        meta["user"] = "changed"


def test_concurrent_calls_in_gather_keep_their_own_ids_and_order() -> None:
    first, second = fake("a b c"), fake("x y z")

    async def talk(state: MessagesState) -> dict[str, Any]:
        replies = await asyncio.gather(
            first.ainvoke(state["messages"]), second.ainvoke(state["messages"])
        )
        return {"messages": list(replies)}

    items, final = run(one_node(talk))
    by_id: dict[str | None, str] = {}
    for chunk, _ in items:
        by_id[chunk.id] = by_id.get(chunk.id, "") + str(chunk.content)
    assert by_id == {final[1].id: "a b c", final[2].id: "x y z"}
    assert len(items) == 10  # each token once, no reply repeated at node end


def test_tool_call_id_from_metadata_scope_reaches_the_tokens() -> None:
    model = fake()

    def talk(state: MessagesState) -> dict[str, Any]:
        with metadata_scope(tool_call_id="call-7"):
            return {"messages": [model.invoke(state["messages"])]}

    items, final = run(one_node(talk))
    assert_streamed_reply(items, final)
    assert {meta["tool_call_id"] for _, meta in items} == {"call-7"}


def test_models_inside_tools_stream_with_the_tool_call_id() -> None:
    from langchain_core.tools import tool as lc_tool

    from streamgraph.models import FakeChatModel
    from streamgraph.prebuilt import create_react_agent
    from streamgraph.tools import tool

    first, second = fake("tea is nice", tags=["inner"]), fake("jam is sweet", tags=["inner"])

    @tool
    def summarize(topic: str) -> str:
        """Summarize a topic with a LangChain model (our tool, sync)."""
        return str(first.invoke(f"Summarize {topic}").content)

    @lc_tool
    async def asummarize(topic: str) -> str:
        """Summarize a topic with a LangChain model (a LangChain tool, async)."""
        return str((await second.ainvoke(f"Summarize {topic}")).content)

    calls: Any = [
        {"name": "summarize", "args": {"topic": "tea"}, "id": "call_a", "type": "tool_call"},
        {"name": "asummarize", "args": {"topic": "jam"}, "id": "call_b", "type": "tool_call"},
    ]
    agent_model = FakeChatModel(responses=[AIMessage("", tool_calls=calls), "Done."])
    agent = create_react_agent(agent_model, [summarize, asummarize])
    items = list(agent.stream(INPUTS, stream_mode="messages"))
    by_call: dict[str, str] = {}
    for chunk, meta in items:
        if "inner" in meta["tags"]:
            assert type(chunk) is lc.AIMessageChunk
            assert meta["langgraph_node"] == "tools"
            by_call[meta["tool_call_id"]] = by_call.get(meta["tool_call_id"], "") + chunk.text
    assert by_call == {"call_a": "tea is nice", "call_b": "jam is sweet"}


def test_nostream_model_tag_gives_nothing_but_the_reply_lands_in_state() -> None:
    items, final = run(one_node(sync_invoke(fake(tags=["nostream"]))))
    assert items == []
    assert type(final[-1]) is lc.AIMessage
    assert final[-1].content == TEXT


def test_nostream_call_tag_gives_nothing() -> None:
    model = fake()

    async def talk(state: MessagesState) -> dict[str, Any]:
        reply = await model.ainvoke(state["messages"], {"tags": ["nostream"]})
        return {"messages": [reply]}

    items, final = run(one_node(talk))
    assert items == []
    assert final[-1].content == TEXT


@pytest.mark.parametrize(
    "make_node", [sync_invoke, sync_stream, async_stream], ids=lambda f: f.__name__
)
def test_disable_streaming_gives_one_whole_message(make_node: Any) -> None:
    items, final = run(one_node(make_node(fake(disable_streaming=True))))
    assert len(items) == 1
    message, meta = items[0]
    assert type(message) is lc.AIMessage
    assert message is final[-1]
    assert message.content == TEXT
    assert meta["ls_model_name"] == "fake-lc"
    assert meta["langgraph_node"] == "talk"


def test_content_blocks_stream_as_langchain_made_them_under_the_provider_id() -> None:
    items, final = run(one_node(sync_invoke(BlocksChatModel())))
    chunks = [chunk for chunk, _ in items]
    assert all(type(chunk) is lc.AIMessageChunk for chunk in chunks)
    # content as LangGraph 1.2.22 gives it (it adds LangChain's empty closing chunk, which is
    # left out here); LangGraph keeps LangChain's run id on all but the first chunk, while here
    # every chunk has the provider's id, the id of the reply in state
    assert [chunk.content for chunk in chunks] == [
        [],
        [{"type": "thinking", "thinking": "hm", "index": 0}],
        [{"type": "thinking", "signature": "sig", "index": 0}],
        [{"type": "text", "text": "Hel", "index": 1}],
        [{"type": "text", "text": "lo", "index": 1}],
        [{"type": "tool_use", "id": "toolu_1", "name": "get", "index": 2}],
        [{"type": "input_json_delta", "partial_json": '{"x": ', "index": 2}],
        [{"type": "input_json_delta", "partial_json": "1}", "index": 2}],
        [],
    ]
    assert {chunk.id for chunk in chunks} == {"msg_01"}
    # a tool call is listed once, on the chunk that starts it; pieces of arguments follow
    calls = [(chunk.tool_calls, chunk.invalid_tool_calls) for chunk in chunks[5:8]]
    start = {"name": "get", "args": {}, "id": "toolu_1", "type": "tool_call"}
    assert calls == [([start], []), ([], []), ([], [])]
    # the reply in state is LangChain's, with its blocks (signature included) and the same id
    reply = final[-1]
    assert (type(reply), reply.id, reply.text) == (lc.AIMessage, "msg_01", "Hello")
    assert reply.content[0]["signature"] == "sig"
    assert reply.tool_calls == [{**start, "args": {"x": 1}}]
    assert (reply.usage_metadata or {}).get("total_tokens") == 10


def test_langchain_messages_in_and_out_of_a_graph_stay_langchain_messages() -> None:
    seen: list[Any] = []

    def talk(state: MessagesState) -> dict[str, Any]:
        seen.extend(state["messages"])
        return {"messages": [lc.AIMessage(content="plain reply", id="lc-ai-1")]}

    inputs = {"messages": [lc.HumanMessage(content="hi", id="lc-h-1"), ("user", "and you?")]}
    items, final = run(one_node(talk), inputs=inputs)
    assert [type(m) for m in seen] == [lc.HumanMessage, HumanMessage]
    assert [type(m) for m in final] == [lc.HumanMessage, HumanMessage, lc.AIMessage]
    assert [m.id for m in final][::2] == ["lc-h-1", "lc-ai-1"]
    # the returned message arrives once, whole and as it was returned; the input is not echoed
    assert [type(message) for message, _ in items] == [lc.AIMessage]
    assert items[0][0] is final[-1]
    assert items[0][1]["ls_integration"] == "langgraph"


def test_a_chain_with_a_prompt_streams_and_reads_our_messages() -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), MessagesPlaceholder("m")])
    chain = prompt | fake()

    def talk(state: MessagesState) -> dict[str, Any]:
        return {"messages": [chain.invoke({"m": state["messages"]})]}

    items, final = run(one_node(talk))
    assert_streamed_reply(items, final)


def test_tokens_from_a_subgraph_are_delivered_once_with_the_inner_node() -> None:
    inner = StateGraph(MessagesState).add_node("inner_talk", sync_invoke(fake()))
    subgraph = inner.add_edge(START, "inner_talk").compile()
    outer = StateGraph(MessagesState).add_node("outer", subgraph).add_edge(START, "outer")
    items, final = run(outer.compile())
    assert_streamed_reply(items, final, node="inner_talk")


class Recorder(BaseCallbackHandler):
    """A user's own LangChain handler, passed in the run's config."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self.tokens.append(token)


@pytest.mark.parametrize("as_manager", [False, True], ids=["list", "manager"])
def test_run_callbacks_and_node_config_keep_both_handlers(as_manager: bool) -> None:
    from langchain_core.callbacks import CallbackManager

    recorder = Recorder()
    callbacks: Any = CallbackManager([recorder]) if as_manager else [recorder]
    graph = one_node(sync_invoke_with_config(fake()))
    items, final = run(graph, config={**RUN_CONFIG, "callbacks": callbacks})
    assert_streamed_reply(items, final)
    assert "".join(recorder.tokens) == TEXT


def test_handler_is_not_attached_when_messages_mode_is_off() -> None:
    seen: list[Any] = []
    model = fake()

    def talk(state: MessagesState) -> dict[str, Any]:
        seen.append(var_child_runnable_config.get())
        return {"messages": [model.invoke(state["messages"])]}

    result = one_node(talk).invoke(INPUTS)
    assert seen == [None]
    assert type(result["messages"][-1]) is lc.AIMessage
    assert result["messages"][-1].content == TEXT


def test_handler_is_attached_once_and_removed_after_the_task() -> None:
    seen: list[Any] = []
    model = fake()

    def talk(state: MessagesState) -> dict[str, Any]:
        callbacks: Any = (var_child_runnable_config.get() or {}).get("callbacks") or []
        seen.extend(h for h in callbacks if isinstance(h, MessagesCallbackHandler))
        return {"messages": [model.invoke(state["messages"])]}

    run(one_node(talk))
    assert len(seen) == 1
    assert var_child_runnable_config.get() is None


def test_stopping_the_stream_stops_a_sync_node_at_its_langchain_token() -> None:
    probe = Probe()
    model: Any = GatedChatModel(probe=probe)
    stopped = threading.Event()

    def talk(state: MessagesState) -> dict[str, Any]:
        try:
            return {"messages": [model.invoke(state["messages"])]}
        except RunCancelled:
            stopped.set()
            raise

    stream = one_node(talk).stream(INPUTS, stream_mode="messages")
    got = [next(stream) for _ in range(3)]
    stream.close()  # the node runs in this thread: it stops at the token it is handing over
    assert [chunk.content for chunk, _ in got] == [" t0", " t1", " t2"]
    assert stopped.is_set()
    assert probe.closed.is_set()
    assert probe.produced == 3


class AsyncGatedChatModel(GatedChatModel):
    """:class:`GatedChatModel` with a native async stream (LangChain would otherwise step the
    sync one in an executor thread, which cancelling cannot stop)."""

    async def _astream(
        self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        try:
            for i in range(self.tokens):
                await asyncio.sleep(TIMEOUT if i == self.gate_at else 0)  # as a socket read
                self.probe.produced += 1
                yield ChatGenerationChunk(message=lc.AIMessageChunk(content=f" t{i}"))
        finally:
            self.probe.closed.set()


class RunRecorder(BaseCallbackHandler):
    """A user's handler on the model: which LangChain runs started, and how each one ended."""

    run_inline = True  # called where LangChain reports, not in an executor thread

    def __init__(self) -> None:
        self.started: list[Any] = []
        self.ended: list[tuple[Any, str]] = []
        self.done = threading.Event()

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any, **_: Any) -> None:
        self.started.append(run_id)

    def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
        self.ended.append((run_id, "end"))
        self.done.set()

    def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self.ended.append((run_id, type(error).__name__))
        self.done.set()


def _unraisable_during_gc(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the garbage collector could not raise while collecting now."""
    caught: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", caught.append)
    gc.collect()
    monkeypatch.undo()
    return caught


class ConsumerError(Exception):
    """What the consumer's loop body raises."""


CONSUMER_FAILS = [
    ("stream", sync_invoke),
    ("stream", async_invoke),
    ("stream", async_stream),
    ("astream", sync_invoke),
    ("astream", sync_stream),
    ("astream", async_invoke),
    ("astream", async_stream),
]


@pytest.mark.parametrize(
    ("door", "make_node"), CONSUMER_FAILS, ids=[f"{d}-{m.__name__}" for d, m in CONSUMER_FAILS]
)
async def test_a_consumer_raising_mid_stream_closes_the_langchain_run_as_its_loop_exits(
    door: str, make_node: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe, recorder = Probe(), RunRecorder()
    open_calls = dict(_HANDLER._calls)
    is_async = make_node.__name__.startswith("async")
    model_class = AsyncGatedChatModel if is_async else GatedChatModel
    model: Any = model_class(probe=probe, gate_at=10**6, callbacks=[recorder])
    graph = one_node(make_node(model))
    with pytest.raises(ConsumerError):
        if door == "stream":
            for _chunk in graph.stream(INPUTS, stream_mode="messages"):
                raise ConsumerError
        else:
            async for _chunk in graph.astream(INPUTS, stream_mode="messages"):
                raise ConsumerError
    if door == "astream" and (not is_async or make_node is async_invoke):
        # the model streams elsewhere: a sync node in a worker thread stops at its next
        # token, the task that LangChain's ainvoke streams in is cancelled (bounded wait)
        assert await asyncio.to_thread(probe.closed.wait, TIMEOUT)
    else:  # unwound as the loop exits: the model's stream is closed already
        assert probe.closed.is_set()
    assert len(recorder.started) == 1
    if make_node is not async_invoke:
        # LangChain reports the end itself, from the node's thread or (async) from a task of
        # its own; its ainvoke reports none when its task is cancelled, as under task.cancel()
        assert await asyncio.to_thread(recorder.done.wait, TIMEOUT)
        (run_id, how), *more = recorder.ended
        assert run_id == recorder.started[0] and more == []
        assert how in ("RunCancelled", "CancelledError")
    assert _HANDLER._calls == open_calls  # no call of this run left in streamgraph's handler
    assert _unraisable_during_gc(monkeypatch) == []


@pytest.mark.parametrize("make_node", [async_stream, async_invoke], ids=lambda f: f.__name__)
def test_a_stream_kept_past_its_loop_is_collected_without_errors(
    make_node: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as when a failed test's traceback keeps the stream until after its loop has closed:
    # the collector closes the run, outside its context, and nothing may fail there
    model: Any = AsyncGatedChatModel(probe=Probe(), gate_at=10**6)
    graph = one_node(make_node(model))
    kept: list[Any] = []

    async def consume() -> None:
        stream = graph.astream(INPUTS, stream_mode="messages")
        kept.append(stream)
        async for _chunk in stream:
            raise ConsumerError

    loop = asyncio.new_event_loop()
    with pytest.raises(ConsumerError):
        loop.run_until_complete(consume())
    loop.close()
    caught: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", caught.append)
    kept.clear()
    gc.collect()
    monkeypatch.undo()
    assert caught == []


def test_to_langchain_is_the_reverse_of_from_langchain() -> None:
    ours = AIMessage("x", id="a", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "c"}])
    theirs = to_langchain(ours)
    assert isinstance(theirs, lc.AIMessage)
    assert theirs.tool_calls[0]["args"] == {"a": 1}
    assert to_langchain(HumanMessage("hi", id="1")) == lc.HumanMessage(content="hi", id="1")


def test_importing_without_langchain_core_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "streamgraph.integrations.langchain")
    monkeypatch.setitem(sys.modules, "langchain_core.callbacks", None)
    with pytest.raises(MissingDependencyError, match=r"streamgraph\[langchain\]"):
        importlib.import_module("streamgraph.integrations.langchain")


def test_a_langchain_typed_key_turns_everything_written_to_it_into_langchain_messages() -> None:
    from streamgraph.integrations.langchain import MessagesState as LangChainMessagesState

    def talk(state: Any) -> dict[str, Any]:
        return {"messages": [("ai", "tuple"), AIMessage("ours", id="ours-1")]}

    builder = StateGraph(LangChainMessagesState).add_node("talk", talk).add_edge(START, "talk")
    graph = builder.compile()
    seen: dict[str, list[Any]] = {"messages": [], "updates": []}
    for mode, payload in graph.stream(INPUTS, stream_mode=["messages", "updates"]):
        seen[mode].append(payload)
    # each returned message arrives once, already as the LangChain message the state holds
    assert [(type(m), m.content) for m, _ in seen["messages"]] == [
        (lc.AIMessage, "tuple"),
        (lc.AIMessage, "ours"),
    ]
    assert [type(m) for m in seen["updates"][0]["talk"]["messages"]] == [lc.AIMessage] * 2
    result = graph.invoke(INPUTS)
    assert [type(m) for m in result["messages"]] == [lc.HumanMessage, lc.AIMessage, lc.AIMessage]
    assert [m.id for m in result["messages"]][::2] == ["in-1", "ours-1"]
