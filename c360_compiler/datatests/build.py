"""Compile the data tests declared in specs (plus the built-in ones) into sqlglot queries.

Every test is one query that returns the *failing* rows (empty = pass): a runner counts them
and keeps a sample. Queries are ASTs in the authoring dialect (Snowflake); adapters transpile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from c360_compiler.analyze import AUTHORING, AnalyzedModel
from c360_compiler.errors import SpecError, closest
from c360_compiler.load.specs import ColumnTestSpec, ModelTestSpec, Range
from c360_compiler.pipeline import Compiled
from c360_compiler.sql_values import literal


@dataclass(frozen=True)
class DataTest:
    """One compiled test: a query yielding failing rows, or an error found while compiling it."""

    test_id: str
    model: str
    column: str
    kind: str
    failing: exp.Query | None
    error: str = ""
    key: tuple[str | int, ...] = ()
    """Where the test is declared, under its model's spec (e.g. ('columns', 2, 'tests', 0))."""


class TestCompileError(ValueError):
    """A declared test that cannot become SQL (unknown column, unparsable expression)."""


def compile_tests(compiled: Compiled, selected: set[str] | None = None) -> list[DataTest]:
    """Tests of every selected model, in DAG order: column tests, model tests, kind built-ins."""
    tests: list[DataTest] = []
    for name in compiled.analysis.graph.order():
        model = compiled.analysis.models.get(name)
        if model is None or (selected is not None and name not in selected):
            continue
        tests += _model_tests(compiled, model)
    return tests


def _model_tests(compiled: Compiled, model: AnalyzedModel) -> list[DataTest]:
    spec = model.rendered.loaded.spec
    columns = {c.name.lower() for c in model.columns}
    table = exp.to_table(model.relation.fqn, dialect=AUTHORING)
    out: list[DataTest] = []

    def add(test_id: str, column: str, kind: str, build: object, key: tuple[str | int, ...]) -> None:
        try:
            query = build() if callable(build) else build
            out.append(DataTest(f"{model.name}.{test_id}", model.name, column, kind, query, key=key))
        except TestCompileError as exc:
            out.append(DataTest(f"{model.name}.{test_id}", model.name, column, kind, None, str(exc), key))

    for c, col in enumerate(spec.columns):
        name = col.name.lower()
        for i, test in enumerate(col.tests):
            key = ("columns", c, "tests", i)
            if isinstance(test, str):
                kind = test
                builder = {"not_null": not_null, "unique": unique}[test]
                add(f"{name}.{kind}", name, kind, lambda b=builder, n=name: b(table, n), key)
                continue
            kind, build = _column_test(compiled, table, name, test, columns)
            test_id = f"{name}.{kind}.{i}" if kind in ("expression", "range") else f"{name}.{kind}"
            add(test_id, name, kind, build, key)
    for i, test in enumerate(spec.tests):
        kind, build = _model_test(table, test, columns)
        add(f"{kind}.{i}", "", kind, build, ("tests", i))
    kind_tests = getattr(spec.kind, "name", "")
    if kind_tests == "scd2":
        out += _scd2_tests(model, table)
    if kind_tests == "segments":
        out += _segment_tests(compiled, model, table)
    return out


def test_errors(compiled: Compiled) -> list[SpecError]:
    """Declared tests that cannot become SQL, as located spec errors (checked by every compile)."""
    errors = []
    for test in compile_tests(compiled):
        if test.error:
            loaded = compiled.analysis.models[test.model].rendered.loaded
            errors.append(SpecError(loaded.locate(*test.key), test.error, key_path=loaded.key_path(*test.key)))
    return errors


# --- column tests ----------------------------------------------------------------


def not_null(table: exp.Table, column: str) -> exp.Query:
    return exp.select(column).from_(table.copy()).where(exp.column(column).is_(exp.null()))


def unique(table: exp.Table, column: str) -> exp.Query:
    count = exp.Count(this=exp.Star())
    return (
        exp.select(column, exp.alias_(count, "occurrences"))
        .from_(table.copy())
        .where(exp.not_(exp.column(column).is_(exp.null())))
        .group_by(column)
        .having(count.copy() > 1)
    )


