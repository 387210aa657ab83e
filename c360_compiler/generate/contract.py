"""The bronze contract: tables and columns the generator writes, typed as specs/sources.yaml declares."""

from __future__ import annotations

from dataclasses import dataclass

from c360_compiler.errors import Location, SpecError
from c360_compiler.load.project import Project

PRODUCED_COLUMNS: dict[str, tuple[str, ...]] = {
    "BRONZE_CUSTOMERS": (
        "customer_id",
        "first_name",
        "last_name",
        "email",
        "age",
        "state",
        "city",
        "employment_status",
        "card_type",
        "credit_limit",
        "account_open_date",
        "customer_segment",
        "decline_type",
        "ingested_at",
    ),
    "BRONZE_CUSTOMER_UPDATES": (
        "update_id",
        "customer_id",
        "change_type",
        "effective_at",
        "card_type",
        "credit_limit",
        "state",
        "city",
        "employment_status",
    ),
    "BRONZE_TRANSACTIONS": (
        "transaction_id",
        "customer_id",
        "transaction_date",
        "transaction_amount",
        "merchant_name",
        "merchant_category_id",
        "channel",
        "status",
    ),
    "BRONZE_MERCHANT_CATEGORIES": ("category_id", "category_name", "category_group", "is_discretionary", "is_travel"),
}
"""Columns each generated table holds, in order; sources.yaml must declare exactly these."""


@dataclass(frozen=True)
class BronzeTable:
    """A generated table with the Snowflake types sources.yaml gives its columns."""

    name: str
    columns: tuple[tuple[str, str], ...]

    def select_list(self, source_alias: str = "") -> str:
        """`CAST(col AS type) AS col, ...` in contract order."""
        prefix = f"{source_alias}." if source_alias else ""
        return ",\n  ".join(f"CAST({prefix}{c} AS {t}) AS {c}" for c, t in self.columns)


def bronze_contract(project: Project) -> tuple[dict[str, BronzeTable], list[SpecError]]:
    """The declared bronze tables the generator fills, or located errors where sources.yaml disagrees."""
    tables: dict[str, BronzeTable] = {}
    problems: list[SpecError] = []
    declared = {}
    for src in project.sources:
        if src.spec.layer != "bronze":
            continue
        for i, tbl in enumerate(src.spec.tables):
            declared[tbl.name.upper()] = (src, i, tbl)
    for name, produced in PRODUCED_COLUMNS.items():
        if name not in declared:
            where = project.sources[0].locate("tables") if project.sources else Location("specs/sources.yaml")
            problems.append(
                SpecError(
                    where,
                    f"bronze table {name} is not declared",
                    key_path="sources",
                    expected=f"a bronze source table {name} with columns " + ", ".join(produced),
                )
            )
            continue
        src, i, tbl = declared[name]
        names = [c.name.lower() for c in tbl.columns]
        missing = [c for c in produced if c not in names]
        extra = [c for c in names if c not in produced]
        if missing or extra:
            detail = "; ".join(
                p
                for p in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"not generated: {', '.join(extra)}" if extra else "",
                )
                if p
            )
            problems.append(
                SpecError(
                    src.locate("tables", i, "columns"),
                    f"columns of {name} do not match the generator: {detail}",
                    key_path=src.key_path("tables", i, "columns"),
                    expected=", ".join(produced),
                )
            )
            continue
        types = {c.name.lower(): str(c.type) for c in tbl.columns}
        tables[name] = BronzeTable(tbl.name, tuple((c, types[c]) for c in produced))
    return tables, problems
