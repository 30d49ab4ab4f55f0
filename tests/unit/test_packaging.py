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


def test_every_library_the_code_imports_is_a_declared_dependency():
    """A module imported by compiler/ is either the standard library's or a declared dependency's."""
    import ast
    import re
    import sys
    from importlib.metadata import packages_distributions
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in config["project"]["dependencies"]}
    providers = packages_distributions()
    imported = set()
    for path in (ROOT / "compiler").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"compiler", "__future__"}
    undeclared = {name: providers.get(name) for name in third_party
                  if not {d.lower().replace("_", "-") for d in providers.get(name, [])} & declared}
    assert not undeclared, undeclared
