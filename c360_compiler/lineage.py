"""Column-level lineage: which source columns each output column of a qualified query is computed from."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope


def column_lineage(query: exp.Query) -> dict[str, tuple[str, ...]]:
    """For each output column, the `SCHEMA.TABLE.column` source columns it is computed from."""
    root = build_scope(query)
    if root is None:
        return {}
    names = [p.alias_or_name.lower() for p in query.selects]
    found: dict[str, set[str]] = {n: set() for n in names}
    for branch in _branches(root):
        for name, projection in zip(names, branch.expression.selects, strict=False):
            _trace(branch, projection, found[name], depth=0)
    return {n: tuple(sorted(found[n])) for n in names}


def _branches(scope: Scope) -> Iterator[Scope]:
    """The SELECT scopes of a scope: itself, or every branch of a UNION / INTERSECT / EXCEPT."""
    if scope.set_operation_scopes:
        for child in scope.set_operation_scopes:
            yield from _branches(child)
    else:
        yield scope


def _trace(scope: Scope, node: exp.Expression, found: set[str], depth: int) -> None:
    """Follow the columns of `node` through CTEs and subqueries down to base tables."""
    if depth > 32:
        return
    for column in node.find_all(exp.Column):
        source = scope.sources.get(column.table)
        if isinstance(source, exp.Table):
            found.add(f"{source.db}.{source.name}.{column.name}".upper())
        elif isinstance(source, Scope):
            for branch in _branches(source):
                selects = branch.expression.selects
                index = _output_index(source, column.name)
                if index is not None and index < len(selects):
                    _trace(branch, selects[index], found, depth + 1)


def _output_index(scope: Scope, name: str) -> int | None:
    """Position of output column `name` of a scope (set operations name columns by their first branch)."""
    first = next(_branches(scope))
    for i, projection in enumerate(first.expression.selects):
        if projection.alias_or_name.upper() == name.upper():
            return i
    return None
