"""`chapbook check`: the dry run of `build`. It compiles the book as `build` does (rendering
included) and asks each backend what it would report, writes nothing, and reports every problem:
the same diagnostics `build` would, except what only laying out the PDF's pages can find."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from compiler.build import run
from compiler.build.cache import snapshot
from compiler.console import (CacheDir, Fmt, Ignore, NoCache, Json, ManifestArg, OutputFormat, Quiet, ShowAll, Strict,
                              Verbose, err, find_manifest, ignored_codes, report_format, terminal)
from compiler.model.diagnostics import Diagnostic, Severity, has_errors
from compiler.support.heap import paused_gc

Formats = Annotated[Optional[str], typer.Option("--format", "-f", help="Comma-separated output formats to check for "
                                                "(default: the manifest's outputs, else epub,pdf,html).")]


def load_for(manifest: Path | None, ignore: list[str] | None = None):
    """The manifest (found upward when not given), with `--ignore` codes added to its lint policy."""
    return run.load(find_manifest(manifest), ignored_codes(ignore))


def compile_for(loaded, render: bool | str = True, cache=None, ast: bool = True):
    """Compile, with progress on a terminal: (book, diagnostics); `cache`: pandoc's answers (compiler.build.cache)."""
    if terminal.verbosity >= 1:
        err.print(f"[bold]Compiling[/] {escape(loaded.manifest.title)} ({escape(str(loaded.path))})")
    with paused_gc(freeze=True):   # a command runs once: the collector need never walk the book
        with terminal.status("compiling") as update:
            return run.compile(loaded, render=render, progress=update, cache=cache, ast=ast)


def check(
    manifest: ManifestArg = None,
    strict: Strict = False,
    output_format: OutputFormat = None,
    json_flag: Json = False,
    format: Formats = None,
    ignore: Ignore = None,
    show_all: ShowAll = False,
    cache_dir: CacheDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
):
    """Compile the book without writing it and report every problem `build` would report."""
    terminal.set(quiet, verbose)
    legacy = format if format and format.strip().lower() in ("json", "text") else None   # the old --format json
    report = report_format(output_format, json_flag, legacy)
    loaded = load_for(manifest, ignore)
    plan = run.prepare(loaded, run.formats_of(loaded, None if legacy else format))
    cache = run.build_cache(loaded, cache_dir, not no_cache)
    stamp = run.stamp_for("check", loaded, plan, cache)
    if record := cache.unchanged(stamp.kind, stamp.key, stamp.sources, stamp.exclude):
        problems = [Diagnostic(**d | {"severity": Severity(d["severity"])}) for d in record["report"]]
    else:
        before = snapshot(stamp.sources, stamp.exclude)
        book, problems = compile_for(loaded, cache=cache.pandoc(), ast=run.ast_needed(loaded, plan))
        if not has_errors(problems):      # as in build: backends run only on a book without errors
            with paused_gc(freeze=True):
                problems += run.check(book, loaded, plan, memo=cache.memo)
        cache.stamp(stamp.kind, stamp.key, stamp.sources, stamp.exclude, [], [d.to_json() for d in problems], before)
    problems += cache.problems
    if report == Fmt.json:
        typer.echo(json.dumps([d.to_json() for d in problems], indent=2, ensure_ascii=False))
    else:
        terminal.diagnostics(problems, show_all)
    raise typer.Exit(1 if has_errors(problems, strict) else 0)
