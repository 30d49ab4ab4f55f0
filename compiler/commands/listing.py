"""`chapbook themes` and `chapbook backends`: what is installed, and where it comes from."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class Fmt(str, Enum):
    text = "text"
    json = "json"


FormatOpt = Annotated[Fmt, typer.Option("--format", help="text (aligned columns), or json (a list of objects).")]


def themes(format: FormatOpt = Fmt.text) -> None:
    """List the built-in themes: name, description (from theme.yml), the theme it extends, folder.

    Pick one with `theme: <name>` in book.yml, or point `theme:` at a folder of the book's own.
    """
    from compiler.load.theme import builtin_dir, builtin_names
    rows = [theme_info(builtin_dir() / name) for name in builtin_names()]
    if format == Fmt.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    _columns([[r["name"], r["description"] or "-", f"extends {r['extends']}" if r["extends"] else "", r["path"]]
              for r in rows])


def theme_info(folder: Path) -> dict:
    """Name, description and parent from a theme folder's theme.yml (missing or broken: blanks)."""
    from compiler.load import yamlsafe
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


def backends(format: FormatOpt = Fmt.text) -> None:
    """List the installed output formats (built-ins and plugins alike): name, package and version, class.

    Plugins register in the entry-point group chapbook.backends and install like any Python package.
    """
    from compiler.backends import registry
    rows = [backend_info(name, ep) for name, ep in registry().items()]
    if format == Fmt.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    _columns([[r["name"], f"{r['package']} {r['version']}", r["object"], "ok" if r["loads"] else f"BROKEN: {r['error']}"]
              for r in rows])


def backend_info(name: str, ep) -> dict:
    dist = getattr(ep, "dist", None)
    info = {"name": name, "package": dist.name if dist else "?", "version": dist.version if dist else "?",
            "object": ep.value, "loads": True, "error": None}
    try:
        cls = ep.load()
        if not callable(getattr(cls, "build", None)) or getattr(cls, "options_model", None) is None:
            info.update(loads=False, error="not a backend class (needs name, options_model and build)")
    except Exception as exc:  # a broken plugin is reported, not raised
        info.update(loads=False, error=f"{type(exc).__name__}: {exc}")
    return info


def _columns(rows: list[list[str]]) -> None:
    """Aligned columns without wrapping (readable in a terminal, greppable in a pipe)."""
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
