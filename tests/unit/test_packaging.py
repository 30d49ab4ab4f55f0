"""pyproject.toml lists every package, so a non-editable install has every backend and theme."""

from __future__ import annotations

import tomllib

from conftest import ROOT


def test_every_subpackage_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "compiler").rglob("__init__.py")}
    assert found <= listed, found - listed
    assert config["tool"]["setuptools"]["package-dir"]["compiler.themes"] == "themes"
