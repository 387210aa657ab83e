"""The small profile has the shape the spec and the reference demo describe."""

from __future__ import annotations

import datetime as dt

import pytest
from gen_support import Generated

REFERENCE_MIX = {
    "High-Value Travelers": (0.10, 0.15),
    "Stable Mid-Spenders": (0.40, 0.50),
    "Budget-Conscious": (0.20, 0.25),
    "New & Growing": (0.10, 0.15),
    "Declining": (0.05, 0.10),
}

MONTHLY = """
WITH m AS (
  SELECT t.customer_id, DATE_TRUNC('month', t.transaction_date) AS month, SUM(t.transaction_amount) AS spend
  FROM BRONZE.BRONZE_TRANSACTIONS t WHERE t.status = 'approved' GROUP BY ALL
)
SELECT c.customer_segment, m.customer_id, m.month, m.spend
FROM m JOIN BRONZE.BRONZE_CUSTOMERS c USING (customer_id)
WHERE m.month > DATE_TRUNC('month', c.account_open_date)
"""


def test_segment_mix_is_within_the_reference_ranges(small: Generated) -> None:
    n = small.spec.profiles["small"].customers
    mix = dict(small.rows("SELECT customer_segment, COUNT(*) FROM BRONZE.BRONZE_CUSTOMERS GROUP BY 1"))
    assert set(mix) == set(REFERENCE_MIX)
    for segment, (low, high) in REFERENCE_MIX.items():
        share = mix[segment] / n
        assert low <= share <= high, segment
        assert share == pytest.approx(small.spec.segments[segment].share, abs=1 / n)


def test_segment_profiles_premium_age_and_employment(small: Generated) -> None:
    rows = small.rows("""
        SELECT customer_segment, AVG(CASE WHEN card_type = 'Premium' THEN 1 ELSE 0 END), MIN(age), MAX(age),
               LIST(DISTINCT employment_status)
        FROM BRONZE.BRONZE_CUSTOMERS GROUP BY 1""")
    for segment, premium, low, high, statuses in rows:
        seg = small.spec.segments[segment]
        assert premium == pytest.approx(seg.premium_share, abs=0.1), segment
        assert seg.age[0] <= low and high <= seg.age[1], segment
        assert set(statuses) <= set(seg.employment), segment


def test_account_ages(small: Generated) -> None:
    end = small.spec.end_date
    rows = small.rows(
        "SELECT customer_segment, MIN(account_open_date), MAX(account_open_date) "
        "FROM BRONZE.BRONZE_CUSTOMERS GROUP BY 1"
    )
    for segment, first, last in rows:
        years = small.spec.segments[segment].account_age_years or small.spec.customers.account_age_years
        assert (end - last).days >= years[0] * 365.25 - 1 and (end - first).days <= years[1] * 365.25 + 1, segment
    newest = dict((s, last) for s, _, last in rows)
    oldest = dict((s, first) for s, first, _ in rows)
    assert (end - oldest["New & Growing"]).days < 183
    assert (end - newest["Declining"]).days >= 365


def test_channel_mix_and_approval_rate(small: Generated) -> None:
    total = small.spec.profiles["small"].transactions
    channels = dict(small.rows("SELECT channel, COUNT(*) FROM BRONZE.BRONZE_TRANSACTIONS GROUP BY 1"))
    assert {k: round(v / total, 2) for k, v in channels.items()} == {"Online": 0.40, "In-Store": 0.40, "Mobile": 0.20}
    approved = small.scalar(
        "SELECT AVG(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) FROM BRONZE.BRONZE_TRANSACTIONS"
    )
    assert 0.97 <= approved <= 0.99
    by_segment = dict(
        small.rows("""
        SELECT c.customer_segment, AVG(CASE WHEN t.status = 'declined' THEN 1 ELSE 0 END)
        FROM BRONZE.BRONZE_TRANSACTIONS t JOIN BRONZE.BRONZE_CUSTOMERS c USING (customer_id) GROUP BY 1""")
    )
    assert by_segment["Declining"] > 1.25 * max(v for k, v in by_segment.items() if k != "Declining")


def test_monthly_spend_per_segment_matches_the_profiles(small: Generated) -> None:
    end_month = small.spec.end_date.replace(day=1)
    rows = small.rows(f"""
        SELECT customer_segment, MEDIAN(avg_spend) FROM (
          SELECT customer_segment, customer_id, AVG(spend) AS avg_spend FROM ({MONTHLY}) x
          WHERE month < DATE '{end_month.replace(year=end_month.year - 1)}' OR customer_segment <> 'Declining'
          GROUP BY 1, 2) GROUP BY 1""")
    spend = {k: float(v) for k, v in rows}
    assert spend["High-Value Travelers"] >= 5000
    assert 1500 <= spend["Stable Mid-Spenders"] <= 3000
    assert spend["Budget-Conscious"] < 1500
    assert spend["High-Value Travelers"] > spend["Declining"] > spend["Stable Mid-Spenders"] > spend["Budget-Conscious"]


