"""Python values as sqlglot literals (SQL built as ASTs, never by string formatting)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlglot import exp


def literal(value: Any) -> exp.Expression:
    """A typed SQL literal for a Python value."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.Literal.string(str(value))


def insert_rows(table: str, columns: list[str], rows: list[dict[str, Any]]) -> exp.Insert:
    """INSERT INTO table (columns) VALUES (...), one tuple per row."""
    values = [exp.tuple_(*[literal(r.get(c)) for c in columns]) for r in rows]
    return exp.insert(exp.values(values), table, columns=columns)
