"""pyproject.toml lists every package, so a non-editable install has every backend and theme."""

from __future__ import annotations

import tomllib

from helpers import ROOT


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
    package_data = config["tool"]["setuptools"]["package-data"]
    data = [p for p in (ROOT / "compiler").rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert {p.name for p in data} >= {"pandoc_worker.lua", "locales.yml"}
    for path in data:
        package = ".".join(path.parent.relative_to(ROOT).parts)
        patterns = package_data.get(package, [])
        assert any(fnmatch.fnmatch(path.name, pat) for pat in patterns), (path, package, patterns)
