"""Tagged JSON: exact round trips for the values a graph's state holds.

Plain JSON values are stored as themselves. Everything else becomes a small tagged object
``{"$t": tag, ...}``: tuples stay tuples, sets stay sets, a dataclass comes back as the same
class. A class is rebuilt only when it is *allowed* (messages, LangChain messages, and the
types given in ``allowed_types``); nothing is imported by name on load. A value that cannot
come back exactly fails when it is written, with the path to it::

    >>> from streamgraph.checkpoint.serde import JsonPlusSerializer
    >>> serde = JsonPlusSerializer()
    >>> serde.loads_typed(serde.dumps_typed({"pair": (1, 2), "tags": {"a"}}))
    {'pair': (1, 2), 'tags': {'a'}}
    >>> serde.dumps_typed({"bad": [object()]})
    Traceback (most recent call last):
    ...
    streamgraph.errors.SerializationError: cannot store ["bad"][0]: ...
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import json
import sys
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from streamgraph.errors import SerializationError
from streamgraph.messages.base import BaseMessage

__all__ = ["JsonPlusSerializer"]

_TAG = "$t"
_PLAIN = (str, int, float, bool, type(None))


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _message_classes() -> dict[str, type[BaseMessage]]:
    import streamgraph.messages  # noqa: F401  (every message class defined)

    found: dict[str, type[BaseMessage]] = {}
    todo: list[type[BaseMessage]] = [BaseMessage]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("streamgraph.messages"):
            found[_qualname(cls)] = cls
        todo.extend(cls.__subclasses__())
    return found


_LANGCHAIN_MESSAGES = frozenset(
    f"langchain_core.messages.{module}:{name}"
    for module, names in {
        "human": ("HumanMessage", "HumanMessageChunk"),
        "ai": ("AIMessage", "AIMessageChunk"),
        "system": ("SystemMessage", "SystemMessageChunk"),
        "tool": ("ToolMessage", "ToolMessageChunk"),
        "chat": ("ChatMessage", "ChatMessageChunk"),
        "function": ("FunctionMessage", "FunctionMessageChunk"),
        "modifier": ("RemoveMessage",),
    }.items()
    for name in names
)
"""LangChain's message classes, safe to rebuild; imported only when a stored value names one."""


def _default_types() -> list[type]:
    from streamgraph.types import Command, Send

    return [Command, Send]


