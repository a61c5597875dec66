"""StateGraph: the builder users add nodes and edges to, checked and compiled once."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from streamgraph.engine.grace import DEFAULT_CLEANUP_GRACE
from streamgraph.errors import (
    ConfigurationError,
    GraphSetupError,
    InvalidNodeNameError,
    MissingEntryError,
    UnknownNodeError,
)
from streamgraph.graph.nodes import Branch, NodeSpec, inspect_callable
from streamgraph.graph.schema import StateSchema, first_param_schema
from streamgraph.types import RetryPolicy

if TYPE_CHECKING:
    from streamgraph.graph.compiled import CompiledStateGraph

__all__ = ["END", "START", "StateGraph"]

START = "__start__"
END = "__end__"

StateT = TypeVar("StateT")
_RESERVED_CHARS = (":", "|")


class StateGraph(Generic[StateT]):
    """A graph whose nodes read and update one shared state.

    ::

        class State(TypedDict):
            messages: Annotated[list[AnyMessage], add_messages]

        builder = StateGraph(State)
        builder.add_node("assistant", call_model)
        builder.add_edge(START, "assistant")
        graph = builder.compile()
        for chunk, meta in graph.stream(inputs, stream_mode="messages"):
            print(chunk.content, end="")
    """

    def __init__(
        self,
        state_schema: type[StateT],
        context_schema: type[Any] | None = None,
        *,
        input_schema: type[Any] | None = None,
        output_schema: type[Any] | None = None,
    ) -> None:
        self.state_schema = StateSchema(state_schema)
        self.input_schema = StateSchema(input_schema) if input_schema else self.state_schema
        self.output_schema = StateSchema(output_schema) if output_schema else self.state_schema
        self.context_schema = context_schema
        self.nodes: dict[str, NodeSpec] = {}
        self.edges: list[tuple[str, str]] = []
        self.joins: list[tuple[tuple[str, ...], str]] = []
        self.branches: list[Branch] = []
        self._extra_schemas: list[StateSchema] = []

    # -- nodes -------------------------------------------------------------------------
    def add_node(
        self,
        node: str | Callable[..., Any] | Any,
        action: Callable[..., Any] | Any = None,
        *,
        metadata: dict[str, Any] | None = None,
        input_schema: type[Any] | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        destinations: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> StateGraph[StateT]:
        """Add a node: ``add_node("name", fn)`` or ``add_node(fn)`` (named after ``fn``).

        ``fn`` is sync or async, takes the state and may also take ``config``, ``writer``
        and ``runtime`` keyword parameters. A compiled graph can be a node too.
        """
        if not isinstance(node, str):
            if action is not None:
                raise InvalidNodeNameError(
                    f"a node name must be a str, got {_shown(node)}; add_node('name', fn)"
                )
            action, node = node, _name_of(node)
        if action is None:
            raise GraphSetupError(f"add_node({node!r}) needs a callable: add_node({node!r}, fn)")
        self._check_name(node)
        from streamgraph.graph.compiled import CompiledStateGraph

        subgraph = action if isinstance(action, CompiledStateGraph) else None
        if subgraph is None and not callable(action):
            raise GraphSetupError(
                f"node {node!r} must be a callable or a compiled graph, got {type(action).__name__}"
            )
        if input_schema is not None:
            schema = StateSchema(input_schema)
        elif subgraph is None and (hinted := first_param_schema(action)) is not None:
            schema = StateSchema(hinted)
        else:
            schema = self.state_schema
        if schema is not self.state_schema:
            self._extra_schemas.append(schema)
        is_async, inject = (True, frozenset()) if subgraph else inspect_callable(action)
        self.nodes[node] = NodeSpec(
            name=node,
            fn=action,
            is_async=is_async,
            inject=inject,
            input_schema=schema,
            metadata=_node_metadata(node, metadata),
            tags=_names(tags, f"the tags of node {node!r}", "tag"),
            retry_policy=retry_policy,
            subgraph=subgraph,
            destinations=_names(destinations, f"the destinations of node {node!r}", "node name"),
        )
        return self

    def _check_name(self, name: str) -> None:
        if not name:
            raise InvalidNodeNameError(
                "a node name may not be empty; give the node a name: add_node('name', fn)"
            )
        if name in (START, END):
            raise GraphSetupError(f"{name!r} is reserved; give the node another name")
        if any(c in name for c in _RESERVED_CHARS):
            raise GraphSetupError(f"node name {name!r} may not contain ':' or '|'")
        if name in self.nodes:
            raise GraphSetupError(f"a node named {name!r} already exists; names must be unique")

    def add_sequence(
        self, nodes: Sequence[Callable[..., Any] | tuple[str, Any]]
    ) -> StateGraph[StateT]:
        """Add nodes that run one after the other, with an edge between each pair."""
        if not nodes:
            raise GraphSetupError("add_sequence() needs at least one node")
        names: list[str] = []
        for item in nodes:
            if isinstance(item, tuple):
                name, fn = item
                self.add_node(name, fn)
            else:
                name = _name_of(item)
                self.add_node(name, item)
            names.append(name)
        for a, b in itertools.pairwise(names):
            self.add_edge(a, b)
        return self

    # -- edges -------------------------------------------------------------------------
    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> StateGraph[StateT]:
        """``add_edge("a", "b")`` runs b after a; ``add_edge(["a", "b"], "c")`` waits for both."""
        _check_ref(end_key, "the end of an edge")
        if end_key == START:
            raise GraphSetupError("START cannot be the end of an edge")
        if isinstance(start_key, str):
            if start_key == END:
                raise GraphSetupError("END cannot be the start of an edge")
            self.edges.append((start_key, end_key))
        else:
            if not isinstance(start_key, Iterable) or isinstance(start_key, (bytes, Mapping)):
                raise InvalidNodeNameError(
                    "the start of an edge must be a node name (str) or a list of them, "
                    f"got {_shown(start_key)}"
                )
            sources = tuple(start_key)
            for source in sources:
                _check_ref(source, "a start node of a join")
            if not sources:
                raise GraphSetupError("add_edge() got an empty list of start nodes")
            if START in sources or END in sources:
                raise GraphSetupError("a join waits for nodes; START and END cannot be in it")
            self.joins.append((sources, end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | Sequence[str] | None = None,
    ) -> StateGraph[StateT]:
        """After ``source``, ``path(state)`` picks the next node(s): a name, list, END or Sends."""
        _check_ref(source, "the source of a conditional edge")
        if source == END:
            raise GraphSetupError("END cannot be the source of a conditional edge")
        if not callable(path):
            raise GraphSetupError(
                f"the path of a conditional edge from {source!r} must be callable"
            )
        mapping = _path_mapping(source, path_map)
        is_async, inject = inspect_callable(path)
        hinted = first_param_schema(path)
        schema = StateSchema(hinted) if hinted is not None else None
        self.branches.append(Branch(source, path, mapping, is_async, inject, schema))
        return self

    def set_entry_point(self, key: str) -> StateGraph[StateT]:
        """Same as ``add_edge(START, key)``."""
        _check_ref(key, "set_entry_point()'s node")
        return self.add_edge(START, key)

    def set_conditional_entry_point(
        self, path: Callable[..., Any], path_map: dict[Hashable, str] | Sequence[str] | None = None
    ) -> StateGraph[StateT]:
        """Same as ``add_conditional_edges(START, path, path_map)``."""
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> StateGraph[StateT]:
        """Same as ``add_edge(key, END)``."""
        _check_ref(key, "set_finish_point()'s node")
        return self.add_edge(key, END)

    # -- compile -----------------------------------------------------------------------
    def validate(self) -> None:
        """Raise a :class:`GraphSetupError` that says how to fix the first mistake found."""
        known = set(self.nodes)
        refs = [(a, "the start of an edge") for a, _ in self.edges if a != START]
        refs += [(b, "the end of an edge") for _, b in self.edges if b != END]
        for sources, target in self.joins:
            refs += [(s, "a join") for s in sources]
            refs += [(target, "the end of a join")] if target != END else []
        for br in self.branches:
            if br.source != START:
                refs.append((br.source, "the source of a conditional edge"))
            for t in br.targets() or []:
                if t != END:
                    refs.append((t, f"the path map of the conditional edge from {br.source!r}"))
        for spec in self.nodes.values():
            refs += [
                (d, f"the destinations of {spec.name!r}") for d in spec.destinations if d != END
            ]
        for name, where in refs:
            if name not in known:
                hint = f"; known nodes: {sorted(known)}" if known else ""
                raise UnknownNodeError(
                    f"{where} names {name!r}, which is not a node{hint}. "
                    f"Add it with add_node({name!r}, fn) or fix the name."
                )
        if not any(a == START for a, _ in self.edges) and not any(
            br.source == START for br in self.branches
        ):
            raise MissingEntryError(
                "nothing leaves START; add an entry edge such as "
                f"add_edge(START, {next(iter(self.nodes), 'first_node')!r})"
            )

    def compile(
        self,
        checkpointer: Any = None,
        *,
        name: str | None = None,
        debug: bool = False,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        store: Any = None,
        cleanup_grace: float | None = DEFAULT_CLEANUP_GRACE,
    ) -> CompiledStateGraph:
        """Check the graph and return a runnable :class:`CompiledStateGraph`.

        ``cleanup_grace``: seconds that stopping a stream (``close()``, ``aclose()``,
        ``break``) leaves a cancelled async node's cleanup (``finally: await ...``) to
        finish before cancelling it again with a ``CleanupTimeoutWarning``; ``None``
        waits as long as it takes::

            graph = builder.compile(cleanup_grace=10.0)
        """
        saver = _checkpointer(checkpointer, self._schemas())
        for option, value in (
            ("interrupt_before", interrupt_before),
            ("interrupt_after", interrupt_after),
            ("store", store),
        ):
            if value is not None and value is not False:
                raise ConfigurationError(
                    f"compile({option}=...) needs persistence, which this version of streamgraph "
                    f"does not have yet; compile without {option}"
                )
        self.validate()
        from streamgraph.graph.compiled import CompiledStateGraph

        return CompiledStateGraph(
            self,
            name=name or "LangGraph",
            debug=debug,
            cleanup_grace=cleanup_grace,
            checkpointer=saver,
        )

    def _schemas(self) -> list[Any]:
        schemas = [self.state_schema, self.input_schema, self.output_schema, *self._extra_schemas]
        return [s.cls for s in schemas]


def _checkpointer(checkpointer: Any, schemas: list[Any]) -> Any:
    """The saver to use, its serializer allowed the classes the state schemas name."""
    if checkpointer is None or checkpointer is False:
        return None
    from streamgraph.checkpoint.base import BaseCheckpointSaver
    from streamgraph.checkpoint.serde.allowed import types_in

    if not isinstance(checkpointer, BaseCheckpointSaver):
        raise ConfigurationError(
            f"compile(checkpointer=...) takes a saver such as InMemorySaver(), SqliteSaver or "
            f"PostgresSaver, not {checkpointer!r}"
        )
    return checkpointer.with_allowlist(types_in(schemas))


def _shown(value: object) -> str:
    text = repr(value)
    text = f"{text[:60]}..." if len(text) > 60 else text
    return f"{type(value).__name__} {text}"


def _check_ref(name: object, where: str) -> None:
    """A name an edge uses must be a str (whether it is a node is checked at compile)."""
    if not isinstance(name, str):
        hint = (
            " (one edge per target: call add_edge once for each)"
            if isinstance(name, (list, tuple, set))
            else ""
        )
        raise InvalidNodeNameError(
            f"{where} must be a node name (str), START or END, got {_shown(name)}{hint}"
        )


def _names(value: object, what: str, item: str) -> tuple[str, ...]:
    """A list of names (tags, destinations) as a tuple, refusing a lone str and non-str items."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidNodeNameError(
            f"{what} must be a list of str, got {_shown(value)}"
            + (f"; write [{value!r}] for one {item}" if isinstance(value, str) else "")
        )
    names = tuple(value)
    for name in names:
        if not isinstance(name, str):
            raise InvalidNodeNameError(f"{what} must hold only str, but it holds {_shown(name)}")
    return names


