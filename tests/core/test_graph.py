"""graph: order, generations, dbt-style selection, cycles."""

from __future__ import annotations

import pytest

from c360_compiler.graph import CycleError, Graph


@pytest.fixture
def graph() -> Graph:
    #   src_a -> mid -> leaf
    #   src_b -> mid
    #   src_b -> side
    g = Graph()
    for node in ("leaf", "side", "mid", "src_b", "src_a", "alone"):
        g.add_node(node)
    g.add_edge("src_a", "mid")
    g.add_edge("src_b", "mid")
    g.add_edge("mid", "leaf")
    g.add_edge("src_b", "side")
    return g


def test_order_is_topological_and_deterministic(graph: Graph) -> None:
    assert graph.order() == ["alone", "src_a", "src_b", "mid", "leaf", "side"]


def test_generations_group_independent_nodes(graph: Graph) -> None:
    assert graph.generations() == [["alone", "src_a", "src_b"], ["mid", "side"], ["leaf"]]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (["mid"], {"mid"}),
        (["mid+"], {"mid", "leaf"}),
        (["+mid"], {"mid", "src_a", "src_b"}),
        (["+mid+"], {"mid", "src_a", "src_b", "leaf"}),
        (["MID"], {"mid"}),
        (["side,leaf"], {"side", "leaf"}),
        (["src_b+", "alone"], {"src_b", "mid", "leaf", "side", "alone"}),
    ],
)
def test_select(graph: Graph, selector: list[str], expected: set[str]) -> None:
    assert graph.select(selector) == expected


def test_select_unknown_name_raises_key_error(graph: Graph) -> None:
    with pytest.raises(KeyError) as exc:
        graph.select(["midd+"])
    assert exc.value.args[0] == "midd"


def test_parents_upstream_downstream(graph: Graph) -> None:
    assert graph.parents("mid") == ["src_a", "src_b"]
    assert graph.upstream("leaf") == {"mid", "src_a", "src_b"}
    assert graph.downstream("src_b") == {"mid", "leaf", "side"}
    assert graph.subgraph(["mid", "leaf"]).edges == [("mid", "leaf")]


def test_cycle_names_its_path() -> None:
    g = Graph()
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", "a")
    g.add_edge("c", "d")
    with pytest.raises(CycleError) as exc:
        g.order()
    path = exc.value.path
    assert path[0] == path[-1] and set(path) == {"a", "b", "c"} and len(path) == 4
    assert str(exc.value) == "cycle: " + " -> ".join(path)
    with pytest.raises(CycleError):
        g.generations()
