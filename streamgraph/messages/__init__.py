"""Messages: the values a chat graph's state holds and its models stream.

The classes and functions match ``langchain_core.messages`` and LangGraph's ``add_messages``, so
code written for them works after changing its imports.

>>> from streamgraph.messages import AIMessageChunk, HumanMessage, add_messages
>>> reply = AIMessageChunk("Hel", id="run-1") + AIMessageChunk("lo!", id="run-1")
>>> [m.text for m in add_messages([HumanMessage("hi")], reply)]
['hi', 'Hello!']
"""

from streamgraph.messages.ai import (
    AIMessage,
    AIMessageChunk,
    InputTokenDetails,
    OutputTokenDetails,
    UsageMetadata,
    message_chunk_to_message,
)
from streamgraph.messages.base import BaseMessage, BaseMessageChunk, MessageContent
from streamgraph.messages.convert import (
    AnyMessage,
    MessageLikeRepresentation,
    coerce_to_message,
    convert_to_messages,
)
from streamgraph.messages.json import (
    message_from_dict,
    message_to_dict,
    messages_from_dict,
    messages_to_dict,
)
from streamgraph.messages.kinds import (
    REMOVE_ALL_MESSAGES,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from streamgraph.messages.langchain import from_langchain
from streamgraph.messages.merge import merge_chunks
from streamgraph.messages.partial_json import parse_partial_json
from streamgraph.messages.reducer import add_messages, coerce_message_update
from streamgraph.messages.tool_calls import (
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    invalid_tool_call,
    tool_call,
    tool_call_chunk,
)

__all__ = [
    "REMOVE_ALL_MESSAGES",
    "AIMessage",
    "AIMessageChunk",
    "AnyMessage",
    "BaseMessage",
    "BaseMessageChunk",
    "ChatMessage",
    "HumanMessage",
    "InputTokenDetails",
    "InvalidToolCall",
    "MessageContent",
    "MessageLikeRepresentation",
    "OutputTokenDetails",
    "RemoveMessage",
    "SystemMessage",
    "ToolCall",
    "ToolCallChunk",
    "ToolMessage",
    "UsageMetadata",
    "add_messages",
    "coerce_message_update",
    "coerce_to_message",
    "convert_to_messages",
    "from_langchain",
    "invalid_tool_call",
    "merge_chunks",
    "message_chunk_to_message",
    "message_from_dict",
    "message_to_dict",
    "messages_from_dict",
    "messages_to_dict",
    "parse_partial_json",
    "tool_call",
    "tool_call_chunk",
]
