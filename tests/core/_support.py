"""Helpers shared by the tests in tests/core (plain functions, no fixtures)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from c360_testkit import bronze_rows, copy_project, load_bronze  # noqa: F401 - re-exported to the tests

from c360_compiler.errors import SpecErrors
from c360_compiler.execute.connect import connect
from c360_compiler.pipeline import Compiled, apply_changes, compile_project, plan_changes

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


LOCATED = re.compile(r"specs/[\w./-]+\.yaml:(\d+):(\d+)")
"""A rendered spec error location: file:line:col."""


CORE_MODELS = ("silver.yaml",)
"""Repo model files the core tests build on; other spec files grow with later work and are left out."""


def fresh_project(dest: Path, models: dict[str, str] | None = None, keep: tuple[str, ...] = CORE_MODELS) -> Path:
    """A copy of the repo project under `dest` with only the `keep` model files, plus `models` (name -> YAML)."""
    root = copy_project(dest)
    for path in sorted((root / "specs" / "models").glob("*.yaml")):
        if path.name not in keep:
            path.unlink()
    for name, text in (models or {}).items():
        (root / "specs" / "models" / name).write_text(text, encoding="utf-8")
    return root


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    """Edit a spec file in place; the old text must be there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def spec_errors(root: Path) -> SpecErrors:
    """Compile `root` expecting spec errors; returns them."""
    try:
        compile_project(root)
    except SpecErrors as exc:
        return exc
    raise AssertionError("expected spec errors, the project compiled")


def compiled(root: Path) -> Compiled:
    return compile_project(root)


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line containing `needle`."""
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{needle!r} not found in {path}")


def col_of(path: Path, needle: str) -> tuple[int, int]:
    """(line, col), both 1-based, of the first occurrence of `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not found in {path}")


def model_yaml(name: str, sql: str, kind: str = "table", layer: str = "gold", extra: str = "") -> str:
    """One model entry (a YAML list item) with a block-scalar SQL body."""
    body = "\n".join("      " + line for line in sql.strip().splitlines())
    return f"  - name: {name}\n    layer: {layer}\n    kind: {kind}\n{extra}    sql: |\n{body}\n"


def models_file(*entries: str) -> str:
    return "models:\n" + "".join(entries)


def set_project_vars(root: Path, **values: object) -> None:
    """Add or override `vars` in specs/project.yaml (rewrites the file without its comments)."""
    path = root / "specs" / "project.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("vars", {}).update(values)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def apply_once(root: Path) -> Compiled:
    """Compile `root`, load the fixture bronze rows into its local warehouse and apply every model."""
    compiled = compile_project(root)
    adapter = connect(compiled.project)
    try:
        load_bronze(compiled.project, adapter)
        apply_changes(compiled, adapter, plan_changes(compiled, adapter))
    finally:
        adapter.close()
    return compiled
