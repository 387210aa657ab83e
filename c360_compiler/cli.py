"""The `c360` command line: a thin layer over the pipeline.

Exit codes: 0 success, 2 spec errors (nothing executed), 1 runtime failure.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from c360_compiler.errors import C360RuntimeError, SpecErrors

app = typer.Typer(add_completion=False, no_args_is_help=True, help="c360: declarative Customer 360 analytics.")
err = Console(stderr=True)
out = Console()

ProjectDir = Annotated[
    Path, typer.Option("--project-dir", "-p", envvar="C360_PROJECT_DIR", help="Project root (holds specs/).")
]
TargetOpt = Annotated[str | None, typer.Option("--target", "-t", help="Target from specs/project.yaml.")]
SelectOpt = Annotated[list[str] | None, typer.Option("--select", "-s", help="dbt-style: model, model+, +model.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


@contextmanager
def _guard(as_json: bool = False, root: Path | None = None) -> Iterator[None]:
    """Map failures to exit codes with a readable message; never a traceback (unless C360_DEBUG=1)."""
    try:
        yield
    except SpecErrors as exc:
        if as_json:
            print(json.dumps({"ok": False, "errors": [e.to_dict() for e in exc.errors]}))
        err.print(exc.render(root.resolve() if root else None), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except C360RuntimeError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": str(exc), "model": exc.model}))
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - the CLI promises no tracebacks
        if os.environ.get("C360_DEBUG"):
            raise
        err.print(f"error: {type(exc).__name__}: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _emit_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=2, sort_keys=True, default=str))


@app.command("compile")
def compile_cmd(project_dir: ProjectDir = Path("."), as_json: JsonOpt = False) -> None:
    """Validate every spec and write generated/ (SQL per dialect, manifest)."""
    from c360_compiler.emit import emit
    from c360_compiler.pipeline import compile_project

    with _guard(as_json, project_dir):
        began = time.perf_counter()
        compiled = compile_project(project_dir)
        files = emit(compiled)
        seconds = time.perf_counter() - began
        if as_json:
            _emit_json(
                {
                    "ok": True,
                    "models": sorted(compiled.analysis.models),
                    "files": len(files),
                    "seconds": round(seconds, 3),
                }
            )
        else:
            err.print(f"compiled {len(compiled.analysis.models)} models into generated/ in {seconds * 1000:.0f} ms")


@app.command("plan")
def plan_cmd(
    project_dir: ProjectDir = Path("."),
    target: TargetOpt = None,
    select: SelectOpt = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild selected models.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show what apply would change in the warehouse."""
    from c360_compiler.execute.connect import connect
    from c360_compiler.pipeline import compile_project, plan_changes

    with _guard(as_json, project_dir):
        compiled = compile_project(project_dir)
        adapter = connect(compiled.project, target, read_only=_exists_readonly(compiled, target))
        try:
            plan = plan_changes(compiled, adapter, select, full_refresh)
        finally:
            adapter.close()
        if as_json:
            _emit_json({"ok": True, **plan.to_dict()})
            return
        _print_plan(plan)


def _exists_readonly(compiled: Any, target: str | None) -> bool:
    """Plan opens an existing DuckDB file read-only (so it never writes); a new one is created."""
    from c360_compiler.execute.connect import resolve_target
    from c360_compiler.load.specs import DuckDBTarget

    _, spec = resolve_target(compiled.project, target)
    return isinstance(spec, DuckDBTarget) and (compiled.project.root / spec.path).exists()


def _print_plan(plan: Any) -> None:
    if plan.is_empty:
        err.print("no changes: the warehouse matches the specs")
        return
    table = Table(title="plan", show_lines=False)
    for col in ("model", "action", "reason", "category"):
        table.add_column(col)
    for change in plan.changes:
        detail = change.category
        if change.added_columns:
            detail += f" (+{', '.join(change.added_columns)})"
        if change.removed_columns:
            detail += f" (-{', '.join(change.removed_columns)})"
        table.add_row(change.model, change.action, change.reason, detail)
    for removal in plan.removed:
        table.add_row(removal.model, "drop", "removed from specs", "")
    err.print(table)