def test_category_preferences(small: Generated) -> None:
    rows = small.rows("""
        SELECT c.customer_segment,
               SUM(CASE WHEN k.is_travel THEN t.transaction_amount ELSE 0 END) / SUM(t.transaction_amount),
               SUM(CASE WHEN k.category_group = 'Necessities' THEN t.transaction_amount ELSE 0 END)
                 / SUM(t.transaction_amount)
        FROM BRONZE.BRONZE_TRANSACTIONS t
        JOIN BRONZE.BRONZE_CUSTOMERS c USING (customer_id)
        JOIN BRONZE.BRONZE_MERCHANT_CATEGORIES k ON k.category_id = t.merchant_category_id
        WHERE t.status = 'approved' GROUP BY 1""")
    travel = {s: float(t) for s, t, _ in rows}
    necessities = {s: float(n) for s, _, n in rows}
    assert travel["High-Value Travelers"] >= 0.25
    assert necessities["Budget-Conscious"] >= 0.60
    assert travel["High-Value Travelers"] > 3 * max(v for k, v in travel.items() if k != "High-Value Travelers")


def test_declining_customers_spend_less_recently_and_some_stop(small: Generated) -> None:
    end = small.spec.end_date
    recent_start = (end.replace(day=1) - dt.timedelta(days=62)).replace(day=1)  # the last three months
    early_end = dt.date(end.year - 1, end.month, 1)  # the months more than a year back
    recent, early = small.rows(f"""
        SELECT SUM(CASE WHEN month >= DATE '{recent_start}' THEN spend END) / 3,
               SUM(CASE WHEN month < DATE '{early_end}' THEN spend END)
                 / COUNT(DISTINCT CASE WHEN month < DATE '{early_end}' THEN month END)
        FROM ({MONTHLY}) x WHERE customer_segment = 'Declining'""")[0]
    assert recent <= 0.7 * early
    stopped, total = small.rows(f"""
        SELECT COUNT(*) FILTER (WHERE last_txn < DATE '{end - dt.timedelta(days=30)}'), COUNT(*)
        FROM (SELECT c.customer_id, MAX(t.transaction_date) AS last_txn
              FROM BRONZE.BRONZE_CUSTOMERS c JOIN BRONZE.BRONZE_TRANSACTIONS t USING (customer_id)
              WHERE c.customer_segment = 'Declining' GROUP BY 1)""")[0]
    share = small.spec.segments["Declining"].trend.stop_share  # type: ignore[union-attr]
    assert stopped / total == pytest.approx(share, abs=0.12)
    inactive, others = small.rows(f"""
        SELECT COUNT(*) FILTER (WHERE last_txn < DATE '{end - dt.timedelta(days=30)}'), COUNT(*)
        FROM (SELECT c.customer_id, MAX(t.transaction_date) AS last_txn
              FROM BRONZE.BRONZE_CUSTOMERS c JOIN BRONZE.BRONZE_TRANSACTIONS t USING (customer_id)
              WHERE c.customer_segment <> 'Declining' GROUP BY 1)""")[0]
    assert inactive <= 0.01 * others


def test_new_customers_ramp_up(small: Generated) -> None:
    rows = small.rows(f"""
        SELECT AVG(CASE WHEN rn = 1 THEN spend END), AVG(CASE WHEN rn = 3 THEN spend END)
        FROM (SELECT spend, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY month) AS rn
              FROM ({MONTHLY}) x WHERE customer_segment = 'New & Growing')""")
    first, third = rows[0]
    assert third >= 1.5 * first


def test_december_is_the_peak_month(small: Generated) -> None:
    rows = small.rows("""
        SELECT MONTH(transaction_date) AS m, SUM(transaction_amount) / COUNT(DISTINCT customer_id)
        FROM BRONZE.BRONZE_TRANSACTIONS t JOIN BRONZE.BRONZE_CUSTOMERS c USING (customer_id)
        WHERE c.customer_segment = 'Stable Mid-Spenders' AND YEAR(transaction_date) = 2024
        GROUP BY 1 ORDER BY 2 DESC""")
    assert rows[0][0] == 12


def test_amounts_are_in_the_typical_range(small: Generated) -> None:
    low, median, high, travel = small.rows("""
        SELECT MIN(transaction_amount), MEDIAN(transaction_amount), QUANTILE_CONT(transaction_amount, 0.99),
               MEDIAN(CASE WHEN k.is_travel THEN transaction_amount END)
        FROM BRONZE.BRONZE_TRANSACTIONS t
        JOIN BRONZE.BRONZE_MERCHANT_CATEGORIES k ON k.category_id = t.merchant_category_id""")[0]
    assert low > 0 and 5 <= median <= 500 and travel > 3 * median
