"""State channels: one per state key, deciding how the writes of a step combine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from streamgraph.errors import InvalidUpdateError, ReducerError, StreamGraphError

__all__ = ["MISSING", "Channel", "LastValue", "Reducer", "add_context"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Channel:
    """A state key's value and the rule that folds one step's writes into it."""

    __slots__ = ("key", "typ")

    def __init__(self, key: str, typ: Any) -> None:
        self.key = key
        self.typ = typ

    def initial(self) -> Any:
        """The value before anything was written."""
        return MISSING

    def fold(self, current: Any, writes: Sequence[Any], writers: Sequence[str] = ()) -> Any:
        """The new value after the ``writes`` of one step; ``writers[i]`` wrote ``writes[i]``
        (named in the error when a write cannot be folded in)."""
        raise NotImplementedError

    @property
    def is_messages(self) -> bool:
        """Whether this channel holds a message list (its reducer is ``add_messages``)."""
        return False


class LastValue(Channel):
    """A plain key: takes one write per step, the last value wins across steps."""

    __slots__ = ()

    def fold(self, current: Any, writes: Sequence[Any], writers: Sequence[str] = ()) -> Any:
        if len(writes) != 1:
            by = f" (from {', '.join(writers)})" if writers else ""
            raise InvalidUpdateError(
                f"state key {self.key!r} received {len(writes)} values in one step{by}, but a "
                "plain key takes one; give it a reducer to combine them, e.g. "
                f"`{self.key}: Annotated[list, operator.add]`"
            )
        return writes[0]


class Reducer(Channel):
    """A key declared ``Annotated[T, reducer]``: writes are folded with ``reducer(old, new)``."""

    __slots__ = ("reducer",)

    def __init__(self, key: str, typ: Any, reducer: Callable[[Any, Any], Any]) -> None:
        super().__init__(key, typ)
        self.reducer = reducer

    def initial(self) -> Any:
        origin = getattr(self.typ, "__origin__", self.typ)
        if isinstance(origin, type):
            try:
                return origin()
            except Exception:
                return MISSING
        return MISSING

    def fold(self, current: Any, writes: Sequence[Any], writers: Sequence[str] = ()) -> Any:
        value = current
        for index, write in enumerate(writes):
            if value is MISSING:
                value = write
                continue
            try:
                value = self.reducer(value, write)
            except Exception as exc:
                who = writers[index] if index < len(writers) else None
                raise self._failed(write, who, exc) from exc
        return value

    def _failed(self, write: Any, who: str | None, exc: Exception) -> Exception:
        """The error for a write the reducer raised on, naming the key and its writer."""
        by = f", written by {who}" if who else ""
        if isinstance(exc, StreamGraphError):
            # already typed (e.g. add_messages refusing a value): keep its class, say where
            add_context(exc, f"state key {self.key!r}{by}")
            return exc
        name = getattr(self.reducer, "__qualname__", None) or repr(self.reducer)
        shown = repr(write)
        shown = f"{shown[:60]}..." if len(shown) > 60 else shown
        error = ReducerError(
            f"the reducer {name} of state key {self.key!r} failed on the value "
            f"{type(write).__name__} {shown}{by}: {type(exc).__name__}: {exc}. Write a value the "
            f"reducer can combine with the current one (the key is declared as {_hint(self.typ)}), "
            "or fix the reducer",
            key=self.key,
            node=who,
        )
        return error

    @property
    def is_messages(self) -> bool:
        from streamgraph.messages import add_messages

        return self.reducer is add_messages or bool(
            getattr(self.reducer, "__streamgraph_messages__", False)
        )


def _hint(typ: Any) -> str:
    return typ.__name__ if isinstance(typ, type) else repr(typ)


def add_context(exc: StreamGraphError, where: str) -> None:
    """Prefix ``where`` (the state key, the node) to a typed error's message, once.

    Only errors whose message is their single ``args`` string are changed; the object stays
    the same, so its class, traceback and attributes are kept.
    """
    if getattr(exc, "streamgraph_where", None) is not None:
        return
    exc.streamgraph_where = where  # type: ignore[attr-defined]
    if (
        len(exc.args) == 1
        and isinstance(exc.args[0], str)
        and type(exc).__str__ is Exception.__str__
    ):
        exc.args = (f"{where}: {exc.args[0]}",)
