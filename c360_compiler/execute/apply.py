"""execute: apply a plan atomically.

Engines with transactional DDL (DuckDB) run every statement inside one
transaction, so a failure at any model rolls the whole apply back. Engines without
it (Snowflake) build every changed model aside under a staging name, then swap
the staged relations in; a failure while building drops the staged objects and
leaves the live ones untouched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlglot import exp

from c360_compiler.analyze import AUTHORING, Analysis, AnalyzedModel
from c360_compiler.errors import C360RuntimeError
from c360_compiler.execute.base import EngineAdapter
from c360_compiler.execute.state import ModelState, RunLogEntry, StateStore, utc_now
from c360_compiler.plan import Change, Plan

STAGED_SUFFIX = "__C360_NEXT"

Progress = Callable[[str, str, float | None], None]
"""progress(model, event, seconds): event is 'start' or 'done'."""


@dataclass
class ModelResult:
    model: str
    action: str
    rows: int | None
    seconds: float


@dataclass
class ApplyReport:
    run_id: str
    results: list[ModelResult] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "seconds": round(self.seconds, 3),
            "dropped": self.dropped,
            "models": [
                {"model": r.model, "action": r.action, "rows": r.rows, "seconds": round(r.seconds, 3)}
                for r in self.results
            ],
        }


def apply_plan(
    plan: Plan, analysis: Analysis, adapter: EngineAdapter, state: StateStore, progress: Progress | None = None
) -> ApplyReport:
    """Run `plan` on `adapter`; all or nothing."""
    report = ApplyReport(run_id=uuid.uuid4().hex[:12])
    if plan.is_empty:
        return report
    started = time.perf_counter()
    state.ensure()
    for schema in sorted({analysis.models[c.model].relation.schema for c in plan.changes}):
        adapter.ensure_schema(schema)
    try:
        if adapter.SUPPORTS_TRANSACTIONAL_DDL:
            _apply_in_transaction(plan, analysis, adapter, state, report, progress)
        else:
            _apply_build_aside(plan, analysis, adapter, state, report, progress)
    except C360RuntimeError as failure:
        state.log(
            RunLogEntry(
                report.run_id,
                failure.model or "-",
                "apply",
                "failed",
                None,
                0.0,
                str(failure.cause or failure)[:2000],
                utc_now(),
            )
        )
        raise
    report.seconds = time.perf_counter() - started
    return report


def _apply_in_transaction(
    plan: Plan,
    analysis: Analysis,
    adapter: EngineAdapter,
    state: StateStore,
    report: ApplyReport,
    progress: Progress | None,
) -> None:
    with adapter.transaction():
        _drop_removed(plan, adapter, state, report)
        for change in plan.changes:
            model = analysis.models[change.model]
            if progress:
                progress(model.name, "start", None)
            began = time.perf_counter()
            for statement in _native(model, adapter, change):
                _run(adapter, model, statement, native=True)
            rows = _count(adapter, model)
            seconds = time.perf_counter() - began
            _record(state, model, change, plan, rows, seconds, report)
            if progress:
                progress(model.name, "done", seconds)


def _apply_build_aside(
    plan: Plan,
    analysis: Analysis,
    adapter: EngineAdapter,
    state: StateStore,
    report: ApplyReport,
    progress: Progress | None,
) -> None:
    changes = {c.model: c for c in plan.changes}
    staged = {name: analysis.models[name].relation for name in changes}
    rename = {rel.fqn.upper(): f"{rel.fqn}{STAGED_SUFFIX}" for rel in staged.values()}
    levels = [[n for n in level if n in changes] for level in analysis.graph.generations()]
    timings: dict[str, tuple[int | None, float]] = {}

    def build(name: str) -> None:
        model, change = analysis.models[name], changes[name]
        session = adapter.session()
        if progress:
            progress(name, "start", None)
        began = time.perf_counter()
        rel = model.relation
        if change.mode == "incremental" or (model.kind.keeps_history and change.action != "create"):
            _run(session, model, session.clone_statement(rel.schema, rel.name, rel.name + STAGED_SUFFIX), native=False)
        for statement in model.statements[change.mode]:
            _run(session, model, _retarget(statement, rename), native=False)
        rows = _count(session, model, suffix=STAGED_SUFFIX)
        timings[name] = (rows, time.perf_counter() - began)
        if progress:
            progress(name, "done", timings[name][1])

    try:
        for level in levels:
            if adapter.SUPPORTS_PARALLEL_NODES and len(level) > 1:
                with ThreadPoolExecutor(max_workers=getattr(adapter, "threads", 4)) as pool:
                    for future in [pool.submit(build, n) for n in level]:
                        future.result()
            else:
                for name in level:
                    build(name)
        # Publish: tables swap in; views are recreated against the live names.
        for name in (n for level in levels for n in level):
            model, change = analysis.models[name], changes[name]
            rel = model.relation
            if model.kind.materialization == "view":
                adapter.execute(f"DROP VIEW IF EXISTS {rel.fqn}{STAGED_SUFFIX}")
                for statement in model.statements[change.mode]:
                    _run(adapter, model, statement, native=False)
            else:
                for statement in adapter.swap_in(rel.schema, rel.name, rel.name + STAGED_SUFFIX, "table"):
                    _run(adapter, model, statement, native=True)
            rows, seconds = timings[name]
            _record(state, model, change, plan, rows, seconds, report)
    except BaseException:
        for rel in staged.values():
            for noun in ("TABLE", "VIEW"):
                try:
                    adapter.execute(f"DROP {noun} IF EXISTS {rel.fqn}{STAGED_SUFFIX}")
                except Exception:  # noqa: BLE001 - best-effort cleanup; the original error matters
                    continue
        raise
    _drop_removed(plan, adapter, state, report)


def _drop_removed(plan: Plan, adapter: EngineAdapter, state: StateStore, report: ApplyReport) -> None:
    """Drop the relations of models removed from the specs and forget their state."""
    for removal in plan.removed:
        noun = "VIEW" if removal.materialization == "view" else "TABLE"
        adapter.execute(f"DROP {noun} IF EXISTS {adapter.table(removal.schema, removal.model)}")
        state.forget_model(removal.model)
        report.dropped.append(removal.model)


def _retarget(statement: exp.Expression, rename: dict[str, str]) -> exp.Expression:
    """Point every table reference of a rebuilt model at its staged copy (AST rewrite, not text)."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name:
            fqn = ".".join(p for p in (node.catalog, node.db, node.name) if p).upper()
            if fqn in rename:
                replacement = exp.to_table(rename[fqn], dialect=AUTHORING)
                if node.alias:
                    replacement.set("alias", node.args.get("alias"))
                return replacement
        return node

    return statement.copy().transform(swap)


