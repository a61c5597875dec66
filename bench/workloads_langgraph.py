"""Benchmark worker for LangGraph (run with the bench virtualenv's Python).

Usage: ``bench/.venv-langgraph/bin/python bench/workloads_langgraph.py WORKLOAD --size N``
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.outputs.chat_generation import merge_chat_generation_chunks
from langgraph.graph import END, START, MessagesState, StateGraph
from measure import run_worker, split_words
from scenarios import Framework, workloads


class ScriptedChatModel(BaseChatModel):
    """Streams fixed tokens natively from ``_stream`` / ``_astream``.

    With ``interval == 0`` the async stream never yields to the event loop between tokens, like
    the streamgraph side's scripted model. The last chunk carries ``chunk_position="last"``, so
    langchain-core appends no empty closing chunk and both sides deliver one chunk per token.
    """

    tokens: list[str]
    interval: float = 0.0
    # Any, not list[int]: pydantic would validate a list into a copy, and the caller reads this one.
    stamps: Any = None
    # prompt -> the delay (s) before each token, the first one included; replaces ``interval``
    delays: Any = None

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _chunk(self, i: int) -> ChatGenerationChunk:
        position: Literal["last"] | None = "last" if i == len(self.tokens) - 1 else None
        chunk = ChatGenerationChunk(
            message=AIMessageChunk(content=self.tokens[i], chunk_position=position)
        )
        if self.stamps is not None:
            self.stamps.append(time.perf_counter_ns())
        return chunk

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for i in range(len(self.tokens)):
            if i and self.interval:
                time.sleep(self.interval)
            yield self._chunk(i)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if self.delays is not None:
            for i, delay in enumerate(self.delays[messages[-1].content]):
                await asyncio.sleep(delay)
                yield self._chunk(i)
            return
        for i in range(len(self.tokens)):
            if i and self.interval:
                await asyncio.sleep(self.interval)
            yield self._chunk(i)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        merged = merge_chat_generation_chunks(list(self._stream(messages, stop)))
        return ChatResult(generations=[merged] if merged else [])


def _paced(tokens: list[str], interval: float, stamps: list[int]) -> ScriptedChatModel:
    return ScriptedChatModel(tokens=tokens, interval=interval, stamps=stamps)


def _scheduled(tokens: list[str], delays: dict[str, list[float]]) -> ScriptedChatModel:
    return ScriptedChatModel(tokens=tokens, delays=delays)


def _sqlite_saver(path: str) -> Any:
    # langgraph-checkpoint-sqlite is installed into the bench's LangGraph venv
    from langgraph.checkpoint.sqlite import SqliteSaver

    return SqliteSaver.from_conn_string(path)


LANGGRAPH = Framework(
    StateGraph=StateGraph,
    START=START,
    END=END,
    MessagesState=MessagesState,
    human=HumanMessage,
    scripted=lambda text: ScriptedChatModel(tokens=split_words(text)),
    paced=_paced,
    scheduled=_scheduled,
    sqlite_saver=_sqlite_saver,
)

if __name__ == "__main__":
    run_worker(workloads(LANGGRAPH))
