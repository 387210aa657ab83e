"""Benchmark: generate a profile into a temp project, apply the whole project, time the gold layer.

Prints per-model wall time, peak RSS, the p95 latency of "a customer's 1,000 latest
transactions" over ~200 random customers, and the ratio of the generated fact build against a
hand-written baseline CTAS of the same fact. Usage:

    .venv/bin/python bench/apply_full.py [--profile full|small|tiny] [--dir DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from c360_compiler.execute.duckdb_adapter import DuckDBAdapter  # noqa: E402
from c360_compiler.generate.run import generate  # noqa: E402
from c360_compiler.load.project import load_project  # noqa: E402
from c360_compiler.pipeline import apply_changes, compile_project, plan_changes  # noqa: E402

BASELINE = """
CREATE OR REPLACE TABLE CUSTOMER_ANALYTICS.GOLD.BENCH_FCT_BASELINE AS
SELECT t.transaction_id AS transaction_key, t.transaction_id, d.customer_key, t.customer_id,
       t.merchant_category_id AS merchant_category_key,
       (year(t.transaction_date) * 10000 + month(t.transaction_date) * 100 + day(t.transaction_date)) AS date_key,
       t.transaction_date, t.transaction_amount, t.merchant_name, t.channel, lower(t.status) AS status
FROM CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS t
LEFT JOIN CUSTOMER_ANALYTICS.GOLD.DIM_CUSTOMER d
  ON d.customer_id = t.customer_id AND d.is_current
ORDER BY t.customer_id, t.transaction_date
"""


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="full")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "c360_bench"))
    parser.add_argument("--reuse", action="store_true", help="keep generated bronze data if present")
    args = parser.parse_args()
    root = Path(args.dir)
    warehouse = root / "warehouse" / "bench.duckdb"
    if not args.reuse and root.exists():
        shutil.rmtree(root)
    for folder in ("specs", "templates"):
        if (root / folder).exists():
            shutil.rmtree(root / folder)
        shutil.copytree(REPO / folder, root / folder)
    project = load_project(root)
    adapter = DuckDBAdapter(warehouse, project.spec.database, threads=2, memory_limit="4GB")
    if not (args.reuse and adapter.table_exists("BRONZE", "BRONZE_TRANSACTIONS")):
        began = time.perf_counter()
        generate(project, adapter, args.profile)
        print(f"generate {args.profile}: {time.perf_counter() - began:.1f} s, peak RSS {peak_rss_gib():.2f} GiB")
    compiled = compile_project(root)
    plan = plan_changes(compiled, adapter, None, full_refresh=True)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    apply_changes(compiled, adapter, plan, lambda m, e, s: timings.__setitem__(m, s) if e == "done" else None)
    total = time.perf_counter() - began
    print(f"\napply (all {len(timings)} models): {total:.1f} s, peak RSS {peak_rss_gib():.2f} GiB")
    gold = 0.0
    for name, seconds in timings.items():
        layer = compiled.analysis.models[name].rendered.loaded.spec.layer
        gold += seconds if layer == "gold" or name.startswith("int_") else 0.0
        print(f"  {name:36s} {layer:7s} {seconds:7.2f} s")
    print(f"gold layer (incl. int_ summary): {gold:.1f} s")
    rows = adapter.row_count("GOLD", "FCT_TRANSACTIONS")

    began = time.perf_counter()
    adapter.execute(BASELINE, native=True)
    baseline = time.perf_counter() - began
    adapter.execute("DROP TABLE CUSTOMER_ANALYTICS.GOLD.BENCH_FCT_BASELINE", native=True)
    fact = timings.get("fct_transactions", float("nan"))
    print(
        f"\nfct_transactions {rows:,} rows: generated {fact:.1f} s vs hand-written ordered CTAS {baseline:.1f} s "
        f"(ratio {fact / baseline:.2f})"
    )

    customers = [
        r[0]
        for r in adapter.query(
            "SELECT customer_id FROM CUSTOMER_ANALYTICS.GOLD.DIM_CUSTOMER WHERE is_current", native=True
        ).rows
    ]
    rng = random.Random(7)
    latencies = []
    for cid in rng.sample(customers, min(200, len(customers))):
        t0 = time.perf_counter()
        adapter.conn.execute(
            "SELECT * FROM CUSTOMER_ANALYTICS.GOLD.FCT_TRANSACTIONS WHERE customer_id = ? "
            "ORDER BY transaction_date DESC LIMIT 1000",
            [cid],
        ).fetchall()
        latencies.append((time.perf_counter() - t0) * 1000)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"customer's 1,000 latest transactions: p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms "
        f"over {len(latencies)} customers"
    )
    print(f"peak RSS {peak_rss_gib():.2f} GiB")
    adapter.close()


if __name__ == "__main__":
    main()
