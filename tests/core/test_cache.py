"""The analysis cache: a cached compile equals a fresh one, and every input in the key invalidates it."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support import copy_project, replace_in, spec_errors

from c360_compiler.analysis_cache import CACHE_FILE
from c360_compiler.analyze import DIALECTS
from c360_compiler.emit import manifest
from c360_compiler.pipeline import Compiled, compile_project


def snapshot(compiled: Compiled) -> dict[str, object]:
    """Everything a compile hands on: SQL per dialect and mode, columns, lineage, hashes, query text."""
    return {
        "manifest": manifest(compiled),
        "models": {
            name: (m.sql, m.query_sql, m.columns, {k: [s.sql("snowflake") for s in v] for k, v in m.statements.items()})
            for name, m in compiled.analysis.models.items()
        },
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "proj")


def test_a_cached_compile_equals_a_fresh_one(root: Path) -> None:
    fresh = snapshot(compile_project(root, use_cache=False))
    assert not (root / CACHE_FILE).exists()
    first = snapshot(compile_project(root))  # fills the cache
    assert (root / CACHE_FILE).is_file()
    cached = snapshot(compile_project(root))  # served from it
    assert fresh == first == cached
    assert set(fresh["models"]) >= {"dim_customer", "customer_segments", "fct_transactions"}  # type: ignore[operator]


def _sql(root: Path, model: str, dialect: str = "duckdb") -> tuple[str, ...]:
    return compile_project(root).analysis.models[model].sql[dialect]["full"]


def test_editing_a_kind_template_reanalyses_its_models(root: Path) -> None:
    before = _sql(root, "stg_customers")
    replace_in(root / "templates" / "sql" / "view.sql.j2", "{{ body }}", "SELECT * FROM ({{ body }}) AS wrapped")
    after = _sql(root, "stg_customers")
    assert "WRAPPED" not in before[0].upper() and "AS WRAPPED" in after[0].upper()


def test_editing_a_segment_threshold_reanalyses_the_segments_model(root: Path) -> None:
    before = _sql(root, "customer_segments", "snowflake")
    replace_in(root / "specs" / "segments.yaml", "monthly_spend_90d >= 5000", "monthly_spend_90d >= 6500")
    after = _sql(root, "customer_segments", "snowflake")
    assert "6500" not in "".join(before) and "6500" in "".join(after)


def test_an_upstream_type_change_reaches_downstream_models(root: Path) -> None:
    assert (
        dict((c.name, c.type) for c in compile_project(root).analysis.models["stg_customers"].columns)["age"] == "INT"
    )
    replace_in(root / "specs" / "sources.yaml", "{name: age, type: INTEGER", "{name: age, type: DOUBLE")
    columns = dict((c.name, c.type) for c in compile_project(root).analysis.models["stg_customers"].columns)
    assert columns["age"] == "INT"  # the model casts; its own output type is unchanged
    model = root / "specs" / "models" / "silver.yaml"
    replace_in(model, "CAST(age AS INTEGER) AS age", "age AS age")
    columns = dict((c.name, c.type) for c in compile_project(root).analysis.models["stg_customers"].columns)
    assert columns["age"] == "DOUBLE"


def test_errors_are_never_cached(root: Path) -> None:
    compile_project(root)
    model = root / "specs" / "models" / "silver.yaml"
    replace_in(model, "TRIM(city) AS city", "TRIM(citty) AS city")
    for _ in range(2):  # found again on every compile, not remembered as a success
        errors = spec_errors(root)
        assert any("unknown column 'citty'" in e.message for e in errors.errors)
    replace_in(model, "TRIM(citty) AS city", "TRIM(city) AS city")
    compile_project(root)


def test_a_corrupt_or_foreign_cache_file_is_ignored(root: Path) -> None:
    expected = snapshot(compile_project(root, use_cache=False))
    (root / CACHE_FILE).parent.mkdir(parents=True, exist_ok=True)
    for junk in ("not json", '{"format": 999, "entries": {}}', '{"format": 1, "entries": []}'):
        (root / CACHE_FILE).write_text(junk, encoding="utf-8")
        assert snapshot(compile_project(root)) == expected


def test_cache_holds_only_entries_of_the_last_compile(root: Path) -> None:
    import json

    compile_project(root)
    first = set(json.loads((root / CACHE_FILE).read_text())["entries"])
    replace_in(root / "specs" / "models" / "silver.yaml", "TRIM(city) AS city", "UPPER(TRIM(city)) AS city")
    compile_project(root)
    second = set(json.loads((root / CACHE_FILE).read_text())["entries"])
    assert len(first) == len(second) == len(compile_project(root).analysis.models)
    assert first != second and len(first - second) >= 1


def test_every_dialect_comes_back_from_the_cache(root: Path) -> None:
    compile_project(root)
    models = compile_project(root).analysis.models
    assert all(set(m.sql) == set(DIALECTS) and all(m.sql[d]["full"] for d in DIALECTS) for m in models.values())
