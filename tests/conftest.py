"""Fixtures shared by every test folder; plain helpers live in c360_testkit.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from c360_testkit import copy_project


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A temp project holding a copy of the repo's specs and templates."""
    return copy_project(tmp_path / "proj")