class JsonPlusSerializer:
    """Tagged-JSON serializer with an allow-list of the classes it may rebuild.

    ``allowed_types``: extra classes (dataclasses, pydantic models, enums, named tuples)
    that may be stored and loaded. Messages of streamgraph and LangChain are always allowed.
    A value of a class not allowed fails when written, with its path, so it is never
    turned into a dict on the way back.
    """

    def __init__(self, *, allowed_types: Iterable[type] = ()) -> None:
        self._classes: dict[str, type] = dict(_message_classes())
        for cls in (*_default_types(), *allowed_types):
            self._classes[_qualname(cls)] = cls
        self._allowed_ids = {id(cls) for cls in self._classes.values()}

    def with_allowed_types(self, extra: Iterable[type]) -> JsonPlusSerializer:
        """A copy that also allows the classes in ``extra``."""
        return JsonPlusSerializer(allowed_types=[*self._classes.values(), *extra])

    # -- the protocol -------------------------------------------------------------------
    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """``("null", b"")``, ``("bytes", raw)`` or ``("json", tagged json)``."""
        if obj is None:
            return "null", b""
        if type(obj) is bytes:
            return "bytes", obj
        return "json", self.dumps(obj)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind, raw = data
        if kind == "null":
            return None
        if kind == "bytes":
            return bytes(raw)
        if kind == "json":
            return self.loads(raw)
        raise SerializationError(
            f"cannot load a value stored as {kind!r}: this serializer reads 'json', 'bytes' "
            "and 'null'; an encrypted value needs EncryptedSerializer with its key",
            path="",
        )

    def dumps(self, obj: Any) -> bytes:
        tree = self._encode(obj, "")
        try:
            return json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode()
        except UnicodeEncodeError:  # a lone surrogate: keep it, escaped
            return json.dumps(tree, ensure_ascii=True, separators=(",", ":")).encode()

    def loads(self, raw: bytes) -> Any:
        return json.loads(raw, object_hook=self._decode)

    # -- encoding -----------------------------------------------------------------------
    def _encode(self, obj: Any, path: str) -> Any:
        cls = type(obj)
        if cls in _PLAIN:
            return obj
        if cls is list:
            return [self._encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        if cls is dict:
            if all(type(k) is str for k in obj) and _TAG not in obj:
                return {k: self._encode(v, _key_path(path, k)) for k, v in obj.items()}
            return {
                _TAG: "dict",
                "v": [
                    [self._encode(k, f"{path}<key {k!r}>"), self._encode(v, _key_path(path, k))]
                    for k, v in obj.items()
                ],
            }
        simple = _SIMPLE_ENCODERS.get(cls)
        if simple is not None:
            return simple(self, obj, path)
        if isinstance(obj, BaseMessage):
            return self._encode_message(obj, path)
        return self._encode_object(obj, path)

    def _encode_message(self, msg: BaseMessage, path: str) -> Any:
        name = self._allowed_name(type(msg), path)
        fields = {
            field: self._encode(getattr(msg, slot), f"{path}.{field}")
            for field, slot, _ in msg._layout
        }
        return {_TAG: "msg", "c": name, "v": fields}

    def _encode_object(self, obj: Any, path: str) -> Any:
        cls = type(obj)
        if isinstance(obj, enum.Enum):
            name = self._allowed_name(cls, path)
            return {_TAG: "enum", "c": name, "v": self._encode(obj.value, f"{path}.value")}
        if dataclasses.is_dataclass(obj):
            name = self._allowed_name(cls, path)
            fields = {
                f.name: self._encode(getattr(obj, f.name), f"{path}.{f.name}")
                for f in dataclasses.fields(obj)
            }
            return {_TAG: "dc", "c": name, "v": fields}
        if _is_pydantic(obj):
            return self._encode_pydantic(obj, path)
        if isinstance(obj, tuple) and hasattr(cls, "_fields"):
            name = self._allowed_name(cls, path)
            items = [self._encode(v, f"{path}.{f}") for f, v in zip(cls._fields, obj, strict=True)]
            return {_TAG: "nt", "c": name, "v": items}
        if id(cls) in self._allowed_ids and _slots(cls):  # an allowed slotted class (Send)
            fields = {k: self._encode(getattr(obj, k), f"{path}.{k}") for k in _slots(cls)}
            return {_TAG: "slots", "c": _qualname(cls), "v": fields}
        raise SerializationError(
            f"cannot store {path or 'the value'}: a {_qualname(cls)} cannot be saved and "
            "loaded back exactly; store plain data (dict, list, str, numbers), a dataclass, "
            "a pydantic model or an enum instead",
            path=path,
            type_name=_qualname(cls),
        )

    def _encode_pydantic(self, obj: Any, path: str) -> Any:
        cls = type(obj)
        name = self._allowed_name(cls, path)
        fields = {k: self._encode(getattr(obj, k), f"{path}.{k}") for k in cls.model_fields}
        out: dict[str, Any] = {_TAG: "pyd", "c": name, "v": fields}
        out["set"] = sorted(obj.model_fields_set)
        extra = obj.__pydantic_extra__
        if extra:
            out["x"] = {k: self._encode(v, f"{path}.{k}") for k, v in extra.items()}
        return out

    def _allowed_name(self, cls: type, path: str) -> str:
        name = _qualname(cls)
        if id(cls) in self._allowed_ids or name in _LANGCHAIN_MESSAGES:
            return name
        raise SerializationError(
            f"cannot store {path or 'the value'}: {name} is not an allowed type, so it "
            "could not be loaded back; pass it in JsonPlusSerializer(allowed_types=[...]) "
            "(compile() allows the types of the state schema)",
            path=path,
            type_name=name,
        )

    # -- decoding -----------------------------------------------------------------------
    def _decode(self, obj: dict[str, Any]) -> Any:
        tag = obj.get(_TAG)
        if tag is None:
            return obj
        decode = _DECODERS.get(tag)
        if decode is None:
            raise SerializationError(f"cannot load a value tagged {tag!r}", path="")
        return decode(self, obj)

    def _allowed_class(self, name: str) -> type:
        cls = self._classes.get(name)
        if cls is not None:
            return cls
        if name in _LANGCHAIN_MESSAGES:
            module, _, attr = name.partition(":")
            __import__(module)
            found: type = getattr(sys.modules[module], attr)
            self._classes[name] = found
            return found
        raise SerializationError(
            f"cannot load a stored {name}: it is not an allowed type; pass it in "
            "JsonPlusSerializer(allowed_types=[...])",
            path="",
            type_name=name,
        )


def _key_path(path: str, key: Any) -> str:
    return f"{path}[{json.dumps(key) if type(key) is str else repr(key)}]"


def _slots(cls: type) -> tuple[str, ...]:
    names: list[str] = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    return tuple(n for n in names if n not in ("__weakref__", "__dict__"))


def _is_pydantic(obj: Any) -> bool:
    module = sys.modules.get("pydantic")
    return module is not None and isinstance(obj, module.BaseModel)


def _enc_items(tag: str) -> Callable[[JsonPlusSerializer, Any, str], Any]:
    def encode(self: JsonPlusSerializer, obj: Any, path: str) -> Any:
        return {_TAG: tag, "v": [self._encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}

    return encode


def _enc_float(self: JsonPlusSerializer, obj: Any, path: str) -> Any:
    return obj


def _enc_datetime(self: JsonPlusSerializer, obj: dt.datetime | dt.time, path: str) -> Any:
    out: dict[str, Any] = {_TAG: type(obj).__name__, "v": obj.isoformat()}
    tz = obj.tzinfo
    if type(tz) is dt.timezone and tz.tzname(None) != dt.timezone(tz.utcoffset(None)).tzname(None):
        out["n"] = tz.tzname(None)  # a named fixed offset: isoformat keeps only the offset
    elif tz is not None and type(tz) is not dt.timezone:
        key = getattr(tz, "key", None)
        if type(tz).__name__ != "ZoneInfo" or not isinstance(key, str):
            raise SerializationError(
                f"cannot store {path or 'the value'}: its tzinfo {type(tz).__name__} cannot "
                "be restored; use datetime.timezone or zoneinfo.ZoneInfo",
                path=path,
                type_name=_qualname(type(tz)),
            )
        out["z"] = key
    if obj.fold:
        out["f"] = 1
    return out


_SIMPLE_ENCODERS: dict[type, Callable[[JsonPlusSerializer, Any, str], Any]] = {
    tuple: _enc_items("tuple"),
    set: _enc_items("set"),
    frozenset: _enc_items("frozenset"),
    bytes: lambda s, o, p: {_TAG: "bytes", "v": base64.b64encode(o).decode()},
    bytearray: lambda s, o, p: {_TAG: "bytearray", "v": base64.b64encode(o).decode()},
    dt.datetime: _enc_datetime,
    dt.time: _enc_datetime,
    dt.date: lambda s, o, p: {_TAG: "date", "v": o.isoformat()},
    dt.timedelta: lambda s, o, p: {_TAG: "timedelta", "v": [o.days, o.seconds, o.microseconds]},
    dt.timezone: lambda s, o, p: {
        _TAG: "timezone",
        "v": s._encode(o.utcoffset(None), p),
        "n": o.tzname(None),
    },
    uuid.UUID: lambda s, o, p: {_TAG: "uuid", "v": o.hex},
    Decimal: lambda s, o, p: {_TAG: "decimal", "v": str(o)},
}


def _restore_tz(value: Any, obj: dict[str, Any]) -> Any:
    zone = obj.get("z")
    if "n" in obj:
        value = value.replace(tzinfo=dt.timezone(value.utcoffset(), obj["n"]))
    elif zone is not None:
        from zoneinfo import ZoneInfo

        value = value.replace(tzinfo=ZoneInfo(zone))
    if obj.get("f"):
        value = value.replace(fold=1)
    return value


def _dec_message(self: JsonPlusSerializer, obj: dict[str, Any]) -> Any:
    cls: Any = self._allowed_class(obj["c"])
    fields: dict[str, Any] = obj["v"]
    msg = cls.__new__(cls)
    for field, slot, _ in cls._layout:
        setattr(msg, slot, fields.get(field))
    return msg


def _dec_dataclass(self: JsonPlusSerializer, obj: dict[str, Any]) -> Any:
    cls: Any = self._allowed_class(obj["c"])
    out = cls.__new__(cls)
    for name, value in obj["v"].items():
        object.__setattr__(out, name, value)
    return out


def _dec_pydantic(self: JsonPlusSerializer, obj: dict[str, Any]) -> Any:
    cls: Any = self._allowed_class(obj["c"])
    values = {**obj["v"], **obj.get("x", {})}
    return cls.model_construct(_fields_set=set(obj["set"]), **values)


def _dec_timezone(self: JsonPlusSerializer, obj: dict[str, Any]) -> Any:
    name = obj.get("n")
    offset: dt.timedelta = obj["v"]
    if name is None or name == dt.timezone(offset).tzname(None):
        return dt.timezone(offset)
    return dt.timezone(offset, name)


_DECODERS: dict[str, Callable[[JsonPlusSerializer, dict[str, Any]], Any]] = {
    "dict": lambda s, o: {k: v for k, v in o["v"]},
    "tuple": lambda s, o: tuple(o["v"]),
    "set": lambda s, o: set(o["v"]),
    "frozenset": lambda s, o: frozenset(o["v"]),
    "bytes": lambda s, o: base64.b64decode(o["v"]),
    "bytearray": lambda s, o: bytearray(base64.b64decode(o["v"])),
    "datetime": lambda s, o: _restore_tz(dt.datetime.fromisoformat(o["v"]), o),
    "time": lambda s, o: _restore_tz(dt.time.fromisoformat(o["v"]), o),
    "date": lambda s, o: dt.date.fromisoformat(o["v"]),
    "timedelta": lambda s, o: dt.timedelta(*o["v"]),
    "timezone": _dec_timezone,
    "uuid": lambda s, o: uuid.UUID(hex=o["v"]),
    "decimal": lambda s, o: Decimal(o["v"]),
    "enum": lambda s, o: s._allowed_class(o["c"])(o["v"]),
    "dc": _dec_dataclass,
    "slots": _dec_dataclass,
    "pyd": _dec_pydantic,
    "nt": lambda s, o: s._allowed_class(o["c"])(*o["v"]),
    "msg": _dec_message,
}
