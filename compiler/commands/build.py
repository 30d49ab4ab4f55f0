"""`chapbook build`: arguments, one call to the build (`compiler.build.run`), and the printing."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from compiler.build import run
from compiler.commands.check import compile_for, load_for
from compiler.build.cache import snapshot
from compiler.console import CacheDir, Ignore, ManifestArg, NoCache, Quiet, ShowAll, Strict, Verbose, err, terminal
from compiler.model.diagnostics import Diagnostic, Severity, has_errors
from compiler.support.heap import paused_gc


def build(
    manifest: ManifestArg = None,
    format: Annotated[Optional[str], typer.Option("--format", "-f", help="Comma-separated formats, any case (default: the manifest's outputs, else epub,pdf,html).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder (default: dist/ beside the manifest).")] = None,
    strict: Strict = False,
    ignore: Ignore = None,
    show_all: ShowAll = False,
    json_flag: Annotated[bool, typer.Option("--json", metavar="", help="Print the diagnostics as JSON on standard output (as check --json).")] = False,
    force: Annotated[bool, typer.Option("--force", metavar="", help="Build even when nothing changed since the last build into this folder.")] = False,
    pdf_engine: Annotated[Optional[str], typer.Option("--pdf-engine", help="weasyprint or typst: overrides outputs.pdf.engine for this build.")] = None,
    cache_dir: CacheDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
):
    """Compile the book and write it in each format. Nothing is written if the book has errors.

    With --json, the diagnostics go to standard output as JSON (the same list `check --json` gives).
    When nothing changed since the last build into the same folder, nothing is rewritten (--force)."""
    terminal.set(quiet, verbose)
    loaded = run.with_pdf_engine(load_for(manifest, ignore), pdf_engine)
    plan = run.prepare(loaded, run.formats_of(loaded, format))   # unknown formats and themes: before any work
    out_dir = (out or loaded.root / "dist").resolve()
    cache = run.build_cache(loaded, cache_dir, not no_cache)
    stamp = run.stamp_for("build", loaded, plan, cache, out_dir, strict)
    if not force and (record := cache.unchanged(stamp.kind, stamp.key, stamp.sources, stamp.exclude)):
        _report([Diagnostic(**d | {"severity": Severity(d["severity"])}) for d in record["report"]] + cache.problems,
                show_all, json_flag)
        if terminal.verbosity >= 0:
            err.print(f"Nothing changed since the last build into {escape(str(out_dir))}: the outputs are kept "
                      "(--force builds again).")
        raise typer.Exit(0)
    before = snapshot(stamp.sources, stamp.exclude)
    with paused_gc(freeze=True):   # one pause for the whole build: compile and every backend (compiler/heap.py)
        book, problems = compile_for(loaded, render=run.html_needed(loaded, plan), cache=cache.pandoc(),
                                     ast=run.ast_needed(loaded, plan))
        if has_errors(problems, strict):
            _report(problems + cache.problems, show_all, json_flag)
            err.print("[bold red]Not built:[/] fix the errors above" + (" (or drop --strict)" if strict else "") + "; previous outputs are untouched.")
            raise typer.Exit(1)
        result = run.write(book, loaded, plan, out_dir, strict, announce=_writing, memo=cache.memo,
                           cache_dir=cache.folder)
    _report(problems + result.diagnostics + cache.problems, show_all, json_flag)
    if result.published:
        cache.prune()
        cache.stamp(stamp.kind, stamp.key, stamp.sources, stamp.exclude, [p for w in result.written for p in w.paths],
                    [d.to_json() for d in problems + result.diagnostics], before)
    else:
        err.print("[bold red]Not written:[/] fix the errors above" + (" (or drop --strict)" if strict else "")
                  + "; the previous outputs are untouched.")
        raise typer.Exit(1)
    if terminal.verbosity >= 0:
        table = Table(title="Outputs", show_edge=False)
        for col in ("format", "file", "size", "time"):
            table.add_column(col)
        for w in result.written:
            for final in w.paths:
                table.add_row(escape(w.name), escape(str(final)), _size(final), f"{w.seconds:.1f} s")
        err.print(table)
    raise typer.Exit(0)


def _report(problems, show_all: bool, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([d.to_json() for d in problems], indent=2, ensure_ascii=False))
        terminal.diagnostics([d for d in problems if d.severity.value == "error"], show_all)
    else:
        terminal.diagnostics(problems, show_all)


@contextmanager
def _writing(name: str):
    """The spinner around one backend; yields how the backend tells its progress (None off a terminal)."""
    with terminal.status(f"writing {name}", plain=f"writing {name} …") as update:
        yield (lambda text: update(f"writing {name}: {text}")) if update else None


def _size(path: Path) -> str:
    if path.is_dir():
        total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    else:
        total = path.stat().st_size if path.exists() else 0
    return f"{total / 1024:.0f} KiB"
