"""Run configuration and the accessors nodes use to reach their run.

``get_config()`` and ``get_stream_writer()`` work inside nodes, tools and anything they
call in their own thread or asyncio task, sync or async, on every supported Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from streamgraph._compat import TypedDict
from streamgraph.engine.context import current_task
from streamgraph.errors import InvalidConfigError
from streamgraph.types import StreamWriter

__all__ = [
    "DEFAULT_RECURSION_LIMIT",
    "RunnableConfig",
    "check_config",
    "get_config",
    "get_stream_writer",
]

DEFAULT_RECURSION_LIMIT = 10_007
"""Supersteps a run may take unless `config["recursion_limit"]` says otherwise."""


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


_EXAMPLE = "{'tags': ['t'], 'metadata': {'k': 'v'}, 'configurable': {'thread_id': '1'}}"


def check_config(config: object) -> RunnableConfig:
    """``config`` checked and copied into a fresh dict, once, where a run starts.

    Accepts what LangGraph accepts: ``None`` or any mapping; ``tags`` as a list, tuple or set
    of str; ``metadata`` and ``configurable`` as mappings (copied into dicts);
    ``recursion_limit`` and ``max_concurrency`` as positive ints. Keys it does not know pass
    through untouched. Anything else raises :class:`~streamgraph.errors.InvalidConfigError`
    saying what to pass instead, before any node runs.

    >>> check_config({"tags": ("a", "b")})["tags"]
    ['a', 'b']
    """
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise InvalidConfigError(
            f"config must be a dict such as {_EXAMPLE} (or None), got {_shown(config)}"
        )
    cfg: dict[str, Any] = dict(config)
    if cfg.get("tags") is not None:
        cfg["tags"] = _tags(cfg["tags"])
    for key, example in (("metadata", "'user': 'ada'"), ("configurable", "'thread_id': '1'")):
        value = cfg.get(key)
        if value is not None:
            if not isinstance(value, Mapping):
                raise InvalidConfigError(
                    f"config[{key!r}] must be a dict, got {_shown(value)}; pass e.g. "
                    f"{{{key!r}: {{{example}}}}}"
                )
            cfg[key] = dict(value)
    _positive_int(cfg, "recursion_limit", optional=False)
    _positive_int(cfg, "max_concurrency", optional=True)
    checked: RunnableConfig = cfg  # type: ignore[assignment]
    return checked


def _tags(value: object) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidConfigError(
            f"config['tags'] must be a list of str, got {_shown(value)}; "
            f"write {{'tags': [{value!r}]}} for one tag"
            if isinstance(value, str)
            else f"config['tags'] must be a list of str such as ['a', 'b'], got {_shown(value)}"
        )
    if isinstance(value, Mapping):
        raise InvalidConfigError(
            f"config['tags'] must be a list of str, got {_shown(value)}; "
            "put key-value pairs in config['metadata'] instead"
        )
    tags = list(value)
    for tag in tags:
        if not isinstance(tag, str):
            raise InvalidConfigError(
                f"config['tags'] must hold only str, but it holds {_shown(tag)}; "
                "put other values in config['metadata'] instead"
            )
    return tags


def _positive_int(cfg: dict[str, Any], key: str, *, optional: bool) -> None:
    if key not in cfg:
        return
    value = cfg[key]
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        none = " or None for no limit" if optional else ""
        raise InvalidConfigError(
            f"config[{key!r}] must be a positive int{none}, got {_shown(value)}"
        )


def _shown(value: object) -> str:
    text = repr(value)
    text = f"{text[:60]}..." if len(text) > 60 else text
    return f"{type(value).__name__} {text}"


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


if not TYPE_CHECKING:  # type checkers keep flagging unknown names

    def __getattr__(name: str) -> object:
        """LangGraph names not implemented yet raise ``NotImplementedYetError``."""
        if name.startswith("__"):  # the import system probes `__path__` and the like
            raise AttributeError(name)
        from streamgraph._not_yet import not_yet

        not_yet(__name__, name)
