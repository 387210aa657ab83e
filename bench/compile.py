"""Compile-time benchmark: the repo project and a synthetic 500-model project.

Run: .venv/bin/python bench/compile.py [--models 500] [--repeat 5]

For each project it prints the compile time (load -> render -> analyze): the first run, the
best of `--repeat` full analyses (analysis cache off) and of cached runs (nothing changed),
ms per model, and a baseline: bare
`sqlglot.parse_one(body, read="snowflake").sql("duckdb")` over the same rendered model
bodies, so the framework's overhead (validation, qualification, typing, lineage,
templates, both dialects) is visible as a ratio.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import sqlglot

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from c360_compiler.load.project import load_project  # noqa: E402
from c360_compiler.pipeline import Compiled, compile_project  # noqa: E402


def synthetic_project(dest: Path, n_models: int, seed: int = 0) -> Path:
    """A project of `n_models` views/tables over the repo's bronze sources: chains and fan-outs."""
    (dest / "specs" / "models").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "project.yaml", dest / "specs" / "project.yaml")
    shutil.copy(REPO / "specs" / "sources.yaml", dest / "specs" / "sources.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(dest / "specs", Path(tmp) / "specs")
        project = load_project(Path(tmp))
    sources = [(s.spec.name, t.name, [c.name for c in t.columns]) for s in project.sources for t in s.spec.tables]
    rng = random.Random(seed)
    outputs: dict[str, list[str]] = {}
    files: dict[int, list[str]] = {}
    for i in range(n_models):
        name = f"m{i:04d}"
        if i < len(sources) * 3 or rng.random() < 0.05:
            source, table, columns = sources[i % len(sources)]
            relation = f"{{{{ source('{source}', '{table}') }}}}"
        else:
            # chains (read the previous model) and fan-outs (read a random earlier one)
            parent = f"m{i - 1:04d}" if rng.random() < 0.5 else rng.choice(sorted(outputs))
            relation, columns = f"{{{{ ref('{parent}') }}}}", outputs[parent]
        chosen = rng.sample(columns, k=min(len(columns), rng.randint(2, 6)))
        select = []
        for j, column in enumerate(chosen):
            template = rng.choice(
                ["{c}", "TRIM(CAST({c} AS VARCHAR))", "COALESCE({c}, {c})", "UPPER(CAST({c} AS VARCHAR))"]
            )
            select.append(f"{template.format(c=column)} AS {column if j % 2 == 0 else column + '_x'}")
        names = [s.rsplit(" AS ", 1)[1] for s in select]
        outputs[name] = names
        kind = "table" if rng.random() < 0.3 else "view"
        layer = "silver" if i % 2 else "gold"
        body = "\n".join(
            [
                "      SELECT",
                "        " + ",\n        ".join(select),
                f"      FROM {relation}",
                f"      WHERE {chosen[0]} IS NOT NULL",
            ]
        )
        files.setdefault(i // 50, []).append(
            f"  - name: {name}\n    layer: {layer}\n    kind: {kind}\n    sql: |\n{body}\n"
        )
    for index, entries in files.items():
        (dest / "specs" / "models" / f"synthetic_{index:02d}.yaml").write_text("models:\n" + "".join(entries))
    return dest


def time_compile(root: Path, repeat: int) -> tuple[float, float, float, Compiled]:
    """(first compile ms, best full analysis ms, best cached ms, compiled).

    Full analysis bypasses the analysis cache; cached runs reuse what the previous compile stored
    (the everyday `c360 compile` after an edit elsewhere, or with nothing changed).
    """
    began = time.perf_counter()
    compiled = compile_project(root, use_cache=False)
    first = (time.perf_counter() - began) * 1000
    full, cached = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        compiled = compile_project(root, use_cache=False)
        full.append((time.perf_counter() - began) * 1000)
    compile_project(root)  # fill the cache
    for _ in range(repeat):
        began = time.perf_counter()
        compiled = compile_project(root)
        cached.append((time.perf_counter() - began) * 1000)
    return first, min(full), min(cached), compiled


def time_baseline(compiled: Compiled, repeat: int) -> float:
    """Best ms to parse every rendered body as Snowflake and print it as DuckDB with bare sqlglot."""
    bodies = [m.rendered.body for m in compiled.analysis.models.values()]
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        for body in bodies:
            sqlglot.parse_one(body, read="snowflake").sql("duckdb")
        runs.append((time.perf_counter() - began) * 1000)
    return min(runs)


def report(label: str, root: Path, repeat: int) -> dict[str, float]:
    first, full, cached, compiled = time_compile(root, repeat)
    n = len(compiled.analysis.models)
    baseline = time_baseline(compiled, repeat)
    row = {"models": n, "first_ms": first, "full_ms": full, "cached_ms": cached, "baseline_ms": baseline}
    print(
        f"{label:<18} {n:>4} models  first {first:7.1f} ms  full {full:7.1f} ms ({full / n:5.2f} ms/model)  "
        f"cached {cached:6.1f} ms  | bare sqlglot {baseline:6.1f} ms  full/bare x{full / baseline:4.1f}  "
        f"cached/bare x{cached / baseline:4.1f}"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    began = time.perf_counter()
    import c360_compiler.analyze as analyze

    analyze.duckdb_functions()  # one-off DuckDB catalogue read, cached per process
    print(f"one-off setup (DuckDB function list): {(time.perf_counter() - began) * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        for folder in ("specs", "templates"):
            shutil.copytree(REPO / folder, copy / folder)
        repo = report("repo project", copy, args.repeat)
        root = synthetic_project(Path(tmp) / "synthetic", args.models)
        report(f"synthetic {args.models}", root, max(1, args.repeat // 2))
    target = 500.0
    for key in ("full_ms", "cached_ms"):
        verdict = "OK" if repo[key] < target else "SLOW"
        print(f"target: repo project under {target:.0f} ms -> {verdict} ({key} {repo[key]:.0f} ms)")


if __name__ == "__main__":
    main()
