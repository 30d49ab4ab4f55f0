"""`chapbook init`: start a book from an existing blog (stub, to be written)."""

from __future__ import annotations

import typer


def init() -> None:
    """Scan a blog's posts, list the series found, and write a book.yml for one of them."""
    raise typer.Exit(2)
