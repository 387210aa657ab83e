"""Transactions SQL: the activity plan expanded in the engine, in a few statements of ~CHUNK_ROWS rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c360_compiler.generate.activity import ActivityPlan
from c360_compiler.generate.contract import BronzeTable
from c360_compiler.generate.spec import GenerationSpec
from c360_compiler.generate.sql import render

CHUNK_ROWS = 15_000_000
"""Transactions per statement: progress granularity; each statement still scans in parallel."""


@dataclass(frozen=True)
class TransactionStatement:
    rows: int
    sql: str


def chunk_bounds(n_txn: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """[start, stop) activity-row ranges holding about `chunk_rows` transactions each."""
    if not len(n_txn):
        return []
    before = np.concatenate([[0], np.cumsum(n_txn)[:-1]])
    chunk = before // chunk_rows
    starts = np.flatnonzero(np.diff(chunk, prepend=-1))
    return list(zip(starts.tolist(), [*starts[1:].tolist(), len(n_txn)], strict=True))


def channel_bounds(spec: GenerationSpec) -> list[tuple[str, float]]:
    """(channel, cumulative share) in declaration order."""
    out, upper = [], 0.0
    for name, share in spec.transactions.channels.items():
        upper += share
        out.append((name, round(upper, 9)))
    return out


def transaction_statements(
    root: Path,
    spec: GenerationSpec,
    plan: ActivityPlan,
    *,
    seed: int,
    start: dt.date,
    buckets: int,
    target: str,
    activity: str,
    picks: str,
    contract: BronzeTable,
    chunk_rows: int | None = None,
) -> list[TransactionStatement]:
    """A CREATE for the first chunk, then INSERTs; ids follow the plan, so chunks never overlap."""
    hours = spec.transactions.hours
    out: list[TransactionStatement] = []
    for lo, hi in chunk_bounds(plan.n_txn, chunk_rows or CHUNK_ROWS):
        sql = render(
            root,
            "transactions",
            create=not out,
            target=target,
            activity=activity,
            picks=picks,
            seed=seed,
            slots=int(plan.n_txn[lo:hi].max()),
            buckets=buckets,
            first_id=int(plan.first_id[lo]),
            last_id=int(plan.first_id[hi - 1]),
            hour_seconds=(hours[1] - hours[0]) * 3600,
            first_second=hours[0] * 3600,
            start=dt.datetime.combine(start, dt.time()),
            channels=channel_bounds(spec),
            contract=contract,
        )
        out.append(TransactionStatement(int(plan.n_txn[lo:hi].sum()), sql))
    return out
