"""Benchmark `c360 generate` against a bare DuckDB CTAS of the same row count.

Usage: .venv/bin/python bench/generate.py --profile full|small|tiny [--seed N] [--keep]

Runs in a temporary project (a copy of this repo's specs and templates) outside the repo, so no data
or machine path ends up in git. Prints wall time, peak RSS, DuckDB file size, rows/s, and the ratio of
the transaction step to a hand-written baseline CTAS of the same row count and columns (ids from
`range(n)` materialised first so the scan runs in parallel, as PERFORMANCE_NOTES.md advises).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from c360_compiler.execute.connect import connect  # noqa: E402
from c360_compiler.generate.run import generate  # noqa: E402
from c360_compiler.load.project import load_project  # noqa: E402

BASELINE = (
    "CREATE OR REPLACE TABLE BRONZE.BENCH_IDS AS SELECT range AS id FROM range({rows})",
    "CREATE OR REPLACE TABLE BRONZE.BENCH_CUSTOMERS AS "
    "SELECT ROW_NUMBER() OVER (ORDER BY customer_id) - 1 AS k, customer_id FROM BRONZE.BRONZE_CUSTOMERS",
    """
CREATE OR REPLACE TABLE BRONZE.BENCH_BASELINE AS
SELECT
  i.id + 1 AS transaction_id,
  c.customer_id,
  TIMESTAMP '2024-01-01' + TO_SECONDS(CAST(HASH(i.id, 2) % 47000000 AS BIGINT)) AS transaction_date,
  CAST(ROUND((HASH(i.id, 1) % 50000) / 100.0, 2) AS DECIMAL(10, 2)) AS transaction_amount,
  'Merchant' AS merchant_name,
  CAST(HASH(i.id, 4) % 22 + 1 AS INTEGER) AS merchant_category_id,
  CASE WHEN HASH(i.id, 5) % 10 < 4 THEN 'Online' WHEN HASH(i.id, 5) % 10 < 8 THEN 'In-Store' ELSE 'Mobile' END
    AS channel,
  CASE WHEN HASH(i.id, 6) % 100 < 98 THEN 'approved' ELSE 'declined' END AS status
FROM BRONZE.BENCH_IDS AS i
JOIN BRONZE.BENCH_CUSTOMERS AS c ON c.k = i.id % {customers}
""",
)
"""A hand-written floor: ids materialised first (parallel scan), hash-derived columns, the customers join."""


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="small")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary project (prints its path).")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="c360-bench-generate-"))
    shutil.copytree(REPO / "specs", root / "specs")
    shutil.copytree(REPO / "templates", root / "templates")
    try:
        project = load_project(root)
        adapter = connect(project)
        steps: dict[str, float] = {}
        last = [time.perf_counter(), ""]

        def progress(step: str, _fraction: float) -> None:
            now = time.perf_counter()
            if last[1]:
                steps[str(last[1])] = steps.get(str(last[1]), 0.0) + now - float(last[0])
            last[:] = [now, "transactions" if step.startswith("transactions") else step]

        began = time.perf_counter()
        report = generate(project, adapter, args.profile, args.seed, progress)
        wall = time.perf_counter() - began
        rss = peak_rss_gib()
        txns = next(t.rows for t in report.tables if t.name == "BRONZE_TRANSACTIONS")
        customers = next(t.rows for t in report.tables if t.name == "BRONZE_CUSTOMERS")
        adapter.execute("CHECKPOINT", native=True)
        size = sum(p.stat().st_size for p in (root / "warehouse").glob("*"))

        began = time.perf_counter()
        for sql in BASELINE:
            adapter.execute(sql.format(customers=customers, rows=txns), native=True)
        baseline = time.perf_counter() - began
        for table in ("BENCH_IDS", "BENCH_CUSTOMERS", "BENCH_BASELINE"):
            adapter.execute(f"DROP TABLE BRONZE.{table}", native=True)
        adapter.close()

        txn_seconds = steps.get("transactions", wall)
        print(f"profile            {args.profile} (seed {report.seed})")
        for t in report.tables:
            print(f"  {t.schema}.{t.name:<28} {t.rows:>12,} rows")
        print(f"wall time          {wall:8.2f} s   ({txns / wall:,.0f} transactions/s end to end)")
        for step, seconds in steps.items():
            print(f"  {step:<44}{seconds:8.2f} s")
        print(f"peak RSS           {rss:8.2f} GiB")
        print(f"DuckDB file        {size / 2**30:8.2f} GiB")
        print(f"baseline CTAS      {baseline:8.2f} s   ({txns:,} rows, same 8 columns, ids materialised first)")
        print(f"ratio              {txn_seconds / baseline:8.2f} x  (transaction step / baseline)")
        print(f"ratio end to end   {wall / baseline:8.2f} x")
        if args.keep:
            print(f"project            {root}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
