"""Checks on a model's SQL that sqlglot makes possible: unresolved or ambiguous columns,
numeric aggregates over text, non-boolean filters, kind settings naming missing columns."""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.schema import MappingSchema

from c360_compiler.dialects import AUTHORING
from c360_compiler.errors import SpecError, closest
from c360_compiler.render import RenderedModel, sql_location

NUMERIC_AGGREGATES = (exp.Sum, exp.Avg, exp.Stddev, exp.Variance)


def cte_names(query: exp.Expression) -> set[str]:
    return {cte.alias_or_name.upper() for cte in query.find_all(exp.CTE)}


def qualify_error(model: RenderedModel, query: exp.Query, mapping: MappingSchema, message: str) -> SpecError:
    loaded = model.loaded
    match = re.search(r"Column '([^']+)' could not be resolved", message)
    if not match:
        return SpecError(loaded.locate("sql"), f"cannot resolve SQL: {message}", key_path=loaded.key_path("sql"))
    column = match.group(1)
    available: dict[str, list[str]] = {}
    ctes = cte_names(query)
    for table in query.find_all(exp.Table):
        if table.db and table.name.upper() not in ctes:
            for name in mapping.column_names(table):
                available.setdefault(name.lower(), []).append(table.name)
    owners = available.get(column.lower(), [])
    location = sql_location(loaded, loaded.spec.sql, rf"\b{re.escape(column)}\b")
    if len(owners) > 1:
        return SpecError(
            location,
            f"ambiguous column '{column.lower()}' (in {', '.join(sorted(set(owners)))})",
            key_path=loaded.key_path("sql"),
            expected="a column qualified by its table alias",
        )
    return SpecError(
        location,
        f"unknown column '{column.lower()}'",
        key_path=loaded.key_path("sql"),
        expected="a column of the tables read",
        suggestion=closest(column.lower(), available),
    )


def type_errors(model: RenderedModel, typed: exp.Expression) -> list[SpecError]:
    """Errors sqlglot's type annotation makes visible: numeric aggregates over text, non-boolean filters."""
    loaded = model.loaded
    errors = []
    for agg in typed.find_all(*NUMERIC_AGGREGATES):
        arg = agg.this
        if arg is not None and arg.type is not None and arg.type.is_type(*exp.DataType.TEXT_TYPES):
            errors.append(
                SpecError(
                    sql_location(loaded, loaded.spec.sql, rf"\b{agg.key}\s*\("),
                    f"{agg.key.upper()} over text expression '{arg.sql(AUTHORING)}'",
                    key_path=loaded.key_path("sql"),
                    expected="a numeric argument",
                )
            )
    for where in typed.find_all(exp.Where):
        cond = where.this
        if (
            cond.type is not None
            and cond.type.this
            not in (
                exp.DataType.Type.BOOLEAN,
                exp.DataType.Type.UNKNOWN,
                exp.DataType.Type.NULL,
            )
            and isinstance(cond, exp.Column | exp.Literal)
        ):
            errors.append(
                SpecError(
                    sql_location(loaded, loaded.spec.sql, r"\bwhere\b"),
                    f"WHERE condition '{cond.sql(AUTHORING)}' is {cond.type.sql(AUTHORING)}, not boolean",
                    key_path=loaded.key_path("sql"),
                    expected="a boolean condition",
                )
            )
    return errors


def kind_errors(model: RenderedModel, outputs: set[str]) -> list[SpecError]:
    """Columns a kind names must be produced by the SQL."""
    loaded = model.loaded
    kind = loaded.spec.kind
    named: list[tuple[str, str]] = []
    for field_name in ("unique_key", "time_column", "updated_at", "check_cols", "type1_cols"):
        value = getattr(kind, field_name, None)
        for col in [value] if isinstance(value, str) else value or []:
            named.append((field_name, col))
    return [
        SpecError(
            loaded.locate("kind", field_name),
            f"{field_name} '{col}' is not an output column",
            key_path=loaded.key_path("kind", field_name),
            expected="one of " + ", ".join(sorted(outputs)),
            suggestion=closest(col, outputs),
        )
        for field_name, col in named
        if col.lower() not in outputs
    ]
