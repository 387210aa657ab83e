"""Golden SQL: spec fixtures compiled to Snowflake and DuckDB text, and the committed generated/ is current.

Cases live in golden/cases/<case>.yaml (a models file) and are compiled inside the frozen
golden/project; the expected files are golden/expected/<case>/<dialect>/<model>[.incremental].sql.
Set C360_UPDATE_GOLDEN=1 to rewrite the expected files after an intended change (then review the diff).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from _support import HERE, REPO

from c360_compiler.analyze import DIALECTS
from c360_compiler.emit import GENERATED, emit, write_schemas
from c360_compiler.pipeline import compile_project

GOLDEN = HERE / "golden"
CASES = sorted(p.stem for p in (GOLDEN / "cases").glob("*.yaml"))
UPDATE = os.environ.get("C360_UPDATE_GOLDEN") == "1"


def _emitted(case: str, tmp_path: Path) -> dict[str, str]:
    """Relative path (dialect/model.sql) -> text of every SQL file the case compiles to."""
    root = tmp_path / "project"
    shutil.copytree(GOLDEN / "project", root)
    (root / "specs" / "models").mkdir()
    shutil.copy(GOLDEN / "cases" / f"{case}.yaml", root / "specs" / "models" / f"{case}.yaml")
    out = tmp_path / "out"
    emit(compile_project(root), out)
    return {
        f"{path.relative_to(out).parts[0]}/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(out.rglob("*.sql"))
    }


@pytest.mark.parametrize("case", CASES)
def test_golden_sql(case: str, tmp_path: Path) -> None:
    actual = _emitted(case, tmp_path)
    expected_dir = GOLDEN / "expected" / case
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, text in actual.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_text(text, encoding="utf-8")
    expected = {
        str(p.relative_to(expected_dir)): p.read_text(encoding="utf-8") for p in sorted(expected_dir.rglob("*.sql"))
    }
    assert sorted(actual) == sorted(expected)
    assert {d for rel in actual for d in [rel.split("/")[0]]} == set(DIALECTS)
    for rel in expected:
        assert actual[rel] == expected[rel], rel


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_generated_matches_a_fresh_compile(tmp_path: Path) -> None:
    committed = REPO / GENERATED
    compiled = compile_project(REPO)
    out = tmp_path / "generated"
    emit(compiled, out)
    schema_root = tmp_path / "schema_project"
    write_schemas(schema_root)
    fresh = _tree(out) | {f"schema/{k}": v for k, v in _tree(schema_root / GENERATED / "schema").items()}
    current = {k: v for k, v in _tree(committed).items() if k.split("/")[0] in {*DIALECTS, "schema", "manifest.json"}}
    stale = sorted(k for k in current.keys() | fresh.keys() if current.get(k) != fresh.get(k))
    assert stale == [], "generated/ is stale; run `c360 compile` and `c360 schema` and commit: " + ", ".join(stale)


def test_compiling_twice_is_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    emit(compile_project(REPO), first)
    emit(compile_project(REPO), second)
    assert _tree(first) == _tree(second)
    assert len(_tree(first)) > 1
