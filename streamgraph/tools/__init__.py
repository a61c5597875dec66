"""Tools: functions and classes a chat model can call.

::

    from typing import Annotated
    from streamgraph.tools import InjectedToolCallId, tool

    @tool
    def lookup(word: str) -> str:
        "Look a word up in the dictionary."
        return f"{word}: a word"

    lookup.tool_spec()["parameters"]   # the JSON schema the model sees
    lookup.invoke({"word": "lamp"})     # 'lamp: a word'

``@tool`` reads the name, description and argument schema from a function;
``BaseTool`` is the class to subclass for custom tools; ``convert_to_tool_spec`` turns
tools, functions, pydantic models and provider-format dicts into the neutral spec that
chat models' ``bind_tools`` consume.
"""

from streamgraph.tools.base import BaseTool, ToolSpec
from streamgraph.tools.convert import convert_to_tool, convert_to_tool_spec
from streamgraph.tools.function import StructuredTool, tool
from streamgraph.tools.injection import InjectedToolArg, InjectedToolCallId

__all__ = [
    "BaseTool",
    "InjectedToolArg",
    "InjectedToolCallId",
    "StructuredTool",
    "ToolSpec",
    "convert_to_tool",
    "convert_to_tool_spec",
    "tool",
]
