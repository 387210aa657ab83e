"""Referential integrity, time bounds, customer attributes and a consistent change feed."""

from __future__ import annotations

import datetime as dt
import re

from gen_support import Generated

CHANGED_FIELD = {
    "card_upgrade": {"card_type"},
    "card_downgrade": {"card_type"},
    "credit_limit_change": {"credit_limit"},
    "move": {"state", "city"},
    "employment_change": {"employment_status"},
}
FIELDS = ("card_type", "credit_limit", "state", "city", "employment_status")


def test_bronze_tables_match_the_contract(small: Generated) -> None:
    source = next(s for s in small.project.sources if s.spec.layer == "bronze")
    for table in source.spec.tables:
        assert small.adapter.columns("BRONZE", table.name) == [c.name.lower() for c in table.columns]
    types = dict(
        small.rows(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'BRONZE_TRANSACTIONS'"
        )
    )
    assert types["transaction_id"] == "BIGINT" and types["transaction_date"] == "TIMESTAMP"


def test_transactions_reference_customers_and_categories(small: Generated) -> None:
    orphans = small.scalar("""
        SELECT COUNT(*) FROM BRONZE.BRONZE_TRANSACTIONS t
        LEFT JOIN BRONZE.BRONZE_CUSTOMERS c USING (customer_id)
        LEFT JOIN BRONZE.BRONZE_MERCHANT_CATEGORIES k ON k.category_id = t.merchant_category_id
        WHERE c.customer_id IS NULL OR k.category_id IS NULL""")
    assert orphans == 0
    ids = small.rows(
        "SELECT COUNT(DISTINCT transaction_id), MIN(transaction_id), MAX(transaction_id) "
        "FROM BRONZE.BRONZE_TRANSACTIONS"
    )[0]
    n = small.spec.profiles["small"].transactions
    assert ids == (n, 1, n)
    merchants = small.rows("SELECT DISTINCT merchant_category_id, merchant_name FROM BRONZE.BRONZE_TRANSACTIONS")
    pools = {c.id: set(c.merchants) for c in small.spec.categories}
    assert all(name in pools[cat] for cat, name in merchants)


def test_no_transaction_before_opening_or_after_the_end(small: Generated) -> None:
    end = small.spec.end_date
    early = small.scalar("""
        SELECT COUNT(*) FROM BRONZE.BRONZE_TRANSACTIONS t JOIN BRONZE.BRONZE_CUSTOMERS c USING (customer_id)
        WHERE t.transaction_date < c.account_open_date""")
    first, last = small.rows("SELECT MIN(transaction_date), MAX(transaction_date) FROM BRONZE.BRONZE_TRANSACTIONS")[0]
    assert early == 0
    assert last < dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    months = small.spec.transactions.history_months
    assert (last.year - first.year) * 12 + last.month - first.month + 1 == months


def test_customer_attributes(small: Generated) -> None:
    spec = small.spec
    rows = small.adapter.query("SELECT * FROM BRONZE.BRONZE_CUSTOMERS", native=True).records()
    assert len(rows) == spec.profiles["small"].customers
    emails = [r["email"].strip().lower() for r in rows]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z._]+\d+@[a-z.]+", e) for e in emails)
    assert {r["state"] for r in rows} <= set(spec.states) and len({r["state"] for r in rows}) >= 45
    for r in rows:
        assert re.fullmatch(r"CUST\d{8}", r["customer_id"])
        assert r["city"] in spec.states[r["state"]].cities
        assert 22 <= r["age"] <= 75
        assert r["employment_status"] in spec.customers.employment_statuses
        assert r["card_type"] in ("Standard", "Premium")
        assert 5000 <= r["credit_limit"] <= 50000 and r["credit_limit"] % 1000 == 0
        assert (r["decline_type"] is not None) == (r["customer_segment"] == "Declining")
        if r["decline_type"]:
            assert r["decline_type"] in ("job_loss", "relocation", "lifestyle")


def test_change_feed_is_consistent(small: Generated) -> None:
    customers = {
        r["customer_id"]: r for r in small.adapter.query("SELECT * FROM BRONZE.BRONZE_CUSTOMERS", native=True).records()
    }
    updates = small.adapter.query(
        "SELECT * FROM BRONZE.BRONZE_CUSTOMER_UPDATES ORDER BY update_id", native=True
    ).records()
    assert len(updates) > 500
    assert [u["update_id"] for u in updates] == list(range(1, len(updates) + 1))
    times = [u["effective_at"] for u in updates]
    assert times == sorted(times)
    end = dt.datetime.combine(small.spec.end_date + dt.timedelta(days=1), dt.time())
    state = {cid: {f: c[f] for f in FIELDS} for cid, c in customers.items()}
    kinds = set()
    for u in updates:
        c = customers[u["customer_id"]]
        assert dt.datetime.combine(c["account_open_date"], dt.time()) < u["effective_at"] < end
        before, after = state[u["customer_id"]], {f: u[f] for f in FIELDS}
        changed = {f for f in FIELDS if before[f] != after[f]}
        assert changed and changed <= CHANGED_FIELD[u["change_type"]], u
        if u["change_type"] == "card_upgrade":
            assert after["card_type"] == "Premium"
        if u["change_type"] == "card_downgrade":
            assert after["card_type"] == "Standard"
        assert 5000 <= after["credit_limit"] <= 50000 and after["credit_limit"] % 1000 == 0
        assert after["city"] in small.spec.states[after["state"]].cities
        state[u["customer_id"]] = after
        kinds.add(u["change_type"])
    assert kinds == set(CHANGED_FIELD)


def test_decline_types_show_in_the_change_feed(small: Generated) -> None:
    rows = small.rows("""
        SELECT c.decline_type,
               COUNT(DISTINCT c.customer_id),
               COUNT(DISTINCT CASE WHEN u.change_type = 'employment_change' AND u.employment_status = 'Unemployed'
                                   THEN c.customer_id END),
               COUNT(DISTINCT CASE WHEN u.change_type = 'move' THEN c.customer_id END)
        FROM BRONZE.BRONZE_CUSTOMERS c LEFT JOIN BRONZE.BRONZE_CUSTOMER_UPDATES u USING (customer_id)
        WHERE c.customer_segment = 'Declining' GROUP BY 1""")
    by_type = {t: (n, unemployed, moved) for t, n, unemployed, moved in rows}
    n, unemployed, _ = by_type["job_loss"]
    assert unemployed == n
    n, _, moved = by_type["relocation"]
    assert moved == n
    last_status = small.rows("""
        SELECT DISTINCT LAST(u.employment_status ORDER BY u.effective_at)
        FROM BRONZE.BRONZE_CUSTOMERS c JOIN BRONZE.BRONZE_CUSTOMER_UPDATES u USING (customer_id)
        WHERE c.decline_type = 'job_loss' GROUP BY c.customer_id""")
    assert last_status == [("Unemployed",)]
