"""State channels: one per state key, deciding how the writes of a step combine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from streamgraph.errors import InvalidUpdateError

__all__ = ["MISSING", "Channel", "LastValue", "Reducer"]


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

    def fold(self, current: Any, writes: Sequence[Any]) -> Any:
        """The new value after the ``writes`` of one step."""
        raise NotImplementedError

    @property
    def is_messages(self) -> bool:
        """Whether this channel holds a message list (its reducer is ``add_messages``)."""
        return False


class LastValue(Channel):
    """A plain key: takes one write per step, the last value wins across steps."""

    __slots__ = ()

    def fold(self, current: Any, writes: Sequence[Any]) -> Any:
        if len(writes) != 1:
            raise InvalidUpdateError(
                f"state key {self.key!r} received {len(writes)} values in one step, but a plain "
                "key takes one; give it a reducer to combine them, e.g. "
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

    def fold(self, current: Any, writes: Sequence[Any]) -> Any:
        value = current
        for write in writes:
            value = write if value is MISSING else self.reducer(value, write)
        return value

    @property
    def is_messages(self) -> bool:
        from streamgraph.messages import add_messages

        return self.reducer is add_messages or bool(
            getattr(self.reducer, "__streamgraph_messages__", False)
        )