def _column_test(
    compiled: Compiled, table: exp.Table, column: str, test: ColumnTestSpec, columns: set[str]
) -> tuple[str, object]:
    col = exp.column(column)
    if test.accepted_values is not None:
        values = [literal(v) for v in test.accepted_values.values]
        cond = exp.and_(exp.not_(col.is_(exp.null())), exp.not_(col.copy().isin(*values)))
        return "accepted_values", exp.select(column).from_(table.copy()).where(cond)
    if test.range is not None:
        return "range", exp.select(column).from_(table.copy()).where(_outside(col, test.range))
    if test.expression is not None:
        text = test.expression
        return "expression", lambda: _violations(table, text, columns, [column])
    assert test.relationships is not None
    rel = test.relationships
    parent = compiled.analysis.models.get(rel.to)
    if parent is None:
        return "relationships", _raise(
            f"relationships: unknown model '{rel.to}'" + _did_you_mean(rel.to, compiled.analysis.models)
        )
    if rel.field.lower() not in {c.name.lower() for c in parent.columns}:
        return "relationships", _raise(
            f"relationships: '{rel.field}' is not a column of {rel.to}"
            + _did_you_mean(rel.field, [c.name for c in parent.columns])
        )
    parent_table = exp.to_table(parent.relation.fqn, dialect=AUTHORING)
    child = exp.column(column, table="child")
    parent_col = exp.column(rel.field, table="parent")
    query = (
        exp.select(child)
        .from_(exp.alias_(table.copy(), "child", table=True))
        .join(exp.alias_(parent_table, "parent", table=True), on=child.copy().eq(parent_col), join_type="left")
        .where(exp.and_(exp.not_(child.copy().is_(exp.null())), parent_col.copy().is_(exp.null())))
    )
    return "relationships", query


def _outside(value: exp.Expression, bounds: Range) -> exp.Expression:
    parts: list[exp.Expression] = []
    if bounds.min is not None:
        parts.append(value.copy() < exp.Literal.number(bounds.min))
    if bounds.max is not None:
        parts.append(value.copy() > exp.Literal.number(bounds.max))
    if not parts:
        return exp.false()
    return exp.or_(*parts) if len(parts) > 1 else parts[0]


# --- model tests -----------------------------------------------------------------


def _model_test(table: exp.Table, test: ModelTestSpec, columns: set[str]) -> tuple[str, object]:
    if test.expression is not None:
        text = test.expression
        return "expression", lambda: _violations(table, text, columns, [])
    if test.row_count is not None:
        count = exp.Count(this=exp.Star())
        query = (
            exp.select(exp.alias_(count, "row_count"))
            .from_(table.copy())
            .having(_outside(count.copy(), test.row_count))
        )
        return "row_count", query
    keys = [k.lower() for k in test.unique_combination or []]
    unknown = [k for k in keys if k not in columns]
    if unknown:
        return "unique_combination", _raise(
            f"unique_combination: unknown column '{unknown[0]}'" + _did_you_mean(unknown[0], columns)
        )
    count = exp.Count(this=exp.Star())
    query = exp.select(*keys, exp.alias_(count, "occurrences")).from_(table.copy()).group_by(*keys)
    return "unique_combination", query.having(count.copy() > 1)


def _violations(table: exp.Table, text: str, columns: set[str], shown: list[str]) -> exp.Query:
    """Rows where the boolean expression `text` is false (NULL counts as false)."""
    try:
        condition = sqlglot.parse_one(text, dialect=AUTHORING)
    except ParseError as exc:
        raise TestCompileError(f"expression '{text}' does not parse: {exc.errors[0]['description']}") from exc
    for column in condition.find_all(exp.Column):
        if column.name.lower() not in columns:
            raise TestCompileError(
                f"expression '{text}' reads unknown column '{column.name}'" + _did_you_mean(column.name, columns)
            )
    select = [exp.column(c) for c in shown] or [exp.Star()]
    return (
        exp.select(*select).from_(table.copy()).where(exp.not_(exp.func("COALESCE", exp.paren(condition), exp.false())))
    )


# --- built-in tests of kinds -------------------------------------------------------


