"""The documentation says what the code does: the README's diagnostics table lists every code of
compiler/model/diagnostics.py with the same default severity and meaning, and nothing else; the
module table of docs/design.md names every module and folder of compiler/."""

from __future__ import annotations

import re

from helpers import ROOT

from compiler.model.diagnostics import CODES

ROW = re.compile(r"^\| (CB\d{3}) \| ([^|]*) \| (.*) \|$", re.M)


def _readme_rows() -> dict[str, tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Diagnostics", 1)[1].split("\n## ", 1)[0]
    return {code: (severity.strip(), meaning.strip()) for code, severity, meaning in ROW.findall(table)}


def test_readme_lists_every_diagnostic_code_and_no_other():
    rows = _readme_rows()
    assert sorted(rows) == sorted(CODES), (set(CODES) ^ set(rows))


def test_readme_gives_each_code_its_default_severity_and_meaning():
    for code, (severity, meaning) in _readme_rows().items():
        default, title = CODES[code]
        assert severity.split(" (")[0] == default.value, (code, severity, default)
        assert meaning.replace("`", "") == title, (code, meaning, title)


def test_design_notes_name_every_module_and_folder():
    """Each package folder and top-level module of compiler/ appears in docs/design.md's table."""
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    table = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    package = ROOT / "compiler"
    folders = [p for p in package.iterdir() if (p / "__init__.py").is_file()]
    names = {p.name + "/" for p in folders}
    names |= {p.name for p in package.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    missing = [n for n in sorted(names) if f"`{n}`" not in table]
    assert not missing, missing
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| `")}
    for folder in folders:   # and each module of a stage folder, in its folder's row
        row = rows[f"`{folder.name}/`"]
        modules = [p.stem for p in folder.glob("*.py") if p.name != "__init__.py"] if folder.name != "backends" else []
        missing = [m for m in modules if f"`{m}`" not in row]
        assert not missing, (folder.name, missing)
