"""`c360 generate`: validate the generation spec, build the data, and replace the bronze tables.

Everything is validated and rendered before the warehouse is touched; the new tables are built aside
under scratch names and swapped in together at the end, so a failure leaves the old bronze tables as
they were and a re-run replaces them (never appends).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c360_compiler.errors import ErrorCollector
from c360_compiler.execute.base import EngineAdapter
from c360_compiler.generate.activity import build_activity
from c360_compiler.generate.categories import build_picks
from c360_compiler.generate.changes import build_changes
from c360_compiler.generate.checks import check_profile, check_spec
from c360_compiler.generate.contract import BronzeTable, bronze_contract
from c360_compiler.generate.customers import build_customers
from c360_compiler.generate.spec import GenerationSpec
from c360_compiler.generate.sql import render
from c360_compiler.generate.timeline import build_timeline
from c360_compiler.generate.transactions import transaction_statements
from c360_compiler.load.project import Project, load_spec_file
from c360_compiler.load.yaml_source import YamlDocument

SPEC_FILE = "generation.yaml"
SCRATCH_PREFIX = "C360_GEN_"

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class GeneratedTable:
    schema: str
    name: str
    rows: int


@dataclass(frozen=True)
class GenerationReport:
    profile: str
    seed: int
    tables: tuple[GeneratedTable, ...]
    seconds: float


@dataclass(frozen=True)
class LoadedGeneration:
    """The validated spec with its document (for locating errors) and the bronze contract."""

    spec: GenerationSpec
    doc: YamlDocument
    contract: dict[str, BronzeTable]


def load_generation_spec(project: Project) -> GenerationSpec:
    """specs/generation.yaml, validated; raises SpecErrors with every located problem."""
    return _load(project).spec


def _load(project: Project, profile: str | None = None) -> LoadedGeneration:
    errors = ErrorCollector()
    spec, doc = load_spec_file(project.root, SPEC_FILE, GenerationSpec, errors)
    contract, problems = bronze_contract(project)
    errors.extend(problems)
    if spec is not None and doc is not None:
        errors.extend(check_spec(spec, doc))
        if profile is not None:
            errors.extend(check_profile(spec, doc, profile))
    errors.raise_if_any()
    assert spec is not None and doc is not None
    return LoadedGeneration(spec, doc, contract)


@dataclass(frozen=True)
class Batch:
    """Everything one run writes, built and rendered before the warehouse is touched."""

    schema: str
    loads: tuple[tuple[str, Any], ...]
    """(scratch table, pyarrow Table) pairs loaded first."""
    statements: tuple[tuple[str, float, str], ...]
    """(step description, share of the work, statement in the engine's dialect)."""
    swaps: dict[str, str]
    """Final table name -> staged table that replaces it."""
    scratch: tuple[str, ...]


def generate(
    project: Project, adapter: EngineAdapter, profile: str, seed: int | None = None, progress: Progress | None = None
) -> GenerationReport:
    """Fill the bronze tables for `profile`; deterministic for a seed (default: the spec's)."""
    started = time.perf_counter()
    report = progress or (lambda _step, _fraction: None)
    loaded = _load(project, profile)
    seed = loaded.spec.seed if seed is None else seed
    batch = build_batch(project, loaded, adapter, profile, seed, report)
    _write(project.root, adapter, batch, report)
    tables = tuple(GeneratedTable(batch.schema, name, adapter.row_count(batch.schema, name)) for name in batch.swaps)
    report("done", 1.0)
    return GenerationReport(profile, seed, tables, time.perf_counter() - started)


def build_batch(
    project: Project, loaded: LoadedGeneration, adapter: EngineAdapter, profile: str, seed: int, report: Progress
) -> Batch:
    """Generate customers, change feed and activity plan; render and transpile every statement."""
    spec, contract, root = loaded.spec, loaded.contract, project.root
    size = spec.profiles[profile]
    report("generating customers", 0.0)
    timeline = build_timeline(spec)
    customers = build_customers(spec, timeline, size.customers, seed)
    picks = build_picks(spec)
    plan = build_activity(spec, customers, timeline, picks.expected_amount, size.transactions, seed)
    report("generating change feed", 0.04)
    changes = build_changes(spec, customers, timeline, seed)

    schema = project.schema_of_layer("bronze")

    def fq(name: str) -> str:
        return adapter.table(schema, name)

    raw_customers, raw_updates = f"{SCRATCH_PREFIX}CUSTOMERS_RAW", f"{SCRATCH_PREFIX}UPDATES_RAW"
    activity, pick_table = f"{SCRATCH_PREFIX}ACTIVITY", f"{SCRATCH_PREFIX}PICKS"
    staged = {key: f"{SCRATCH_PREFIX}{table.name}" for key, table in contract.items()}
    statements = [
        (
            "typing customers",
            0.01,
            render(
                root,
                "typed_copy",
                target=fq(staged["BRONZE_CUSTOMERS"]),
                source=fq(raw_customers),
                contract=contract["BRONZE_CUSTOMERS"],
            ),
        ),
        (
            "typing change feed",
            0.01,
            render(
                root,
                "typed_copy",
                target=fq(staged["BRONZE_CUSTOMER_UPDATES"]),
                source=fq(raw_updates),
                contract=contract["BRONZE_CUSTOMER_UPDATES"],
            ),
        ),
        (
            "merchant categories",
            0.01,
            render(
                root,
                "categories",
                target=fq(staged["BRONZE_MERCHANT_CATEGORIES"]),
                categories=spec.categories,
                contract=contract["BRONZE_MERCHANT_CATEGORIES"],
            ),
        ),
        (
            "category picks",
            0.01,
            render(
                root,
                "picks",
                target=fq(pick_table),
                buckets=picks.buckets,
                ranges=picks.ranges,
                categories=spec.categories,
            ),
        ),
    ]
    txns = transaction_statements(
        root,
        spec,
        plan,
        seed=seed,
        start=timeline.start,
        buckets=picks.buckets,
        target=fq(staged["BRONZE_TRANSACTIONS"]),
        activity=fq(activity),
        picks=fq(pick_table),
        contract=contract["BRONZE_TRANSACTIONS"],
    )
    statements += [
        (f"transactions {i + 1}/{len(txns)}", 0.84 * t.rows / max(plan.total, 1), t.sql) for i, t in enumerate(txns)
    ]
    return Batch(
        schema=schema,
        loads=(
            (raw_customers, customers.to_arrow(spec, timeline)),
            (raw_updates, changes),
            (activity, plan.to_arrow()),
        ),
        statements=tuple((what, share, adapter.transpile(sql)) for what, share, sql in statements),
        swaps={table.name: staged[key] for key, table in contract.items()},
        scratch=(raw_customers, raw_updates, activity, pick_table, *staged.values()),
    )


def _write(root: Path, adapter: EngineAdapter, batch: Batch, report: Progress) -> None:
    """Load, build aside, swap in together; scratch tables are dropped whatever happens."""
    done = 0.08
    report("loading customers, change feed and plan", done)
    adapter.ensure_schema(batch.schema)
    drops = [render(root, "drop", target=adapter.table(batch.schema, name)) for name in batch.scratch]
    try:
        for name, data in batch.loads:
            adapter.load_arrow(batch.schema, name, data)
        done += 0.04
        for what, share, sql in batch.statements:
            report(what, done)
            adapter.execute(sql, native=True)
            done += share
        report("swapping in bronze tables", done)
        with adapter.transaction():
            for name, staged in batch.swaps.items():
                for sql in adapter.swap_in(batch.schema, name, staged, "table"):
                    adapter.execute(sql, native=True)
    except BaseException:
        with contextlib.suppress(Exception):
            for sql in drops:
                adapter.execute(sql)
        raise
    for sql in drops:
        adapter.execute(sql)
