"""Credentials: connections.toml or env vars, never the repo; failures are one-line C360RuntimeErrors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import snowflake.connector  # noqa: TID253 - tests may import the driver; the package may not
from sf_support import (
    ENV,
    QUIET_FAKESNOW,
    snowflake_project,
)
from typer.testing import CliRunner

from c360_compiler.cli import app
from c360_compiler.errors import C360RuntimeError
from c360_compiler.execute.snowflake_adapter import SnowflakeAdapter, resolve_credentials
from c360_compiler.load.specs import SnowflakeTarget

pytestmark = QUIET_FAKESNOW

PASSWORD = ENV["SNOWFLAKE_PASSWORD"]


@pytest.fixture
def no_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No SNOWFLAKE_* credentials at all; returns the (empty) SNOWFLAKE_HOME."""
    for key in request.getfixturevalue("sf_env"):
        monkeypatch.delenv(key)
    return Path(os.environ["SNOWFLAKE_HOME"])


def test_missing_credentials_name_every_missing_variable(no_env: Path) -> None:
    with pytest.raises(C360RuntimeError) as failure:
        SnowflakeAdapter.from_target(SnowflakeTarget(connection_name="c360"), "CUSTOMER_ANALYTICS")
    message = str(failure.value)
    assert "\n" not in message
    assert f"connection 'c360' not found in {no_env / 'connections.toml'}" in message
    for name in ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE", "SNOWFLAKE_PASSWORD"):
        assert name in message


def test_missing_variables_honour_env_prefix(no_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C360_SF_ACCOUNT", "acct")
    monkeypatch.setenv("C360_SF_USER", "me")
    with pytest.raises(C360RuntimeError, match="C360_SF_ROLE, C360_SF_WAREHOUSE, C360_SF_PASSWORD") as failure:
        resolve_credentials(None, "C360_SF_")
    assert "C360_SF_ACCOUNT" not in str(failure.value)


def test_key_pair_or_sso_login_needs_no_password(no_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("ACCOUNT", "USER", "ROLE", "WAREHOUSE"):
        monkeypatch.setenv(f"SNOWFLAKE_{key}", key.lower())
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_FILE", "/keys/rsa_key.p8")
    assert resolve_credentials(None, "SNOWFLAKE_").params["private_key_file"] == "/keys/rsa_key.p8"
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_FILE")
    monkeypatch.setenv("SNOWFLAKE_AUTHENTICATOR", "externalbrowser")
    assert resolve_credentials(None, "SNOWFLAKE_").params["authenticator"] == "externalbrowser"


@pytest.mark.usefixtures("fake_snowflake")
def test_connections_toml_section_is_used_and_never_described(no_env: Path) -> None:
    (no_env / "connections.toml").write_text(
        '[other]\naccount = "nope"\n\n[c360]\naccount = "toml-acct"\nuser = "toml-user"\n'
        f'password = "{PASSWORD}"\nrole = "R"\nwarehouse = "WH"\ndatabase = "IGNORED"\n',
        encoding="utf-8",
    )
    adapter = SnowflakeAdapter.from_target(SnowflakeTarget(connection_name="c360"), "CUSTOMER_ANALYTICS")
    try:
        kwargs = snowflake.connector.connect.call_args.kwargs  # the patched connect records its call
        assert kwargs["account"] == "toml-acct" and kwargs["password"] == PASSWORD
        assert kwargs["database"] == "CUSTOMER_ANALYTICS", "the project decides the database"
        described = adapter.describe()
        assert described["account"] == "toml-acct" and described["user"] == "toml-user"
        assert described["credentials"] == f"{no_env / 'connections.toml'} [c360]"
        assert PASSWORD not in json.dumps(described) and PASSWORD not in repr(adapter.credentials)
        assert adapter.query("SELECT 1 AS one").records() == [{"one": 1}]
    finally:
        adapter.close()


@pytest.mark.usefixtures("sf_env", "fake_snowflake")
def test_env_credentials_describe_without_password() -> None:
    adapter = SnowflakeAdapter.from_target(SnowflakeTarget(), "CUSTOMER_ANALYTICS")
    try:
        described = adapter.describe()
        assert described["credentials"] == "environment (SNOWFLAKE_*)"
        assert described["role"] == "C360_ROLE" and described["warehouse"] == "C360_WH"
        assert PASSWORD not in json.dumps(described)
    finally:
        adapter.close()


def test_unreadable_connections_file_names_the_file(no_env: Path) -> None:
    (no_env / "connections.toml").write_text("[c360\naccount = ", encoding="utf-8")
    with pytest.raises(C360RuntimeError, match="cannot read Snowflake connections file .*connections.toml"):
        resolve_credentials("c360", "SNOWFLAKE_")


@pytest.mark.usefixtures("sf_env")
def test_connection_failure_is_a_runtime_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**_: object) -> None:
        raise snowflake.connector.errors.DatabaseError(
            msg="Could not connect to Snowflake backend after 2 attempt(s).\nAborting", errno=250001
        )

    monkeypatch.setattr(snowflake.connector, "connect", refuse)
    with pytest.raises(C360RuntimeError) as failure:
        SnowflakeAdapter.from_target(SnowflakeTarget(), "CUSTOMER_ANALYTICS")
    message = str(failure.value)
    assert message.startswith("cannot connect to Snowflake account 'fake-account'")
    assert "Could not connect to Snowflake backend" in message and "\n" not in message
    assert PASSWORD not in message


def test_cli_without_credentials_exits_1_with_one_line(no_env: Path, tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj", extra=False)
    result = CliRunner().invoke(app, ["plan", "--project-dir", str(root), "--target", "snowflake"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no Snowflake credentials:"), result.output
    assert "Traceback" not in result.output
