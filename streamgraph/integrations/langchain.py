"""LangChain chat models inside nodes: their tokens in ``messages`` mode, like our own models.

A ``langchain_core`` chat model (``ChatAnthropic``, ``ChatOpenAI``, ...) reports its tokens
only through LangChain callbacks, so this module is the one place in streamgraph that listens
to them. Nothing changes in the node::

    from langchain_anthropic import ChatAnthropic

    model = ChatAnthropic(model="claude-sonnet-4-5")

    def chat(state):
        return {"messages": [model.invoke(state["messages"])]}

    for chunk, meta in graph.stream(inputs, stream_mode="messages"):
        print(chunk.content, end="", flush=True)

How it works: when ``langchain_core`` is loaded, the engine enters :func:`langchain_task_scope`
around every task. While the run streams ``messages``, the scope puts one handler into
LangChain's child-runnable config (a context variable, so models called in
``asyncio.to_thread``, gathered tasks and tools find it too). The handler is a LangChain
*streaming* handler, so ``invoke()`` streams under the hood. Each LangChain call becomes an
:class:`~streamgraph.models.call.LLMCall`, which gives its chunks the same metadata, message id,
exactly-once bookkeeping and cooperative cancellation as our own models.

Chunks arrive as LangChain's own ``AIMessageChunk`` objects, content as the model made it, so
``isinstance(chunk, langchain_core.messages.AIMessageChunk)`` holds; each carries the call's id
(the id of the reply in state), and, as with our models, only the chunk that starts a tool call
lists it in ``tool_calls``. The metadata keeps LangChain's ``lc_versions`` and
``ls_integration``. A reply made without streaming arrives once, as LangChain's ``AIMessage``.

Importing this module without the ``langchain`` extra raises
:class:`~streamgraph.errors.MissingDependencyError`; the engine only imports it once
``langchain_core`` is already loaded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, Any, TypeVar, cast
from uuid import UUID

from streamgraph.errors import MissingDependencyError

try:
    from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
    from langchain_core.messages import AnyMessage as LangChainMessage
    from langchain_core.messages import utils as _lc_message_utils
    from langchain_core.runnables.config import RunnableConfig as LangChainConfig
    from langchain_core.runnables.config import var_child_runnable_config
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise MissingDependencyError("langchain-core", "langchain") from exc

from streamgraph._compat import TypedDict
from streamgraph.engine.context import TaskContext, current_task, reset_var
from streamgraph.messages import BaseMessage, add_messages, message_to_dict
from streamgraph.models.call import LLMCall

__all__ = ["MessagesCallbackHandler", "MessagesState", "langchain_task_scope", "to_langchain"]


class MessagesState(TypedDict):
    """``MessagesState`` holding LangChain's message classes, as LangGraph's does.

    Its ``messages`` key is annotated with ``langchain_core.messages.AnyMessage``, so tuples,
    dicts and streamgraph messages written to it (the run's input, what nodes return) become
    LangChain messages; LangChain messages stay as they are::

        from streamgraph.integrations.langchain import MessagesState

        class State(MessagesState):
            summary: str

    Any state key annotated this way (``Annotated[list[AnyMessage], add_messages]`` with
    ``AnyMessage`` from ``langchain_core.messages``) behaves the same.
    """

    messages: Annotated[list[LangChainMessage], add_messages]


T = TypeVar("T")


class MessagesCallbackHandler(BaseCallbackHandler):
    """Relays the tokens of LangChain chat models to the ``messages`` mode of the current run.

    One instance serves every run: each call is bound to the task it was started in (found
    through :func:`~streamgraph.engine.context.current_task`) and kept by LangChain's run id
    until it ends. Having ``tap_output_iter`` / ``tap_output_aiter`` makes it a LangChain
    streaming handler, which is what makes ``invoke()`` stream when it is attached.
    """

    # Called right where LangChain reports the event (the model's thread or the event loop),
    # so the task's context is visible, tokens keep their order and no thread hop is paid.
    run_inline = True

    def __init__(self) -> None:
        super().__init__()
        self._calls: dict[UUID, LLMCall] = {}
        # the calls of each task: LangChain reports no end for a call whose task was
        # cancelled while it awaited (``ainvoke``), so they are dropped when the task ends
        self._by_task: dict[TaskContext, set[UUID]] = {}

    def tap_output_iter(self, run_id: UUID, output: Iterator[T]) -> Iterator[T]:
        """Runnables' outputs pass through untouched; only model tokens matter here."""
        return output

    def tap_output_aiter(self, run_id: UUID, output: AsyncIterator[T]) -> AsyncIterator[T]:
        """Async twin of :meth:`tap_output_iter`."""
        return output

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        task = current_task()
        if task is None or not task.run.messages_on:
            return
        # LangChain hands over config metadata, the model's metadata and its `_get_ls_params`
        # in one dict; the `ls_*` keys describe the model and go where our models put theirs.
        given = metadata or {}
        ls_params = {k: v for k, v in given.items() if k.startswith("ls_")}
        rest = {k: v for k, v in given.items() if not k.startswith("ls_")}
        call = LLMCall.begin(None, tags=tags or (), metadata=rest, ls_params=ls_params)
        self._calls[run_id] = call
        self._by_task.setdefault(task, set()).add(run_id)

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: Any = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        call = self._calls.get(run_id)
        if call is None:
            return
        message = getattr(chunk, "message", None)
        if message is None:
            return  # chat models always pass their chunk; text LLMs are not followed
        if _carries_something(message):
            if message.tool_call_chunks:
                _announce_once(message)
            # raises RunCancelled in a stopped run; LangChain closes the call on the way out
            call.accept(message)

    def on_llm_end(
        self,
        response: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        call = self._take(run_id)
        if call is None:
            return
        reply = _reply_of(response)
        if reply is None:
            return
        if call.id is None:
            # made without streaming (`disable_streaming`, a cache hit, no `_stream`): one
            # whole message, as our models deliver it
            if getattr(reply, "type", None) == "ai":
                call.whole(reply)
        elif isinstance(reply.id, str) and reply.id != call.id:
            # LangChain prefers a provider id that showed up after the first chunk; the reply
            # must still not be delivered a second time when the node returns it
            call.ctx.run.seen_ids.add(reply.id)

    def on_llm_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self._take(run_id)

    def _take(self, run_id: UUID) -> LLMCall | None:
        call = self._calls.pop(run_id, None)
        if call is not None:
            runs = self._by_task.get(call.ctx)
            if runs is not None:
                runs.discard(run_id)
        return call

    def forget(self, task: TaskContext) -> None:
        """Drop the calls of ``task``, which has ended: none of them can stream any more."""
        runs = self._by_task.pop(task, None)
        if runs:
            for run_id in tuple(runs):
                self._calls.pop(run_id, None)


_HANDLER = MessagesCallbackHandler()
_IDLE: AbstractContextManager[None] = nullcontext()


def langchain_task_scope(ctx: TaskContext) -> AbstractContextManager[Any]:
    """The scope the engine enters around task ``ctx``: LangChain models inside it stream.

    Free (a shared no-op) unless the run streams ``messages``.
    """
    if not ctx.run.messages_on:
        return _IDLE
    return _TaskScope(ctx)


class _TaskScope:
    """Adds the handler to LangChain's child config, and to the task's own config callbacks.

    The second matters when the run was given LangChain ``callbacks`` and a node passes its
    ``config`` on to a model: LangChain takes the passed callbacks over the inherited ones.
    """

    __slots__ = ("_ctx", "_saved", "_token")

    def __init__(self, ctx: TaskContext) -> None:
        self._ctx = ctx
        self._token: Any = None
        self._saved: Any = None

    def __enter__(self) -> None:
        outer = var_child_runnable_config.get()
        inherited = outer.get("callbacks") if outer else None
        if not _has_handler(inherited):
            config = {**(outer or {}), "callbacks": _with_handler(inherited)}
            self._token = var_child_runnable_config.set(cast("LangChainConfig", config))
        own = self._ctx.config.get("callbacks")
        if own is not None and not _has_handler(own):
            self._saved = own
            self._ctx.config["callbacks"] = _with_handler(own)

    def __exit__(self, *exc_info: object) -> None:
        _HANDLER.forget(self._ctx)
        if self._saved is not None:
            self._ctx.config["callbacks"] = self._saved
        if self._token is not None:
            reset_var(var_child_runnable_config, self._token)


def _has_handler(callbacks: Any) -> bool:
    if callbacks is None:
        return False
    if isinstance(callbacks, BaseCallbackManager):
        return _HANDLER in callbacks.handlers
    return _HANDLER in callbacks


def _with_handler(callbacks: Any) -> Any:
    """``callbacks`` (None, a list of handlers or a manager) with the handler added."""
    if callbacks is None:
        return [_HANDLER]
    if isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
        manager.add_handler(_HANDLER, inherit=True)
        return manager
    return [*callbacks, _HANDLER]


def _carries_something(message: Any) -> bool:
    """False for the empty closing chunk LangChain adds after the provider's last one."""
    return bool(
        message.content
        or message.tool_call_chunks
        or message.usage_metadata
        or message.additional_kwargs
        or message.response_metadata
    )


def _announce_once(message: Any) -> None:
    """LangChain parses every piece of arguments as a call of its own; as with our models, only
    the chunk that starts a call lists it in ``tool_calls``, and a piece is no invalid call.

    LangChain adds chunks by their ``tool_call_chunks``, so merged replies are unchanged.
    """
    message.tool_calls = [c for c in message.tool_calls if c["name"]]
    message.invalid_tool_calls = []


def _reply_of(response: Any) -> Any:
    """The message of the first generation of a LangChain ``LLMResult``, if any."""
    generations = getattr(response, "generations", None)
    if not generations or not generations[0]:
        return None
    return getattr(generations[0][0], "message", None)


# -- our messages, given to LangChain -----------------------------------------------------------
def to_langchain(message: BaseMessage) -> Any:
    """The ``langchain_core`` equivalent of a streamgraph message (the reverse of
    :func:`~streamgraph.messages.from_langchain`).

    >>> from streamgraph.messages import HumanMessage
    >>> theirs = to_langchain(HumanMessage("hi", id="1"))
    >>> type(theirs).__module__, theirs.content, theirs.id
    ('langchain_core.messages.human', 'hi', '1')
    """
    data = message_to_dict(message)
    return _lc_message_utils.messages_from_dict([{"type": data["type"], "data": data}])[0]


def _accept_streamgraph_messages() -> None:
    """Let LangChain read our messages wherever it reads message-likes.

    A node hands the state's messages (streamgraph messages) straight to a LangChain model:
    ``model.invoke(state["messages"])``. LangChain turns each item of such a list into one of
    its messages in ``_convert_to_message`` and has no hook for other message classes, so that
    function is wrapped once: our messages are converted, everything else goes to LangChain's
    own code unchanged.
    """
    original = getattr(_lc_message_utils, "_convert_to_message", None)
    if original is None or original.__name__ == "_convert_streamgraph_message":
        return

    def _convert_streamgraph_message(message: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(message, BaseMessage):
            return to_langchain(message)
        return original(message, *args, **kwargs)

    _lc_message_utils._convert_to_message = _convert_streamgraph_message


def _pass_commands_through() -> None:
    """Let a LangChain tool return a streamgraph ``Command`` (a hand-off tool, say).

    LangChain hands a tool's result back untouched only when it is one of its own tool outputs;
    anything else is stringified into a ToolMessage, which would lose the ``Command``. The
    function that decides this is wrapped once: our ``Command`` (or a list of them) comes back
    as it is, everything else goes to LangChain's own code unchanged.
    """
    from langchain_core.tools import base as lc_tool_base

    from streamgraph.types import Command

    original = getattr(lc_tool_base, "_format_output", None)
    if original is None or original.__name__ == "_format_streamgraph_output":
        return

    def _format_streamgraph_output(content: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(content, Command) or (
            isinstance(content, list)
            and content
            and all(isinstance(item, Command) for item in content)
        ):
            return content
        return original(content, *args, **kwargs)

    lc_tool_base._format_output = _format_streamgraph_output


_accept_streamgraph_messages()
_pass_commands_through()
