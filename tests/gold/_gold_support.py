"""Helpers for the gold tests: a minimal scd2 project over one feed table, and an independent
Python model of SCD2 versioning to check the SQL against."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c360_testkit import REPO, bronze_rows, copy_project, load_bronze  # noqa: F401 - re-exported to the tests

from c360_compiler.execute.duckdb_adapter import DuckDBAdapter
from c360_compiler.pipeline import Compiled, apply_changes, compile_project, plan_changes
from c360_compiler.sql_values import insert_rows

FEED_COLUMNS = {"k": "VARCHAR", "ts": "TIMESTAMP_NTZ", "tier": "VARCHAR", "amount": "INTEGER", "note": "VARCHAR"}

SOURCES = """
sources:
  - name: raw
    layer: bronze
    tables:
      - name: FEED
        columns:
""" + "".join(f"          - {{name: {c}, type: {t}}}\n" for c, t in FEED_COLUMNS.items())

MODEL = """
models:
  - name: hist
    layer: gold
    kind:
      name: scd2
      unique_key: k
      updated_at: ts
      strategy: {strategy}
      check_cols: [tier, amount]
      type1_cols: [note]
      surrogate_key: hist_key
      hard_deletes: {hard_deletes}
    sql: |
      SELECT k, tier, amount, note, ts FROM {{{{ source('raw', 'FEED') }}}}
"""


def scd2_project(dest: Path, strategy: str = "check", hard_deletes: str = "ignore") -> Path:
    """A project with the repo's project.yaml and templates, one FEED source and one scd2 model."""
    (dest / "specs" / "models").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "project.yaml", dest / "specs" / "project.yaml")
    shutil.copytree(REPO / "templates", dest / "templates")
    (dest / "specs" / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (dest / "specs" / "models" / "hist.yaml").write_text(
        MODEL.format(strategy=strategy, hard_deletes=hard_deletes), encoding="utf-8"
    )
    return dest


@dataclass
class Scd2Env:
    root: Path
    compiled: Compiled
    adapter: DuckDBAdapter

    def feed(self, rows: list[dict[str, Any]]) -> None:
        """Replace the FEED table's rows."""
        table = self.adapter.table("BRONZE", "FEED")
        self.adapter.ensure_schema("BRONZE")
        cols = ", ".join(f"{c} {t.replace('_NTZ', '')}" for c, t in FEED_COLUMNS.items())
        self.adapter.execute(f"CREATE OR REPLACE TABLE {table} ({cols})", native=True)
        if rows:
            self.adapter.execute(insert_rows(table, list(FEED_COLUMNS), rows))

    def apply(self, full_refresh: bool = False) -> list[tuple[str, str]]:
        plan = plan_changes(self.compiled, self.adapter, None, full_refresh)
        apply_changes(self.compiled, self.adapter, plan)
        return [(c.model, c.action) for c in plan.changes]

    def rows(self) -> list[dict[str, Any]]:
        return self.adapter.query(
            "SELECT hist_key, k, tier, amount, note, valid_from, valid_to, is_current "
            "FROM CUSTOMER_ANALYTICS.GOLD.HIST ORDER BY k, valid_from"
        ).records()


def open_env(root: Path) -> Scd2Env:
    compiled = compile_project(root)
    adapter = DuckDBAdapter(root / "warehouse" / "w.duckdb", compiled.project.spec.database)
    return Scd2Env(root, compiled, adapter)


def expected_versions(
    observations: list[dict[str, Any]], strategy: str = "check", check: tuple[str, ...] = ("tier", "amount")
) -> list[dict[str, Any]]:
    """SCD2 versions of a feed computed in plain Python (the reference the SQL is checked against).

    Per key, observations are ordered by time (one per time: the smallest by (tier, amount, note));
    check: a version starts where a check column differs from the previous observation;
    timestamp: every observation starts a version. Type 1 `note` is the latest observation's.
    """
    by_key: dict[str, dict[dt.datetime, dict[str, Any]]] = {}
    for row in observations:
        if row["ts"] is None:
            continue
        slot = by_key.setdefault(row["k"], {})
        current = slot.get(row["ts"])
        if current is None or _sort_key(row) < _sort_key(current):
            slot[row["ts"]] = row
    out: list[dict[str, Any]] = []
    for key in sorted(by_key):
        ordered = [by_key[key][t] for t in sorted(by_key[key])]
        latest_note = ordered[-1]["note"]
        starts = []
        for i, row in enumerate(ordered):
            if strategy == "timestamp" or i == 0 or any(row[c] != ordered[i - 1][c] for c in check):
                starts.append(row)
        for i, row in enumerate(starts):
            valid_to = starts[i + 1]["ts"] if i + 1 < len(starts) else None
            out.append(
                {
                    "k": key,
                    "tier": row["tier"],
                    "amount": row["amount"],
                    "note": latest_note,
                    "valid_from": row["ts"],
                    "valid_to": valid_to,
                    "is_current": valid_to is None,
                }
            )
    return out


def _sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((row[c] is None, row[c]) for c in ("tier", "amount", "note"))


def without_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "hist_key"} for r in rows]


def assert_invariants(rows: list[dict[str, Any]], deleted: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """No overlaps, no gaps, exactly one current version per key (none for deleted keys)."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_key.setdefault(r["k"], []).append(r)
    keys = [r["hist_key"] for r in rows]
    assert len(keys) == len(set(keys)), "surrogate keys are unique"
    for key, versions in by_key.items():
        versions.sort(key=lambda r: r["valid_from"])
        for a, b in zip(versions, versions[1:], strict=False):
            assert a["valid_to"] == b["valid_from"], f"{key}: gap or overlap between {a} and {b}"
        currents = [v for v in versions if v["is_current"]]
        assert len(currents) == (0 if key in deleted else 1), f"{key}: current versions {currents}"
        for v in versions:
            assert v["is_current"] == (v["valid_to"] is None)
            assert v["valid_to"] is None or v["valid_to"] > v["valid_from"]
