"""Model kinds: a pydantic discriminated union on `name`, one class per kind.

A kind says how a model materialises: which template renders its full build,
which renders an incremental run on an existing table, and whether a full rebuild
must keep the rows already there (history). Later kinds (scd2, segments, churn_*)
join `KINDS` below; Python-executed kinds set `executor = "python"`.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Annotated, ClassVar, Literal

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


KINDS: tuple[type[KindBase], ...] = (ViewKind, TableKind, IncrementalByUniqueKeyKind, IncrementalByTimeKind)

Kind = Annotated[reduce(operator.or_, KINDS), Field(discriminator="name")]

KIND_NAMES: tuple[str, ...] = tuple(k.model_fields["name"].default for k in KINDS)
