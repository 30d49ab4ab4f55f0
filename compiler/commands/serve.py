"""`chapbook serve`: live preview of the HTML booklet (stub, to be written)."""

from __future__ import annotations

import typer


def serve() -> None:
    """Build the HTML booklet, serve it on 127.0.0.1 and rebuild when sources change."""
    raise typer.Exit(2)
