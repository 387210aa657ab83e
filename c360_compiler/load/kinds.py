"""Model kinds: a pydantic discriminated union on `name`, one class per kind.

A kind says how a model materialises: which template renders its full build,
which renders an incremental run on an existing table, and whether a full rebuild
must keep the rows already there (history). Later kinds (scd2, segments, churn_*)
join `KINDS` below; Python-executed kinds set `executor = "python"`.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from c360_compiler.load.base import StrictModel


class KindBase(StrictModel):
    """Shared behaviour flags of every kind (class attributes, not spec keys)."""

    materialization: ClassVar[str] = "table"
    """`view` or `table`: what object the model leaves in the warehouse."""
    incremental: ClassVar[bool] = False
    """True when a run on an existing table applies only new rows."""
    keeps_history: ClassVar[bool] = False
    """True when a rebuild must start from the existing table instead of dropping it."""
    executor: ClassVar[str] = "sql"
    """`sql` (rendered statements) or `python` (a registered function)."""

    def output_columns(self, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The model's (name, type) columns given its body's; kinds that add columns override this."""
        return columns

    def template_context(self, project: Any, columns: list[tuple[str, str]]) -> tuple[dict[str, Any], list[Any]]:
        """Extra values for the kind template and any spec errors found producing them."""
        return {}, []

    def cache_inputs(self, project: Any) -> str:
        """Text of anything besides the model spec that shapes this kind's SQL (part of the analysis cache key)."""
        return ""


class ViewKind(KindBase):
    """A view: recomputed on every read, cheap to build."""

    name: Literal["view"] = "view"
    materialization: ClassVar[str] = "view"


class TableKind(KindBase):
    """A table rebuilt in full from its query on every change."""

    name: Literal["table"] = "table"


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


class IncrementalByUniqueKeyKind(KindBase):
    """Upsert rows by a unique key: new keys are inserted, existing keys updated."""

    name: Literal["incremental_by_unique_key"] = "incremental_by_unique_key"
    unique_key: list[str] = Field(min_length=1, description="Column(s) that identify a row.")
    incremental: ClassVar[bool] = True

    _normalise_key = field_validator("unique_key", mode="before")(_as_list)


class IncrementalByTimeKind(KindBase):
    """Append by time: rows newer than what the table holds (minus a lookback) are replaced."""

    name: Literal["incremental_by_time"] = "incremental_by_time"
    time_column: str = Field(description="Timestamp or date column that orders arrivals.")
    lookback_days: int = Field(default=0, ge=0, description="Re-process this many days before the latest.")
    incremental: ClassVar[bool] = True


class Scd2Kind(KindBase):
    """Slowly changing dimension Type 2 (dbt snapshot semantics), merged from a feed of observed states.

    The body yields one row per key per observed state, stamped with `updated_at`. The table keeps one
    row per version; every run re-derives the versions of the keys in the body from the body plus the
    versions already stored, so history is never lost and late changes split the version covering them.
    See docs/kinds/scd2.md.
    """

    name: Literal["scd2"] = "scd2"
    unique_key: list[str] = Field(min_length=1, description="Natural key column(s) of the entity.")
    updated_at: str = Field(description="Body column with the time the observed state took effect.")
    strategy: Literal["timestamp", "check"] = Field(
        default="check",
        description="timestamp: every newer updated_at opens a version; check: only a change of check_cols does.",
    )
    check_cols: list[str] = Field(
        default_factory=list, description="check strategy: Type 2 columns (default: all but key and Type 1)."
    )
    type1_cols: list[str] = Field(
        default_factory=list, description="Columns overwritten in every version with the latest observed value."
    )
    valid_from: str = Field(default="valid_from", description="Output column: version start (inclusive).")
    valid_to: str = Field(default="valid_to", description="Output column: version end (exclusive); NULL = open.")
    is_current: str = Field(default="is_current", description="Output column: TRUE on the open version.")
    surrogate_key: str = Field(default="scd_id", description="Output column: a key per version.")
    surrogate_key_type: Literal["sequence", "hash"] = Field(
        default="sequence",
        description="sequence: BIGINT numbered in (key, valid_from) order, stable once assigned; hash: MD5 text.",
    )
    hard_deletes: Literal["ignore", "invalidate"] = Field(
        default="ignore",
        description="invalidate: close the open version of keys missing from the body (body = full snapshot).",
    )
    materialization: ClassVar[str] = "table"
    incremental: ClassVar[bool] = True
    keeps_history: ClassVar[bool] = True

    _normalise_key = field_validator("unique_key", mode="before")(_as_list)

    def scd_columns(self) -> tuple[str, str, str, str]:
        """(surrogate key, valid_from, valid_to, is_current) output column names."""
        return self.surrogate_key, self.valid_from, self.valid_to, self.is_current

    def output_columns(self, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Table columns from the body's (name, type): key first, updated_at becomes valid_from/valid_to."""
        stamp = next((t for c, t in columns if c.lower() == self.updated_at.lower()), "TIMESTAMP")
        key_type = "BIGINT" if self.surrogate_key_type == "sequence" else "VARCHAR"
        body = [(c, t) for c, t in columns if c.lower() != self.updated_at.lower()]
        return [
            (self.surrogate_key.lower(), key_type),
            *body,
            (self.valid_from.lower(), stamp),
            (self.valid_to.lower(), stamp),
            (self.is_current.lower(), "BOOLEAN"),
        ]

    def tracked(self, columns: list[str]) -> tuple[list[str], list[str], list[str]]:
        """(check columns, Type 1 columns, carried columns) among the body's `columns` (lower case)."""
        keys = {k.lower() for k in self.unique_key} | {self.updated_at.lower()}
        type1 = [c.lower() for c in self.type1_cols]
        rest = [c for c in columns if c not in keys and c not in type1]
        if self.strategy == "timestamp":
            return [], type1, rest
        check = [c.lower() for c in self.check_cols] or rest
        return check, type1, [c for c in rest if c not in check]


class SegmentsKind(KindBase):
    """A table of the body's rows plus a segment column assigned by ordered rules in specs/segments.yaml.

    The first rule whose boolean expression holds names the segment; rows matching none get the
    default. Rules are validated against the body's columns when the project compiles.
    """

    name: Literal["segments"] = "segments"
    rules_file: str = Field(default="segments.yaml", description="Rules file under specs/.")
    segment_column: str = Field(default="customer_segment", description="Output column holding the segment.")

    def output_columns(self, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [*columns, (self.segment_column.lower(), "VARCHAR")]

    def template_context(self, project: Any, columns: list[tuple[str, str]]) -> tuple[dict[str, Any], list[Any]]:
        """`segmentation` for the kind template: the rules file validated against the body columns."""
        from c360_compiler.segments import load_segmentation

        segmentation, problems = load_segmentation(project, self.rules_file, columns)
        return {"segmentation": segmentation}, problems

    def cache_inputs(self, project: Any) -> str:
        """The rules file: editing a threshold must re-render the model."""
        try:
            return (project.specs_dir / self.rules_file).read_text(encoding="utf-8")
        except OSError:
            return ""


KINDS: tuple[type[KindBase], ...] = (
    ViewKind,
    TableKind,
    IncrementalByUniqueKeyKind,
    IncrementalByTimeKind,
    Scd2Kind,
    SegmentsKind,
)

Kind = Annotated[reduce(operator.or_, KINDS), Field(discriminator="name")]

KIND_NAMES: tuple[str, ...] = tuple(k.model_fields["name"].default for k in KINDS)
