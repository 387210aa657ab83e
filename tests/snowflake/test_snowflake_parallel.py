"""Parallel building: independent models of one DAG level run concurrently, one connection per worker.

fakesnow copes: each `connect()` is a cursor on one shared in-memory DuckDB, so every connection sees the same
databases, and concurrent CREATEs from several connections succeed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sf_support import (
    QUIET_FAKESNOW,
    SILVER_VIEWS,
    STAGED,
    apply_all,
    load_bronze,
    rows_of,
    snowflake_project,
    staged_leftovers,
)

from c360_compiler.execute.connect import connect
from c360_compiler.execute.snowflake_adapter import SnowflakeAdapter
from c360_compiler.pipeline import compile_project

pytestmark = [pytest.mark.usefixtures("sf_env", "fake_snowflake"), QUIET_FAKESNOW]


def _staged_silver(sql: str) -> str | None:
    """The silver model a build-aside CREATE VIEW statement is for, if any."""
    head = sql.split(" AS", 1)[0].upper()
    if "CREATE OR REPLACE VIEW" not in head or STAGED not in head:
        return None
    return next((n for n in SILVER_VIEWS if f".{n.upper()}{STAGED}" in head), None)


def _connected(root: Path) -> tuple[object, SnowflakeAdapter]:
    compiled = compile_project(root)
    adapter = connect(compiled.project, "snowflake")
    assert isinstance(adapter, SnowflakeAdapter)
    load_bronze(compiled.project, adapter)
    return compiled, adapter


def test_independent_models_build_concurrently(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The three silver views form one DAG level; with threads=4 they must all be in flight at once."""
    compiled, adapter = _connected(snowflake_project(tmp_path / "proj", threads=4))
    barrier = threading.Barrier(len(SILVER_VIEWS), timeout=10)  # breaks (and fails the apply) if run serially
    seen: dict[str, tuple[int, int]] = {}
    original = SnowflakeAdapter._execute

    def spy(self: SnowflakeAdapter, sql: str) -> None:
        model = _staged_silver(sql)
        if model:
            seen[model] = (threading.get_ident(), id(self.conn))
            barrier.wait()
        original(self, sql)

    monkeypatch.setattr(SnowflakeAdapter, "_execute", spy)
    try:
        applied = dict(apply_all(compiled, adapter))
        assert set(applied) == set(compiled.analysis.models)
        assert set(seen) == set(SILVER_VIEWS)
        assert len({thread for thread, _ in seen.values()}) == len(SILVER_VIEWS)
        connections = {conn for _, conn in seen.values()}
        assert len(connections) == len(SILVER_VIEWS) and id(adapter.conn) not in connections
        assert rows_of(adapter, "GOLD", "customer_spend") == [("CUST00000001", 600.5, 2), ("CUST00000002", 35.0, 1)]
        assert staged_leftovers(adapter) == []
    finally:
        sessions = list(adapter._sessions.values())
        adapter.close()
    assert sessions and all(s.conn is None for s in sessions), "closing the adapter closes its worker sessions"


def test_threads_1_builds_one_model_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled, adapter = _connected(snowflake_project(tmp_path / "proj", threads=1))
    in_flight, peak, lock = [0], [0], threading.Lock()
    original = SnowflakeAdapter._execute

    def spy(self: SnowflakeAdapter, sql: str) -> None:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            original(self, sql)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(SnowflakeAdapter, "_execute", spy)
    try:
        assert set(dict(apply_all(compiled, adapter))) == set(compiled.analysis.models)
        assert peak[0] == 1
        assert len(adapter._sessions) <= 1
    finally:
        adapter.close()


def test_session_gives_each_live_worker_thread_its_own_connection(tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj", extra=False)
    adapter = connect(compile_project(root).project, "snowflake")
    assert isinstance(adapter, SnowflakeAdapter)
    try:
        assert adapter.session() is adapter, "the owning thread keeps using the adapter itself"
        got: dict[str, SnowflakeAdapter] = {}
        both_alive = threading.Barrier(2, timeout=10)

        def worker(key: str) -> None:
            got[key] = adapter.session()
            assert adapter.session() is got[key], "a thread reuses its session"
            got[key].query("SELECT 1")
            both_alive.wait()

        threads = [threading.Thread(target=worker, args=(k,)) for k in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got["a"] is not got["b"] and got["a"].conn is not got["b"].conn
        assert got["a"] is not adapter and got["a"].database == adapter.database

        later = threading.Thread(target=worker, args=("c",))
        both_alive = threading.Barrier(1, timeout=10)
        later.start()
        later.join()
        assert got["c"] in (got["a"], got["b"]), "a finished thread's connection is reused, not leaked"
        assert len(adapter._sessions) == 2
    finally:
        adapter.close()
    assert all(s.conn is None for s in got.values())
