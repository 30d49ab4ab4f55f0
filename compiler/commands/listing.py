"""`chapbook themes` and `chapbook backends`: what is installed."""

from __future__ import annotations

import typer


def themes() -> None:
    """List the built-in themes."""
    from compiler.themes import builtin_dir, builtin_names
    for name in builtin_names():
        typer.echo(f"{name}\t{builtin_dir() / name}")


def backends() -> None:
    """List the installed output formats (built-ins and plugins, entry-point group chapbook.backends)."""
    from compiler.backends import registry
    for name, ep in registry().items():
        typer.echo(f"{name}\t{ep.value}")
