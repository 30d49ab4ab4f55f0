"""`chapbook toc`: the book's table of contents, as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from compiler.commands.check import compile_for
from compiler.console import Fmt, ManifestArg, Quiet, Verbose, terminal
from compiler.model.diagnostics import has_errors


def toc(
    manifest: ManifestArg = Path("book.yml"),
    format: Annotated[Fmt, typer.Option("--format", help="text, or json: {title, chapters: [...]}.")] = Fmt.text,
    quiet: Quiet = False,
    verbose: Verbose = False,
):
    """Print the book's table of contents: chapters in order, with their sections."""
    terminal.set(quiet, verbose)
    _, book, problems = compile_for(manifest, render=False)
    data = toc_data(book)
    if format == Fmt.json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        typer.echo(data["title"])
        for ch in data["chapters"]:
            typer.echo(f"  {ch['title']}  ({ch['source']})")
            for h in ch["headings"]:
                typer.echo("  " * h["level"] + h["text"])
    raise typer.Exit(1 if has_errors(problems) else 0)


def toc_data(book) -> dict:
    part_of = {c.slug: p.title for p in book.parts for c in p.chapters}
    return {
        "title": book.meta.title,
        "chapters": [
            {
                "slug": c.slug, "title": c.title, "source": c.source,
                "date": c.date.date().isoformat() if c.date else None,
                "kind": c.kind, "part": part_of.get(c.slug),
                "headings": [{"level": h.level, "text": h.text, "id": h.id} for h in c.headings],
            }
            for c in book.all_chapters
        ],
    }