def _scd2_tests(model: AnalyzedModel, table: exp.Table) -> list[DataTest]:
    """Version integrity of an scd2 table: no overlaps, no gaps, one current version per key."""
    kind = model.kind
    keys = [k.lower() for k in kind.unique_key]  # type: ignore[attr-defined]
    _sk, vf, vt, ic = (c.lower() for c in kind.scd_columns())  # type: ignore[attr-defined]
    order = ", ".join(keys)
    ordered = sqlglot.parse_one(
        f"SELECT {order}, {vf}, {vt}, LEAD({vf}) OVER (PARTITION BY {order} ORDER BY {vf}) AS next_valid_from "
        f"FROM {table.sql(AUTHORING)}",
        dialect=AUTHORING,
    )
    versions = exp.select(order, vf, vt, "next_valid_from").from_(exp.alias_(exp.paren(ordered), "versions"))
    overlap = versions.where(
        f"({vt} IS NOT NULL AND {vt} <= {vf})"
        f" OR (next_valid_from IS NOT NULL AND ({vt} IS NULL OR {vt} > next_valid_from))",
        dialect=AUTHORING,
    )
    gaps = versions.copy().where(f"next_valid_from IS NOT NULL AND {vt} < next_valid_from", dialect=AUTHORING)
    current = exp.func("SUM", exp.If(this=exp.column(ic), true=exp.Literal.number(1), false=exp.Literal.number(0)))
    wanted = "<> 1" if kind.hard_deletes == "ignore" else "> 1"  # type: ignore[attr-defined]
    one_current = sqlglot.parse_one(
        f"SELECT {order}, {current.sql(AUTHORING)} AS current_versions FROM {table.sql(AUTHORING)} "
        f"GROUP BY {order} HAVING {current.sql(AUTHORING)} {wanted}",
        dialect=AUTHORING,
    )
    flag = (
        exp.select(order, vf, vt, ic)
        .from_(table.copy())
        .where(f"{ic} IS NULL OR {ic} <> ({vt} IS NULL)", dialect=AUTHORING)
    )
    prefix = model.name
    return [
        DataTest(f"{prefix}.scd2_no_overlap", model.name, "", "scd2_no_overlap", overlap),
        DataTest(f"{prefix}.scd2_no_gaps", model.name, "", "scd2_no_gaps", gaps),
        DataTest(f"{prefix}.scd2_one_current", model.name, "", "scd2_one_current", one_current),
        DataTest(f"{prefix}.scd2_current_flag", model.name, "", "scd2_current_flag", flag),
    ]


def _segment_tests(compiled: Compiled, model: AnalyzedModel, table: exp.Table) -> list[DataTest]:
    """The share of each segment lies within the expected_share range of specs/segments.yaml."""
    from c360_compiler.segments import load_segmentation

    kind = model.kind
    test_id = f"{model.name}.segment_distribution"
    segmentation, problems = load_segmentation(
        compiled.project,
        kind.rules_file,
        [(c.name, c.type) for c in model.columns],  # type: ignore[attr-defined]
    )
    if segmentation is None:
        message = problems[0].render() if problems else "segments file invalid"
        return [DataTest(test_id, model.name, "", "segment_distribution", None, message)]
    shares = segmentation.shares()
    if not shares:
        return []
    column = kind.segment_column.lower()  # type: ignore[attr-defined]
    rows = [
        exp.select(
            exp.alias_(exp.Literal.string(name), "segment"),
            exp.alias_(exp.Literal.number(share.min), "min_share"),
            exp.alias_(exp.Literal.number(share.max), "max_share"),
        )
        for name, share in shares.items()
    ]
    expected: exp.Query = reduce(lambda a, b: exp.union(a, b, distinct=False), rows)
    observed = sqlglot.parse_one(
        f"SELECT {column} AS segment, COUNT(*) / SUM(COUNT(*)) OVER () AS share "
        f"FROM {table.sql(AUTHORING)} GROUP BY {column}",
        dialect=AUTHORING,
    )
    query = sqlglot.parse_one(
        "SELECT e.segment, ROUND(COALESCE(o.share, 0), 4) AS share, e.min_share, e.max_share "
        "FROM expected AS e LEFT JOIN observed AS o ON o.segment = e.segment "
        "WHERE COALESCE(o.share, 0) < e.min_share OR COALESCE(o.share, 0) > e.max_share",
        dialect=AUTHORING,
    )
    assert isinstance(query, exp.Select)
    query = query.with_("expected", as_=expected).with_("observed", as_=observed)
    return [DataTest(test_id, model.name, column, "segment_distribution", query)]


# --- helpers ---------------------------------------------------------------------


def _raise(message: str) -> object:
    def build() -> exp.Query:
        raise TestCompileError(message)

    return build


def _did_you_mean(name: str, candidates: object) -> str:
    suggestion = closest(name, list(candidates))  # type: ignore[call-overload]
    return f" (did you mean '{suggestion}'?)" if suggestion else ""
