"""Shared fixtures. Shared helper functions are in helpers.py (`from helpers import ...`)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def book_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    folder.mkdir()
    return folder
