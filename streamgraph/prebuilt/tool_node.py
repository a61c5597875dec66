"""``ToolNode``: a graph node that runs the tool calls of the last AI message.

::

    from streamgraph.graph import MessagesState, StateGraph
    from streamgraph.prebuilt import ToolNode, tools_condition

    builder = StateGraph(MessagesState)
    builder.add_node("agent", call_model)
    builder.add_node("tools", ToolNode([search, add]))
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")

All calls of one message run at once (async tools as tasks, sync tools in worker threads);
the answers come back as ToolMessages in the order of the calls. Inside each call the tool
call id is added to the stream metadata of every LLM the tool calls (``tool_call_id``),
and the stream writer reaches ``custom`` mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from streamgraph.engine.context import metadata_scope
from streamgraph.errors import ConfigurationError, ToolInvocationError
from streamgraph.prebuilt.commands import merge_outputs
from streamgraph.prebuilt.injection import state_marker_field, state_value
from streamgraph.prebuilt.tool_errors import ErrorPolicy, HandleToolErrors
from streamgraph.tools.base import BaseTool, run_coroutine_sync
from streamgraph.tools.convert import convert_to_tool

if TYPE_CHECKING:
    from streamgraph.config import RunnableConfig
    from streamgraph.messages import AIMessage, ToolCall, ToolMessage

__all__ = ["ToolNode"]


class ToolNode:
    """Runs every tool call of the state's last AI message and returns the ToolMessages.

    ``handle_tool_errors`` decides what a failing call gives (see
    :mod:`streamgraph.prebuilt.tool_errors`): by default arguments that do not fit the
    tool (:class:`ToolInvocationError`) give an error ToolMessage for the model to correct,
    and any other exception ends the run, as in LangGraph; ``True`` turns every exception
    into an error ToolMessage. An unknown tool name always gives an error ToolMessage that
    lists the available tools. Tools may take the state
    (``InjectedState``), the config, the call id (``InjectedToolCallId``) and the stream
    writer as hidden parameters.

    Input: a state with a ``messages_key`` list (a dict or an object), or the list itself.
    Output: ``{messages_key: [ToolMessage, ...]}`` (a list for list input), or one
    ``Command`` when a tool returned a ``Command``.
    """

    def __init__(
        self,
        tools: Sequence[Any],
        *,
        name: str = "tools",
        handle_tool_errors: HandleToolErrors = ToolInvocationError,
        messages_key: str = "messages",
    ) -> None:
        self.tools_by_name: dict[str, BaseTool] = {}
        for item in tools:
            made = convert_to_tool(item)
            if made.name in self.tools_by_name:
                raise ConfigurationError(f"two tools are named {made.name!r}; rename one")
            self.tools_by_name[made.name] = made
        self.name = name
        self.messages_key = messages_key
        self.handle_tool_errors = handle_tool_errors
        self._policy = ErrorPolicy.from_option(handle_tool_errors)

    def __repr__(self) -> str:
        return f"ToolNode({sorted(self.tools_by_name)!r}, name={self.name!r})"

    @property
    def tools(self) -> list[BaseTool]:
        """The tools, in the order given."""
        return list(self.tools_by_name.values())

    async def __call__(
        self, state: Any, config: RunnableConfig | None = None, runtime: Any = None
    ) -> Any:
        """Run the pending tool calls of ``state`` (the node body the engine calls).

        ``runtime`` is declared so that the engine prepares the run's ``Runtime`` for this
        node: tools reach it (and the run's ``context``) with ``get_runtime()``.
        """
        message = self._last_ai_message(state)
        calls: list[ToolCall] = list(message.tool_calls)
        bad = list(message.invalid_tool_calls)
        outputs = await self._run_all(calls, state, config or {})
        outputs += [self._invalid_call_answer(call) for call in bad]
        if isinstance(state, list):
            return outputs
        return merge_outputs(outputs, self.messages_key)

    async def ainvoke(self, state: Any, config: RunnableConfig | None = None) -> Any:
        """Same as calling the node: run the pending tool calls."""
        return await self(state, config)

    def invoke(self, state: Any, config: RunnableConfig | None = None) -> Any:
        """Run the pending tool calls from sync code."""
        result: Any = run_coroutine_sync(self(state, config))
        return result

    # -- reading the input -------------------------------------------------------------

    def _messages(self, state: Any) -> list[Any]:
        if isinstance(state, list):
            return state
        if isinstance(state, Mapping):
            found = state.get(self.messages_key)
        else:
            found = getattr(state, self.messages_key, None)
        if not isinstance(found, list):
            raise ConfigurationError(
                f"ToolNode {self.name!r} reads the messages from state[{self.messages_key!r}], "
                "which is missing; set messages_key= to the key your state uses"
            )
        return found

    def _last_ai_message(self, state: Any) -> AIMessage:
        from streamgraph.messages import AIMessage, convert_to_messages

        messages = convert_to_messages(self._messages(state))
        for message in reversed(messages):
            if isinstance(message, AIMessage):
                return message
        raise ConfigurationError(
            f"ToolNode {self.name!r} found no AI message to take tool calls from; route to it "
            "only after the model asked for tools (see tools_condition)"
        )

    # -- running calls -----------------------------------------------------------------

    async def _run_all(
        self, calls: list[ToolCall], state: Any, config: RunnableConfig
    ) -> list[Any]:
        tasks = [asyncio.ensure_future(self._run_one(call, state, config)) for call in calls]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            # one call raised (handle_tool_errors let it through) or we were cancelled:
            # the siblings stop too, and are awaited so none outlives the node
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _run_one(self, call: ToolCall, state: Any, config: RunnableConfig) -> Any:
        tool = self.tools_by_name.get(call["name"])
        if tool is None:
            return self._unknown_tool_answer(call)
        with metadata_scope(tool_call_id=call["id"]):
            try:
                args = {**call["args"], **self._state_args(tool, state)}
                request = {"name": call["name"], "args": args, "id": call["id"]}
                return await tool.ainvoke({**request, "type": "tool_call"}, config)
            except Exception as exc:
                return self._error_answer(call, self._policy.message_for(exc))

    def _state_args(self, tool: BaseTool, state: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for injection in tool.injections:
            field = state_marker_field(injection.marker)
            if field is None:
                continue
            if isinstance(state, list) and field == self.messages_key:
                values[injection.name] = state  # the node was given the messages themselves
            else:
                values[injection.name] = state_value(state, field, tool.name)
        return values

    # -- answers that are not the tool's own -------------------------------------------

    def _error_answer(self, call: Mapping[str, Any], text: str) -> ToolMessage:
        from streamgraph.messages import ToolMessage

        return ToolMessage(
            text, tool_call_id=call.get("id") or "", name=call.get("name"), status="error"
        )

    def _unknown_tool_answer(self, call: ToolCall) -> ToolMessage:
        available = ", ".join(repr(name) for name in self.tools_by_name) or "none"
        return self._error_answer(
            call,
            f"Error: there is no tool named {call['name']!r}. Available tools: {available}.",
        )

    def _invalid_call_answer(self, call: Mapping[str, Any]) -> ToolMessage:
        reason = call.get("error") or "they are not a valid JSON object"
        exc = ToolInvocationError(
            f"the arguments of this call to {call.get('name')!r} could not be read: {reason}"
        )
        return self._error_answer(call, self._policy.message_for(exc))
