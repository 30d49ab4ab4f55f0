"""`chapbook toc`: the book's table of contents, as text or JSON."""

from __future__ import annotations

import json

import typer

from compiler.commands.check import compile_for, load_for
from compiler.console import Fmt, Json, LegacyFormat, ManifestArg, OutputFormat, Quiet, Verbose, report_format, terminal
from compiler.model.diagnostics import has_errors


def toc(
    manifest: ManifestArg = None,
    output_format: OutputFormat = None,
    json_flag: Json = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    format: LegacyFormat = None,
):
    """Print the book's table of contents: chapters in order, with their sections (json: {title, chapters: [...]})."""
    terminal.set(quiet, verbose)
    report = report_format(output_format, json_flag, format)
    loaded = load_for(manifest)
    book, problems = compile_for(loaded, render=False, ast=False)
    data = toc_data(book)
    if report == Fmt.json:
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
