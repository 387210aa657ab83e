"""Typed spec models for project.yaml, sources.yaml and models/*.yaml."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from sqlglot import exp
from sqlglot.errors import ParseError

from c360_compiler.load.base import StrictModel
from c360_compiler.load.kinds import Kind

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
"""A SQL identifier: letters, digits and underscores, not starting with a digit."""


# --- targets -----------------------------------------------------------------


class DuckDBTarget(StrictModel):
    """The embedded default: a DuckDB file under the project."""

    type: Literal["duckdb"] = "duckdb"
    path: str = Field(
        default="warehouse/customer_analytics.duckdb", description="Warehouse file, relative to the project."
    )
    threads: int = Field(default=2, ge=1, le=256, description="DuckDB worker threads.")
    memory_limit: str | None = Field(default="4GB", description="DuckDB memory_limit, e.g. '4GB'.")


class SnowflakeTarget(StrictModel):
    """Snowflake through snowflake-connector-python; credentials never live in the repo."""

    type: Literal["snowflake"] = "snowflake"
    connection_name: str | None = Field(
        default=None, description="A section of ~/.snowflake/connections.toml; else SNOWFLAKE_* variables."
    )
    env_prefix: str = Field(default="SNOWFLAKE_", description="Prefix of ACCOUNT/USER/PASSWORD/ROLE/WAREHOUSE vars.")
    threads: int = Field(default=4, ge=1, le=64, description="Models built concurrently.")
    swap_strategy: Literal["swap_with", "rename"] = Field(
        default="swap_with", description="How a table built aside replaces the live one."
    )


Target = Annotated[DuckDBTarget | SnowflakeTarget, Field(discriminator="type")]


# --- project -----------------------------------------------------------------


class LayerSchemas(StrictModel):
    """Warehouse schema of each medallion layer."""

    bronze: Identifier = "BRONZE"
    silver: Identifier = "SILVER"
    gold: Identifier = "GOLD"


class ProjectSpec(StrictModel):
    """specs/project.yaml."""

    name: Identifier
    database: Identifier = "CUSTOMER_ANALYTICS"
    layers: LayerSchemas = LayerSchemas()
    meta_schema: Identifier = Field(default="C360_META", description="Where c360 keeps state and run logs.")
    as_of_date: Literal["latest"] | dt.date = Field(
        default="latest", description="Reference date for 'last N days' metrics; 'latest' = newest transaction."
    )
    default_target: Identifier = "local"
    targets: dict[Identifier, Target] = Field(min_length=1)
    vars: dict[Identifier, Any] = Field(default_factory=dict, description="Values templates read as var('x').")


# --- columns and tests ---------------------------------------------------------


def _check_type(value: str) -> str:
    try:
        exp.DataType.build(value, dialect="snowflake")
    except (ParseError, ValueError) as exc:
        raise ValueError(f"'{value}' is not a Snowflake data type") from exc
    return value


class AcceptedValues(StrictModel):
    values: list[Any] = Field(min_length=1)


class Relationship(StrictModel):
    to: Identifier = Field(description="Model whose column the values must exist in.")
    field: Identifier


class Range(StrictModel):
    min: float | None = None
    max: float | None = None


ColumnTestName = Literal["not_null", "unique"]


class ColumnTestSpec(StrictModel):
    """A parameterised column test; exactly one key is set."""

    accepted_values: AcceptedValues | None = None
    relationships: Relationship | None = None
    expression: str | None = Field(default=None, description="Boolean SQL over the column that every row satisfies.")
    range: Range | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ColumnTestSpec:
        if sum(v is not None for v in self.__dict__.values()) != 1:
            raise ValueError("a column test sets exactly one of accepted_values, relationships, expression, range")
        return self


class ColumnSpec(StrictModel):
    """A column of a source or model."""

    name: Identifier
    type: str | None = Field(default=None, description="Snowflake data type; sources must declare it.")
    description: str = ""
    tests: list[ColumnTestName | ColumnTestSpec] = Field(default_factory=list)

    _type_ok = field_validator("type")(lambda v: v if v is None else _check_type(v))


class ModelTestSpec(StrictModel):
    """A model-level data test; exactly one key is set."""

    expression: str | None = Field(default=None, description="Boolean SQL that every row satisfies.")
    row_count: Range | None = None
    unique_combination: list[Identifier] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ModelTestSpec:
        if sum(v is not None for v in self.__dict__.values()) != 1:
            raise ValueError("a model test sets exactly one of expression, row_count, unique_combination")
        return self


# --- sources -------------------------------------------------------------------


class SourceTableSpec(StrictModel):
    name: Identifier
    description: str = ""
    columns: list[ColumnSpec] = Field(min_length=1)

    @field_validator("columns")
    @classmethod
    def _typed(cls, columns: list[ColumnSpec]) -> list[ColumnSpec]:
        untyped = [c.name for c in columns if c.type is None]
        if untyped:
            raise ValueError(f"source columns need a type: {', '.join(untyped)}")
        return columns


class SourceSpec(StrictModel):
    """A group of raw tables in one layer, referenced as source('name', 'TABLE')."""

    name: Identifier
    layer: Identifier = "bronze"
    description: str = ""
    tables: list[SourceTableSpec] = Field(min_length=1)


class SourcesFile(StrictModel):
    sources: list[SourceSpec] = Field(default_factory=list)


# --- models --------------------------------------------------------------------


def _kind_shorthand(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class ModelSpec(StrictModel):
    """One model: a SELECT in Snowflake SQL plus how to materialise and test it."""

    name: Identifier
    layer: Identifier
    kind: Kind
    description: str = ""
    sql: str = Field(description="A SELECT in Snowflake SQL; {{ ref('m') }} and {{ source('s', 'T') }} link models.")
    columns: list[ColumnSpec] = Field(default_factory=list)
    tests: list[ModelTestSpec] = Field(default_factory=list)
    order_by: list[Identifier] = Field(default_factory=list, description="Physical row order (clustering).")
    tags: list[Identifier] = Field(default_factory=list)

    _kind = field_validator("kind", mode="before")(_kind_shorthand)


class ModelsFile(StrictModel):
    models: list[ModelSpec] = Field(default_factory=list)
