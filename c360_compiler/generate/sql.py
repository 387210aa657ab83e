"""Render the generation templates (Snowflake SQL) from spec-derived values."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import jinja2

TEMPLATES_DIR = "templates"
GENERATE_DIR = "sql/generate"
BUNDLED = Path(__file__).resolve().parents[2] / TEMPLATES_DIR


def literal(value: object) -> str:
    """A Python value as a Snowflake SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"CAST('{value.isoformat(sep=' ')}' AS TIMESTAMP_NTZ)"
    if isinstance(value, dt.date):
        return f"CAST('{value.isoformat()}' AS DATE)"
    return "'" + str(value).replace("'", "''") + "'"


@cache
def _environment(root: Path) -> jinja2.Environment:
    """Templates of the project first, then the ones bundled with c360 (like render.TemplateEnv)."""
    search = [str(root / TEMPLATES_DIR)]
    if str(BUNDLED) not in search:
        search.append(str(BUNDLED))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["lit"] = literal
    return env


def render(root: Path, template: str, **context: object) -> str:
    """One statement from `templates/sql/generate/<template>.sql.j2` of the project at `root`."""
    return _environment(root.resolve()).get_template(f"{GENERATE_DIR}/{template}.sql.j2").render(**context).strip()
