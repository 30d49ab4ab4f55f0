"""`chapbook themes`: the built-in themes, and where they come from."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from compiler.console import Fmt, Json, LegacyFormat, OutputFormat, columns as _columns, report_format
from compiler.load import yamlsafe
from compiler.load.theme import builtin_dir, builtin_names


def themes(output_format: OutputFormat = None, json_flag: Json = False, format: LegacyFormat = None) -> None:
    """List the built-in themes: name, description (from theme.yml), the theme it extends, folder.

    Pick one with `theme: <name>` in book.yml, or point `theme:` at a folder of the book's own.
    """
    rows = [theme_info(builtin_dir() / name) for name in builtin_names()]
    if report_format(output_format, json_flag, format) == Fmt.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    _columns([[r["name"], r["description"] or "-", f"extends {r['extends']}" if r["extends"] else "", r["path"]]
              for r in rows])


def theme_info(folder: Path) -> dict:
    """Name, description and parent from a theme folder's theme.yml (missing or broken: blanks)."""
    data: dict = {}
    spec = folder / "theme.yml"
    if spec.is_file():
        try:
            loaded = yamlsafe.load(spec.read_text(encoding="utf-8")).data
            data = loaded if isinstance(loaded, dict) else {}
        except (yamlsafe.YamlSyntaxError, OSError, UnicodeDecodeError):
            data = {}
    description = " ".join(str(data.get("description") or "").split())
    extends = data.get("extends") or (None if folder.name == "default" else "default")
    return {"name": folder.name, "description": description, "extends": extends, "path": str(folder)}
