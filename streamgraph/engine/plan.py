"""The compiled form of a graph: triggers, edges and channels, laid out for the loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from streamgraph.engine.channels import Channel
from streamgraph.engine.messages import MessageKeys
from streamgraph.graph.nodes import Branch, NodeSpec
from streamgraph.graph.schema import StateSchema

if TYPE_CHECKING:
    from streamgraph.graph.state import StateGraph

__all__ = ["GraphPlan", "Join"]

START = "__start__"
END = "__end__"


@dataclass(frozen=True)
class Join:
    """``add_edge(["a", "b"], "c")``: c runs once both a and b have finished."""

    channel: str
    sources: frozenset[str]
    target: str


class GraphPlan:
    """Everything the loop needs, computed once at compile time."""

    def __init__(self, builder: StateGraph[object]) -> None:
        self.nodes: dict[str, NodeSpec] = dict(builder.nodes)
        self.state_schema: StateSchema = builder.state_schema
        self.input_schema: StateSchema = builder.input_schema
        self.output_schema: StateSchema = builder.output_schema
        self.context_schema = builder.context_schema
        schemas = [builder.state_schema, builder.input_schema, builder.output_schema]
        schemas += builder._extra_schemas
        schemas += [br.input_schema for br in builder.branches if br.input_schema is not None]
        self._schemas = schemas
        self.edges: dict[str, list[str]] = {}
        for a, b in builder.edges:
            self.edges.setdefault(a, []).append(b)
        self.branches: dict[str, list[Branch]] = {}
        for br in builder.branches:
            self.branches.setdefault(br.source, []).append(br)
        self.joins_by_source: dict[str, list[Join]] = {}
        join_channels: dict[str, list[str]] = {}
        for sources, target in builder.joins:
            name = f"join:{'+'.join(sources)}:{target}"
            join = Join(name, frozenset(sources), target)
            for s in sources:
                self.joins_by_source.setdefault(s, []).append(join)
            join_channels.setdefault(target, []).append(name)
        self.triggers: dict[str, tuple[str, ...]] = {
            name: tuple(sorted([f"branch:to:{name}", *join_channels.get(name, [])]))
            for name in self.nodes
        }
        self.channels = self._build_channels()
        self.message_keys = MessageKeys.of(self.channels)
        self.root = builder.state_schema.is_root

    def _build_channels(self) -> dict[str, Channel]:
        """One channel per key: state keys plus any node-private input keys.

        Channels hold rules, not values (a run keeps its values apart), so every run of the
        graph shares them.
        """
        out: dict[str, Channel] = {}
        for schema in self._schemas:
            for key, ch in schema.channels().items():
                out.setdefault(key, ch)
        return out
