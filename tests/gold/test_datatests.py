"""The data test runner: every test kind passes on good data and fails, with the failing row count
and a sample, on bad data; unusable tests are errors, not crashes; results land in TEST_RESULTS."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _gold_support import REPO

from c360_compiler.datatests import run_tests
from c360_compiler.errors import SpecErrors
from c360_compiler.execute.duckdb_adapter import DuckDBAdapter
from c360_compiler.pipeline import apply_changes, compile_project, plan_changes
from c360_compiler.sql_values import insert_rows

SOURCES = """
sources:
  - name: raw
    layer: bronze
    tables:
      - name: ITEMS
        columns:
          - {name: id, type: INTEGER}
          - {name: parent_id, type: INTEGER}
          - {name: color, type: VARCHAR}
          - {name: score, type: INTEGER}
          - {name: lo, type: INTEGER}
          - {name: hi, type: INTEGER}
      - name: PARENTS
        columns:
          - {name: pid, type: INTEGER}
"""

MODELS = """
models:
  - name: parents
    layer: silver
    kind: table
    sql: SELECT pid FROM {{ source('raw', 'PARENTS') }}
  - name: items
    layer: gold
    kind: table
    sql: SELECT id, parent_id, color, score, lo, hi FROM {{ source('raw', 'ITEMS') }}
    columns:
      - {name: id, tests: [not_null, unique]}
      - {name: parent_id, tests: [{relationships: {to: parents, field: pid}}]}
      - {name: color, tests: [{accepted_values: {values: [red, blue]}}]}
      - {name: score, tests: [{range: {min: 0, max: 10}}, {expression: "score <> 7"}]}
    tests:
      - expression: "lo <= hi"
      - row_count: {min: 2, max: 4}
      - unique_combination: [color, score]
"""

GOOD = [
    dict(id=1, parent_id=1, color="red", score=1, lo=1, hi=2),
    dict(id=2, parent_id=2, color="blue", score=2, lo=1, hi=1),
    dict(id=3, parent_id=None, color=None, score=3, lo=0, hi=5),
]
BAD = [
    dict(id=1, parent_id=1, color="red", score=1, lo=1, hi=2),
    dict(id=1, parent_id=9, color="green", score=11, lo=3, hi=2),
    dict(id=None, parent_id=2, color="red", score=1, lo=1, hi=1),
    dict(id=4, parent_id=2, color="blue", score=7, lo=1, hi=1),
    dict(id=5, parent_id=2, color="blue", score=-1, lo=1, hi=1),
]


@pytest.fixture
def project(tmp_path: Path):
    root = tmp_path / "p"
    (root / "specs" / "models").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "project.yaml", root / "specs" / "project.yaml")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "specs" / "sources.yaml").write_text(SOURCES)
    (root / "specs" / "models" / "m.yaml").write_text(MODELS)
    compiled = compile_project(root)
    adapter = DuckDBAdapter(root / "w.duckdb", compiled.project.spec.database)
    yield compiled, adapter
    adapter.close()


def _load(compiled, adapter, items: list[dict]) -> None:
    adapter.ensure_schema("BRONZE")
    for table, cols, rows in (
        ("ITEMS", "id INTEGER, parent_id INTEGER, color VARCHAR, score INTEGER, lo INTEGER, hi INTEGER", items),
        ("PARENTS", "pid INTEGER", [{"pid": 1}, {"pid": 2}]),
    ):
        fqn = adapter.table("BRONZE", table)
        adapter.execute(f"CREATE OR REPLACE TABLE {fqn} ({cols})", native=True)
        adapter.execute(insert_rows(fqn, list(rows[0]), rows))
    apply_changes(compiled, adapter, plan_changes(compiled, adapter))


def test_every_kind_passes_on_good_data(project) -> None:
    compiled, adapter = project
    _load(compiled, adapter, GOOD)
    report = run_tests(compiled, adapter, {"items"})
    kinds = {r.kind for r in report.results}
    assert kinds == {
        "not_null",
        "unique",
        "relationships",
        "accepted_values",
        "range",
        "expression",
        "row_count",
        "unique_combination",
    }
    assert report.ok and all(r.failing_rows == 0 and r.sample == [] for r in report.results)
    assert report.to_dict()["counts"] == {"pass": len(report.results), "fail": 0, "error": 0}


def test_every_kind_fails_on_bad_data_with_count_and_sample(project) -> None:
    compiled, adapter = project
    _load(compiled, adapter, BAD)
    report = run_tests(compiled, adapter, None)
    by = report.by_id()
    assert not report.ok
    expected = {
        "items.id.not_null": 1,
        "items.id.unique": 1,
        "items.parent_id.relationships": 1,
        "items.color.accepted_values": 1,
        "items.score.range.0": 2,
        "items.score.expression.1": 1,
        "items.expression.0": 1,
        "items.row_count.1": 1,
        "items.unique_combination.2": 1,
    }
    assert {k: (by[k].status, by[k].failing_rows) for k in expected} == {k: ("fail", n) for k, n in expected.items()}
    assert by["items.id.unique"].sample == [{"id": 1, "occurrences": 2}]
    assert by["items.parent_id.relationships"].sample == [{"parent_id": 9}]
    assert by["items.color.accepted_values"].sample == [{"color": "green"}]
    assert sorted(r["score"] for r in by["items.score.range.0"].sample) == [-1, 11]
    assert by["items.row_count.1"].sample == [{"row_count": 5}]
    assert by["items.unique_combination.2"].sample == [{"color": "red", "score": 1, "occurrences": 2}]
    assert by["items.expression.0"].sample[0]["lo"] == 3
    stored = adapter.query(
        "SELECT test_id, status, failing_rows FROM CUSTOMER_ANALYTICS.C360_META.TEST_RESULTS "
        f"WHERE run_id = '{report.run_id}' AND test_id = 'items.id.unique'"
    ).rows
    assert stored == [("items.id.unique", "fail", 1)]
    assert report.to_dict()["results"][0]["test_id"].startswith("parents") is False


def test_a_test_on_an_unknown_column_is_a_located_compile_error(project, tmp_path: Path) -> None:
    compiled, _adapter = project
    models = compiled.project.root / "specs" / "models" / "m.yaml"
    text = MODELS.replace('expression: "lo <= hi"', 'expression: "lo <= hii"')
    models.write_text(text)
    with pytest.raises(SpecErrors) as caught:
        compile_project(compiled.project.root)
    (error,) = caught.value.errors
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "lo <= hii" in row)
    assert (error.location.file, error.location.line) == ("specs/models/m.yaml", line)
    assert error.key_path.endswith(".tests[0]") and "unknown column 'hii'" in error.message
    assert "did you mean 'hi'" in error.message


def test_missing_table_is_an_error(project) -> None:
    compiled, adapter = project
    report = run_tests(compiled, adapter, {"items"})
    assert {r.status for r in report.results} == {"error"}
    assert "run `c360 apply`" in report.results[0].message
