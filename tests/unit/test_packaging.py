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


def test_data_files_beside_the_code_are_package_data():
    """A non-editable install must carry the pandoc worker and the word table."""
    import fnmatch
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["compiler"]
    data = [p.name for p in (ROOT / "compiler").iterdir() if p.is_file() and p.suffix != ".py"]
    assert data and all(any(fnmatch.fnmatch(name, pat) for pat in patterns) for name in data), (data, patterns)
