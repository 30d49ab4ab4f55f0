"""`chapbook check`: compile the book without writing it and report every problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from compiler.build import run
from compiler.console import Fmt, ManifestArg, Quiet, Verbose, err, terminal
from compiler.model.diagnostics import has_errors
from compiler.support.heap import paused_gc


def compile_for(manifest: Path, render: bool = True):
    """Load and compile, with a spinner on a terminal: (loaded, book, diagnostics)."""
    loaded = run.load(manifest)
    if terminal.verbosity >= 1:
        err.print(f"[bold]Compiling[/] {escape(loaded.manifest.title)} ({escape(str(manifest))})")
    with paused_gc(freeze=True):   # a command runs once: the collector need never walk the book
        with terminal.status("compiling") as update:
            book, problems = run.compile(loaded, render=render, progress=update)
    return loaded, book, problems


def check(
    manifest: ManifestArg = Path("book.yml"),
    strict: Annotated[bool, typer.Option(help="Warnings count as errors (exit 1).")] = False,
    format: Annotated[Fmt, typer.Option("--format", help="text, or json: a list of {code, severity, path, line, message}.")] = Fmt.text,
    quiet: Quiet = False,
    verbose: Verbose = False,
):
    """Compile the book without writing it and report every problem found in its sources."""
    terminal.set(quiet, verbose)
    _, _, problems = compile_for(manifest, render=False)
    if format == Fmt.json:
        typer.echo(json.dumps([d.to_json() for d in problems], indent=2, ensure_ascii=False))
    else:
        terminal.diagnostics(problems)
    raise typer.Exit(1 if has_errors(problems, strict) else 0)
