"""Checks across keys of generation.yaml that pydantic cannot express; each error is located."""

from __future__ import annotations

from collections.abc import Iterable

from c360_compiler.errors import SpecError, closest
from c360_compiler.generate.spec import DeclineTrend, GenerationSpec
from c360_compiler.load.yaml_source import KeyPath, YamlDocument, format_path

TOLERANCE = 1e-6


def check_spec(spec: GenerationSpec, doc: YamlDocument) -> list[SpecError]:
    """Every cross-key problem of a validated spec."""
    out: list[SpecError] = []

    def err(path: KeyPath, message: str, expected: str = "", suggestion: str = "") -> None:
        out.append(
            SpecError(doc.locate(path), message, key_path=format_path(path), expected=expected, suggestion=suggestion)
        )

    def known(path: KeyPath, names: Iterable[str], allowed: list[str], what: str) -> None:
        for name in names:
            if name not in allowed:
                err(path + (name,), f"unknown {what} '{name}'", "one of " + ", ".join(allowed), closest(name, allowed))

    def sums_to_one(path: KeyPath, values: Iterable[float], what: str) -> None:
        total = sum(values)
        if abs(total - 1) > TOLERANCE:
            err(path, f"{what} sum to {total:.4g}", "shares that sum to 1")

    cust = spec.customers
    sums_to_one(("segments",), (s.share for s in spec.segments.values()), "segment shares")
    sums_to_one(("transactions", "channels"), spec.transactions.channels.values(), "channel shares")

    names = [c.name for c in spec.categories]
    for what, values in (("name", names), ("id", [c.id for c in spec.categories])):
        seen: set[object] = set()
        for i, v in enumerate(values):
            if v in seen:
                err(("categories", i, what), f"duplicate category {what} '{v}'", "each category once")
            seen.add(v)
    if not any(c.travel for c in spec.categories):
        err(("categories",), "no travel category", "at least one category with travel: true")

    if sorted(spec.transactions.seasonality) != list(range(1, 13)):
        err(("transactions", "seasonality"), "seasonality must give all twelve months", "keys 1 to 12")
    if sum(spec.customers.email_domains.values()) <= 0:
        err(("customers", "email_domains"), "email domain weights are all zero", "a positive weight")
    if len(set(cust.employment_statuses)) != len(cust.employment_statuses):
        err(("customers", "employment_statuses"), "duplicate employment status", "each status once")

    lim = cust.credit_limit
    for seg_name, seg in spec.segments.items():
        base: KeyPath = ("segments", seg_name)
        known(base + ("category_weights",), seg.category_weights, names, "category")
        if sum(seg.category_weights.values()) <= 0:
            err(base + ("category_weights",), "category weights are all zero", "a positive weight")
        known(base + ("employment",), seg.employment, cust.employment_statuses, "employment status")
        if sum(seg.employment.values()) <= 0:
            err(base + ("employment",), "employment weights are all zero", "a positive weight")
        if seg.age[0] < cust.age[0] or seg.age[1] > cust.age[1]:
            err(base + ("age",), f"age band {list(seg.age)} leaves customers.age {list(cust.age)}", "a band inside it")
        if seg.credit_limit and (seg.credit_limit[0] < lim.min or seg.credit_limit[1] > lim.max):
            err(
                base + ("credit_limit",),
                f"credit limits {list(seg.credit_limit)} leave [{lim.min}, {lim.max}]",
                "a range inside customers.credit_limit",
            )
        if seg.credit_limit and -(-seg.credit_limit[0] // lim.step) * lim.step > seg.credit_limit[1]:
            err(
                base + ("credit_limit",),
                "credit limit range holds no multiple of the step",
                f"a multiple of {lim.step}",
            )
        years = seg.account_age_years or cust.account_age_years
        if years[0] <= 0:
            err(base + ("account_age_years",), "accounts must open before the end date", "a positive account age")
        is_decline = isinstance(seg.trend, DeclineTrend)
        if is_decline and not seg.decline_types:
            err(base + ("trend",), "a declining segment needs decline_types", "decline_types with shares")
        if seg.decline_types and not is_decline:
            err(base + ("decline_types",), "decline_types apply only to segments with trend kind 'decline'")
        if seg.decline_types:
            sums_to_one(base + ("decline_types",), (d.share for d in seg.decline_types.values()), "decline type shares")
        for dname, dtype in seg.decline_types.items():
            dpath = base + ("decline_types", dname)
            if dtype.event == "employment_change" and dtype.employment_status is None:
                err(dpath, "an employment_change event needs employment_status", "the status after the change")
            status = dtype.employment_status
            if status is not None and status not in cust.employment_statuses:
                err(
                    dpath + ("employment_status",),
                    f"unknown employment status '{status}'",
                    "one of " + ", ".join(cust.employment_statuses),
                    closest(status, cust.employment_statuses),
                )
            known(dpath + ("employed_before",), dtype.employed_before, cust.employment_statuses, "employment status")
            allowed = [s for s in dtype.employed_before if seg.employment.get(s, 0) > 0]
            if dtype.employed_before and not allowed:
                err(dpath + ("employed_before",), "none of these statuses has weight in the segment's employment")
        if is_decline:
            assert isinstance(seg.trend, DeclineTrend)
            if seg.trend.start_months_before_end[1] >= spec.transactions.history_months:
                err(
                    base + ("trend", "start_months_before_end"),
                    "the decline starts before the history does",
                    f"fewer than history_months ({spec.transactions.history_months})",
                )
            if seg.trend.start_months_before_end[0] < 1:
                err(base + ("trend", "start_months_before_end"), "the decline must start before the end", "at least 1")
            if seg.trend.drop[1] > 1:
                err(base + ("trend", "drop"), "a drop above 1 means negative spend", "shares in [0, 1]")
    for i, cat in enumerate(spec.categories):
        if cat.amount[0] <= 0:
            err(("categories", i, "amount"), "amounts must be positive", "a range above 0")
    width = len(cust.id_prefix) + cust.id_digits
    if width > 12:
        err(("customers", "id_digits"), f"customer ids would be {width} characters", "at most 12 (VARCHAR(12))")
    for name, prof in spec.profiles.items():
        if prof.customers >= 10**cust.id_digits:
            err(
                ("profiles", name, "customers"),
                f"{prof.customers} customers do not fit {cust.id_digits}-digit ids",
                f"fewer than {10**cust.id_digits}",
            )
    delta = spec.changes.credit_limit_delta
    if abs(delta[0]) < lim.step and abs(delta[1]) < lim.step:
        err(("changes", "credit_limit_delta"), "credit limit changes are smaller than one step", f"at least {lim.step}")
    return out


def check_profile(spec: GenerationSpec, doc: YamlDocument, profile: str) -> list[SpecError]:
    """A located error when `profile` is not declared."""
    if profile in spec.profiles:
        return []
    names = sorted(spec.profiles)
    return [
        SpecError(
            doc.locate(("profiles",)),
            f"unknown profile '{profile}'",
            key_path="profiles",
            expected="one of " + ", ".join(names),
            suggestion=closest(profile, names),
        )
    ]
