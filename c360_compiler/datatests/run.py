"""Run compiled data tests against a warehouse and record the results in the meta schema.

Each test's query returns its failing rows: the runner counts them, keeps a small sample, and
writes one row per test to `<meta_schema>.TEST_RESULTS` (created here if missing).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from c360_compiler.datatests.build import DataTest, compile_tests
from c360_compiler.execute.base import EngineAdapter
from c360_compiler.execute.state import utc_now
from c360_compiler.pipeline import Compiled
from c360_compiler.sql_values import insert_rows

RESULTS_TABLE = "TEST_RESULTS"
RESULT_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "test_id": "VARCHAR",
    "model": "VARCHAR",
    "column_name": "VARCHAR",
    "kind": "VARCHAR",
    "status": "VARCHAR",
    "failing_rows": "BIGINT",
    "sample": "VARCHAR",
    "message": "VARCHAR",
    "seconds": "DOUBLE",
    "run_at": "TIMESTAMP",
}
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test: pass, fail (with failing rows and a sample) or error."""

    test_id: str
    model: str
    column: str
    kind: str
    status: str
    failing_rows: int
    sample: list[dict[str, Any]]
    seconds: float
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "test_id": self.test_id,
            "model": self.model,
            "column": self.column,
            "kind": self.kind,
            "status": self.status,
            "failing_rows": self.failing_rows,
            "sample": self.sample,
            "seconds": round(self.seconds, 4),
            "message": self.message,
        }


@dataclass
class TestReport:
    """Results of one `c360 test` run."""

    run_id: str
    results: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.status == "pass" for r in self.results)

    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "error": 0}
        for r in self.results:
            out[r.status] += 1
        return out

    def by_id(self) -> dict[str, TestResult]:
        return {r.test_id: r for r in self.results}

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "results": [r.to_dict() for r in self.results],
        }


def run_tests(compiled: Compiled, adapter: EngineAdapter, selected: set[str] | None = None) -> TestReport:
    """Run the tests of the `selected` models (None = all) and store the results in the meta schema."""
    report = TestReport(run_id=uuid.uuid4().hex[:12])
    started = time.perf_counter()
    existing: dict[str, bool] = {}
    for test in compile_tests(compiled, selected):
        rel = compiled.analysis.models[test.model].relation
        if test.model not in existing:
            existing[test.model] = adapter.table_exists(rel.schema, rel.name)
        report.results.append(_run_one(adapter, test, existing[test.model]))
    report.seconds = time.perf_counter() - started
    if not adapter.read_only:
        store_results(adapter, compiled.project.spec.meta_schema, report)
    return report


def _run_one(adapter: EngineAdapter, test: DataTest, table_exists: bool) -> TestResult:
    began = time.perf_counter()

    def result(
        status: str, failing: int = 0, sample: list[dict[str, Any]] | None = None, message: str = ""
    ) -> TestResult:
        return TestResult(
            test.test_id,
            test.model,
            test.column,
            test.kind,
            status,
            failing,
            sample or [],
            time.perf_counter() - began,
            message,
        )

    if test.failing is None:
        return result("error", message=test.error)
    if not table_exists:
        return result("error", message=f"{test.model} does not exist in the warehouse; run `c360 apply`")
    failing = exp.alias_(exp.paren(test.failing.copy()), "failing", table=True)
    try:
        count = int(adapter.query(exp.select(exp.Count(this=exp.Star())).from_(failing)).scalar() or 0)
        sample: list[dict[str, Any]] = []
        if count:
            rows = adapter.query(exp.select("*").from_(failing.copy()).limit(SAMPLE_ROWS)).records()
            sample = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    except Exception as exc:  # noqa: BLE001 - an engine error is the test's result, not a crash
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return result("error", message=text)
    return result("fail" if count else "pass", count, sample)


def store_results(adapter: EngineAdapter, meta_schema: str, report: TestReport) -> None:
    """Append the report's rows to `<meta_schema>.TEST_RESULTS` (created if missing)."""
    adapter.ensure_schema(meta_schema)
    table = adapter.table(meta_schema, RESULTS_TABLE)
    columns = ", ".join(f"{c} {t}" for c, t in RESULT_COLUMNS.items())
    adapter.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    if not report.results:
        return
    now = utc_now()
    rows = [
        {
            "run_id": report.run_id,
            "test_id": r.test_id,
            "model": r.model,
            "column_name": r.column,
            "kind": r.kind,
            "status": r.status,
            "failing_rows": r.failing_rows,
            "sample": json.dumps(r.sample, sort_keys=True),
            "message": r.message[:2000],
            "seconds": round(r.seconds, 4),
            "run_at": now,
        }
        for r in report.results
    ]
    adapter.execute(insert_rows(table, list(RESULT_COLUMNS), rows))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)