def _native(model: AnalyzedModel, adapter: EngineAdapter, change: Change) -> tuple[str, ...]:
    return model.sql[adapter.dialect][change.mode]


def _run(adapter: EngineAdapter, model: AnalyzedModel, statement: str | exp.Expression, *, native: bool) -> None:
    try:
        adapter.execute(statement, native=native)
    except C360RuntimeError:
        raise
    except Exception as exc:  # noqa: BLE001 - any engine error becomes a located runtime error
        text = statement if isinstance(statement, str) else statement.sql(AUTHORING)
        raise C360RuntimeError(
            "statement failed",
            model=model.name,
            statement=text,
            cause=str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
        ) from exc


def _count(adapter: EngineAdapter, model: AnalyzedModel, suffix: str = "") -> int | None:
    if model.kind.materialization == "view":
        return None
    rel = model.relation
    return adapter.row_count(rel.schema, rel.name + suffix)


def _record(
    state: StateStore,
    model: AnalyzedModel,
    change: Change,
    plan: Plan,
    rows: int | None,
    seconds: float,
    report: ApplyReport,
) -> None:
    rel = model.relation
    state.record_model(
        ModelState(
            model=model.name,
            kind=model.kind.name,
            materialization=model.kind.materialization,
            schema_name=rel.schema,
            spec_hash=model.spec_hash,
            sql_hash=model.sql_hash,
            query_sql=model.query_sql,
            columns=[c.name for c in model.columns],
            input_fingerprint=plan.fingerprints.get(model.name, ""),
            applied_at=utc_now(),
            row_count=rows,
            run_id=report.run_id,
        )
    )
    state.log(RunLogEntry(report.run_id, model.name, change.action, "success", rows, round(seconds, 3), "", utc_now()))
    report.results.append(ModelResult(model.name, change.action, rows, seconds))
