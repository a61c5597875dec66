"""Per-task scopes for integrations whose libraries keep their own context.

Checked once per task, and free when no such library is loaded: a LangChain model used
inside a node only exists if ``langchain_core`` was imported by the user's code.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from typing import Any

from streamgraph.engine.context import TaskContext

__all__ = ["open_task_scope"]


def open_task_scope(ctx: TaskContext) -> AbstractContextManager[Any] | None:
    """Enter the scopes integrations need around a task; the caller exits the result."""
    if "langchain_core" in sys.modules:
        from streamgraph.integrations.langchain import langchain_task_scope

        scope = langchain_task_scope(ctx)
        scope.__enter__()
        return scope
    return None
