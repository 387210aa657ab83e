"""The SQL dialects c360 speaks: specs are authored in Snowflake SQL and emitted for every target."""

AUTHORING = "snowflake"
"""sqlglot dialect of model bodies, templates and adapter statements."""
DIALECTS: tuple[str, ...] = ("snowflake", "duckdb")
"""Dialects every statement is transpiled to (one folder each under generated/)."""
