"""A thin typed wrapper over networkx: the model DAG, selection and ordering."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NewType

import networkx as nx

NodeId = NewType("NodeId", str)


class CycleError(Exception):
    """The graph has a cycle; `path` lists it, first node repeated at the end."""

    def __init__(self, path: list[NodeId]):
        self.path = path
        super().__init__("cycle: " + " -> ".join(path))


class Graph:
    """Nodes are model names; an edge u -> v means v reads u."""

    def __init__(self) -> None:
        self._g: nx.DiGraph = nx.DiGraph()

    def add_node(self, node: str) -> None:
        self._g.add_node(NodeId(node))

    def add_edge(self, upstream: str, downstream: str) -> None:
        self._g.add_edge(NodeId(upstream), NodeId(downstream))

    @property
    def nodes(self) -> list[NodeId]:
        return sorted(self._g.nodes)

    @property
    def edges(self) -> list[tuple[NodeId, NodeId]]:
        return sorted(self._g.edges)

    def find_cycle(self) -> list[NodeId] | None:
        try:
            cycle = nx.find_cycle(self._g)
        except nx.NetworkXNoCycle:
            return None
        path = [u for u, _ in cycle]
        return path + [path[0]]

    def order(self) -> list[NodeId]:
        """Topological order, ties broken by name so output is deterministic."""
        cycle = self.find_cycle()
        if cycle:
            raise CycleError(cycle)
        return list(nx.lexicographical_topological_sort(self._g))

    def generations(self) -> list[list[NodeId]]:
        """Levels of nodes that depend only on earlier levels (run in parallel within a level)."""
        cycle = self.find_cycle()
        if cycle:
            raise CycleError(cycle)
        return [sorted(level) for level in nx.topological_generations(self._g)]

    def upstream(self, node: str) -> set[NodeId]:
        return set(nx.ancestors(self._g, node))

    def downstream(self, node: str) -> set[NodeId]:
        return set(nx.descendants(self._g, node))

    def parents(self, node: str) -> list[NodeId]:
        return sorted(self._g.predecessors(node))

    def subgraph(self, nodes: Iterable[str]) -> Graph:
        sub = Graph()
        sub._g = self._g.subgraph(nodes).copy()
        return sub

    def select(self, selectors: Iterable[str]) -> set[NodeId]:
        """dbt-style selection: `m`, `m+` (and downstream), `+m` (and upstream), `+m+`; unknown names raise KeyError."""
        chosen: set[NodeId] = set()
        for raw in selectors:
            for selector in raw.split(","):
                name = selector.strip().strip("+")
                if not name:
                    continue
                match = next((n for n in self._g.nodes if n.lower() == name.lower()), None)
                if match is None:
                    raise KeyError(name)
                chosen.add(match)
                if selector.strip().endswith("+"):
                    chosen |= self.downstream(match)
                if selector.strip().startswith("+"):
                    chosen |= self.upstream(match)
        return chosen