def _node_metadata(node: str, metadata: object) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise GraphSetupError(
            f"the metadata of node {node!r} must be a dict, got {_shown(metadata)}; "
            "pass e.g. metadata={'owner': 'search'}"
        )
    return dict(metadata)


def _path_mapping(source: str, path_map: object) -> dict[Hashable, str] | None:
    """``path_map`` as ``{returned value: node name}``; a list maps each name to itself."""
    if path_map is None:
        return None
    where = f"the path map of the conditional edge from {source!r}"
    if isinstance(path_map, Mapping):
        mapping = dict(path_map)
        for value, target in mapping.items():
            if not isinstance(target, str):
                raise InvalidNodeNameError(
                    f"{where} maps {value!r} to {_shown(target)}; each value must be one node "
                    "name (str) or END. To go to several nodes, have the path function return "
                    "a list of names, with a path map listing them"
                )
        return mapping
    if isinstance(path_map, (str, bytes)) or not isinstance(path_map, Iterable):
        raise InvalidNodeNameError(
            f"{where} must be a dict {{returned value: node name}} or a list of node names, "
            f"got {_shown(path_map)}"
            + (f"; write [{path_map!r}] for one node" if isinstance(path_map, str) else "")
        )
    names = list(path_map)
    for name in names:
        _check_ref(name, f"each entry of {where}")
    return {name: name for name in names}


def _name_of(fn: Any) -> str:
    """``fn``'s ``name``, else its ``__name__``, else its class's name (a callable object)."""
    name = getattr(fn, "name", None) or getattr(fn, "__name__", None)
    if name is None and callable(fn):
        name = type(fn).__name__
    if not isinstance(name, str) or not name or name == "<lambda>":
        raise GraphSetupError(
            f"cannot infer a node name from {fn!r}; pass one: add_node('name', fn)"
        )
    return name
