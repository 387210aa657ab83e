"""Fixtures of the Snowflake tests (defined in sf_support.py): credentials in env vars, offline fakesnow."""

from sf_support import fake_snowflake, sf_env  # noqa: F401 - fixtures for every test in this folder