@app.command("apply")
def apply_cmd(
    project_dir: ProjectDir = Path("."),
    target: TargetOpt = None,
    select: SelectOpt = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild selected models.")] = False,
    run_tests_after: Annotated[bool, typer.Option("--test/--no-test", help="Run data tests of applied models.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Apply the plan atomically: every change lands, or none does; then test what changed."""
    from c360_compiler.emit import emit
    from c360_compiler.execute.connect import connect
    from c360_compiler.pipeline import apply_changes, compile_project, plan_changes

    with _guard(as_json, project_dir):
        compiled = compile_project(project_dir)
        emit(compiled)
        adapter = connect(compiled.project, target)
        try:
            plan = plan_changes(compiled, adapter, select, full_refresh)
            if plan.is_empty:
                if as_json:
                    _emit_json({"ok": True, "changed": 0, "models": []})
                else:
                    err.print("no changes: nothing to apply")
                return
            with _model_progress(len(plan.changes), quiet=as_json) as progress:
                report = apply_changes(compiled, adapter, plan, progress)
            tests = None
            if run_tests_after and report.results:
                from c360_compiler.datatests.run import run_tests

                tests = run_tests(compiled, adapter, {r.model for r in report.results})
        finally:
            adapter.close()
        ok = tests is None or tests.ok
        if as_json:
            payload = {"ok": ok, "changed": len(report.results), **report.to_dict()}
            if tests is not None:
                payload["tests"] = tests.to_dict()
            _emit_json(payload)
        else:
            err.print(f"applied {len(report.results)} model(s) in {report.seconds:.2f} s (run {report.run_id})")
            if tests is not None:
                _print_tests(tests)
        if not ok:
            raise typer.Exit(1)


@contextmanager
def _bar(quiet: bool, counter: str, total: float) -> Iterator[tuple[Progress, TaskID] | None]:
    """A transient rich progress bar on stderr (None when output must stay machine-readable)."""
    if quiet:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn(counter), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        yield bar, bar.add_task("", total=total)


@contextmanager
def _model_progress(total: int, quiet: bool) -> Iterator[Callable[[str, str, float | None], None]]:
    """Progress over models, printing one line per finished model with its timing."""
    with _bar(quiet, "{task.completed}/{task.total}", total) as shown:

        def report(model: str, event: str, seconds: float | None) -> None:
            if shown is None:
                return
            bar, task = shown
            if event == "start":
                bar.update(task, description=f"building {model}")
            else:
                bar.advance(task)
                bar.console.print(f"  [green]✓[/green] {model} [dim]{(seconds or 0):.2f} s[/dim]")

        yield report


@app.command("test")
def test_cmd(
    project_dir: ProjectDir = Path("."),
    target: TargetOpt = None,
    select: SelectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the data tests declared in the specs; exit 1 when any fails."""
    from c360_compiler.datatests.run import run_tests
    from c360_compiler.execute.connect import connect
    from c360_compiler.pipeline import compile_project
    from c360_compiler.pipeline import select as select_models

    with _guard(as_json, project_dir):
        compiled = compile_project(project_dir)
        chosen = select_models(compiled, select)
        adapter = connect(compiled.project, target)
        try:
            report = run_tests(compiled, adapter, chosen)
        finally:
            adapter.close()
        if as_json:
            _emit_json(report.to_dict())
        else:
            _print_tests(report)
        if not report.ok:
            raise typer.Exit(1)


def _print_tests(report: Any) -> None:
    """A table of the failing tests (row counts and a sample), then a one-line summary."""
    problems = [r for r in report.results if r.status != "pass"]
    counts = report.counts()
    summary = f"data tests: {counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors"
    if not problems:
        err.print(f"{summary} in {report.seconds:.2f} s")
        return
    table = Table(title="failing data tests")
    for col in ("status", "test", "failing rows", "sample / message"):
        table.add_column(col, overflow="fold")
    order = {"error": 0, "fail": 1, "pass": 2}
    for r in sorted(problems, key=lambda r: (order.get(r.status, 3), r.test_id)):
        style = {"pass": "green", "fail": "red", "error": "yellow"}.get(r.status, "")
        detail = r.message or (json.dumps(r.sample[:2], default=str) if r.sample else "")
        table.add_row(f"[{style}]{r.status}[/{style}]", r.test_id, str(r.failing_rows), detail[:160])
    err.print(table)
    err.print(f"{summary} in {report.seconds:.2f} s")


@app.command("generate")
def generate_cmd(
    project_dir: ProjectDir = Path("."),
    target: TargetOpt = None,
    profile: Annotated[str, typer.Option("--profile", help="Profile from specs/generation.yaml.")] = "small",
    seed: Annotated[int | None, typer.Option("--seed", help="Override the spec's seed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate synthetic bronze data from specs/generation.yaml (replaces, never duplicates)."""
    from c360_compiler.execute.connect import connect
    from c360_compiler.execute.state import StateStore
    from c360_compiler.generate.run import generate, load_generation_spec
    from c360_compiler.load.project import load_project

    with _guard(as_json, project_dir):
        project = load_project(project_dir)
        load_generation_spec(project)  # validate before touching the warehouse
        adapter = connect(project, target)
        try:
            with _step_progress(quiet=as_json) as progress:
                report = generate(project, adapter, profile, seed, progress)
            store = StateStore(adapter, project.spec.meta_schema)
            for table in report.tables:
                fingerprint = f"generate:{report.profile}:{report.seed}:{table.rows}"
                store.record_source(adapter.table(table.schema, table.name), fingerprint, table.rows)
        finally:
            adapter.close()
        payload = {
            "ok": True,
            "profile": report.profile,
            "seed": report.seed,
            "seconds": round(report.seconds, 2),
            "tables": {t.name: t.rows for t in report.tables},
        }
        if as_json:
            _emit_json(payload)
        else:
            for t in report.tables:
                err.print(f"  {t.schema}.{t.name}: {t.rows:,} rows")
            err.print(f"generated profile '{report.profile}' (seed {report.seed}) in {report.seconds:.1f} s")


@contextmanager
def _step_progress(quiet: bool) -> Iterator[Callable[[str, float], None]]:
    """Progress driven by (description, fraction done) callbacks."""
    with _bar(quiet, "{task.percentage:>3.0f}%", 1.0) as shown:

        def report(step: str, fraction: float) -> None:
            if shown is not None:
                shown[0].update(shown[1], description=step, completed=max(0.0, min(1.0, fraction)))

        yield report


@app.command("info")
def info_cmd(project_dir: ProjectDir = Path("."), as_json: JsonOpt = False) -> None:
    """Project name, targets and the local warehouse path."""
    from c360_compiler.load.project import load_project
    from c360_compiler.load.specs import DuckDBTarget

    with _guard(as_json, project_dir):
        project = load_project(project_dir)
        spec = project.spec
        targets = {name: t.model_dump(mode="json") for name, t in spec.targets.items()}
        for name, t in spec.targets.items():
            if isinstance(t, DuckDBTarget):
                targets[name]["warehouse_path"] = str(project.root / t.path)
        default = spec.targets[spec.default_target]
        payload = {
            "project": spec.name,
            "database": spec.database,
            "root": str(project.root),
            "layers": spec.layers.model_dump(),
            "meta_schema": spec.meta_schema,
            "as_of_date": str(spec.as_of_date),
            "default_target": spec.default_target,
            "targets": targets,
            "warehouse_path": str(project.root / default.path) if isinstance(default, DuckDBTarget) else None,
            "models": len(project.models),
        }
        if as_json:
            _emit_json(payload)
        else:
            for key, value in payload.items():
                out.print(f"[bold]{key}[/bold]: {value}")


@app.command("schema")
def schema_cmd(project_dir: ProjectDir = Path(".")) -> None:
    """Write JSON Schemas for the spec files to generated/schema/ (editor autocompletion)."""
    from c360_compiler.emit import write_schemas

    with _guard(root=project_dir):
        for path in write_schemas(project_dir.resolve()):
            err.print(f"wrote {path.relative_to(project_dir.resolve())}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)
