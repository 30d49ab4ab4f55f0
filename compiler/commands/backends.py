"""`chapbook backends`: the installed output formats (built-ins and plugins), and where they come from."""

from __future__ import annotations

import json

import typer

from compiler.backends import registry
from compiler.console import Fmt, Json, LegacyFormat, OutputFormat, columns as _columns, report_format


def backends(output_format: OutputFormat = None, json_flag: Json = False, format: LegacyFormat = None) -> None:
    """List the installed output formats (built-ins and plugins alike): name, package and version, class.

    Plugins register in the entry-point group chapbook.backends and install like any Python package.
    """
    rows = [backend_info(name, ep) for name, ep in registry().items()]
    if report_format(output_format, json_flag, format) == Fmt.json:
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
