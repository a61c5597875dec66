"""Run configuration and the accessors nodes use to reach their run.

``get_config()`` and ``get_stream_writer()`` work inside nodes, tools and anything they
call in their own thread or asyncio task, sync or async, on every supported Python.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from streamgraph._compat import TypedDict
from streamgraph.engine.context import current_task
from streamgraph.types import StreamWriter

__all__ = ["RunnableConfig", "get_config", "get_stream_writer"]


class RunnableConfig(TypedDict, total=False):
    """Options for one run: ``tags``, ``metadata``, ``configurable`` and limits."""

    tags: list[str]
    metadata: dict[str, Any]
    callbacks: Any
    run_name: str
    run_id: UUID | str
    max_concurrency: int | None
    recursion_limit: int
    configurable: dict[str, Any]


def _task_or_raise(what: str) -> Any:
    task = current_task()
    if task is None:
        raise RuntimeError(
            f"{what}() was called outside a running graph; call it inside a node, a tool, "
            "or something a node calls"
        )
    return task


def get_config() -> RunnableConfig:
    """The config of the node being run (its ``tags``, ``metadata``, ``configurable``)."""
    config: RunnableConfig = _task_or_raise("get_config").config
    return config


def get_stream_writer() -> StreamWriter:
    """The writer for ``custom`` mode: each value written appears in the stream at once.

    When ``custom`` mode was not requested the writer is a cheap no-op::

        def node(state):
            write = get_stream_writer()
            write({"progress": 0.5})
    """
    writer: StreamWriter = _task_or_raise("get_stream_writer").writer
    return writer
