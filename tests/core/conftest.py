"""Fixtures for tests/core: a project copy holding only the repo's silver models (stable under spec growth)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support import fresh_project


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """Overrides tests/conftest.py: the repo project with only specs/models/silver.yaml."""
    return fresh_project(tmp_path / "proj")
