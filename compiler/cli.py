"""The `chapbook` command. Thin: parse arguments, call the stages, print diagnostics.

Exit codes: 0 ok; 1 the book has errors (or warnings with --strict); 2 bad usage or an unreadable
manifest, theme or backend; 3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from compiler import __version__
from compiler.model.diagnostics import Diagnostic, FatalError, Severity, has_errors
from compiler.support.heap import paused_gc
from compiler.build.output import OutputFolderError, publish, staging

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Compile a series of blog posts into a book: EPUB, PDF and HTML.")
err = Console(stderr=True, highlight=False, soft_wrap=True)
DEFAULT_FORMATS = ("epub", "pdf", "html")


class Fmt(str, Enum):
    text = "text"
    json = "json"


class State:
    verbosity = 0


ManifestArg = Annotated[Path, typer.Argument(help="The book's manifest.", show_default=True)]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="Print only problems.")]
Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="Print more detail (info diagnostics, tracebacks of bugs).")]


def _verbosity(quiet: bool, verbose: bool) -> None:
    if quiet:
        State.verbosity = -1
    elif verbose:
        State.verbosity = 1


def _version(value: bool):
    if value:
        typer.echo(f"chapbook {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    quiet: Quiet = False,
    verbose: Verbose = False,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
):
    State.verbosity = -1 if quiet else (1 if verbose else 0)


def _load(manifest: Path):
    from compiler.backends import option_models
    from compiler.load.manifest import load_manifest
    return load_manifest(manifest, option_models())


def _compile(manifest: Path, render: bool = True):
    from compiler.compile.assemble import compile_book
    loaded = _load(manifest)
    if State.verbosity >= 1:
        err.print(f"[bold]Compiling[/] {escape(loaded.manifest.title)} ({escape(str(manifest))})")
    with paused_gc(freeze=True):   # a command runs once: the collector need never walk the book
        if err.is_terminal and State.verbosity >= 0:
            with err.status("compiling") as status:
                book, problems = compile_book(loaded, render=render, progress=lambda m: status.update(m))
        else:
            book, problems = compile_book(loaded, render=render)
    return loaded, book, problems


def _print_diagnostics(problems: list[Diagnostic]) -> None:
    styles = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    for d in problems:
        if d.severity == Severity.INFO and State.verbosity < 1:
            continue
        err.print(f"{escape(d.location())}: [{styles[d.severity]}]{d.severity.value}[/] {d.code} {escape(d.message)}",
                  markup=True, highlight=False)
    counts = {s: sum(1 for d in problems if d.severity == s) for s in Severity}
    if problems and State.verbosity >= 0:
        err.print(f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s)")


@app.command()
def check(
    manifest: ManifestArg = Path("book.yml"),
    strict: Annotated[bool, typer.Option(help="Warnings count as errors (exit 1).")] = False,
    format: Annotated[Fmt, typer.Option("--format", help="text, or json: a list of {code, severity, path, line, message}.")] = Fmt.text,
    quiet: Quiet = False,
    verbose: Verbose = False,
):
    """Compile the book without writing it and report every problem found in its sources."""
    _verbosity(quiet, verbose)
    _, _, problems = _compile(manifest, render=False)
    if format == Fmt.json:
        typer.echo(json.dumps([d.to_json() for d in problems], indent=2, ensure_ascii=False))
    else:
        _print_diagnostics(problems)
    raise typer.Exit(1 if has_errors(problems, strict) else 0)


@app.command()
def toc(
    manifest: ManifestArg = Path("book.yml"),
    format: Annotated[Fmt, typer.Option("--format", help="text, or json: {title, chapters: [...]}.")] = Fmt.text,
    quiet: Quiet = False,
    verbose: Verbose = False,
):
    """Print the book's table of contents: chapters in order, with their sections."""
    _verbosity(quiet, verbose)
    _, book, problems = _compile(manifest, render=False)
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


@app.command()
def build(
    manifest: ManifestArg = Path("book.yml"),
    format: Annotated[Optional[str], typer.Option("--format", "-f", help="Comma-separated formats (default: the manifest's outputs, else epub,pdf,html).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder (default: dist/ beside the manifest).")] = None,
    strict: Annotated[bool, typer.Option(help="Warnings count as errors: nothing is written.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
):
    """Compile the book and write it in each format. Nothing is written if the book has errors."""
    _verbosity(quiet, verbose)
    from compiler.backends import BuildContext, build_order, load_backend
    from compiler.load.theme import load_theme

    with paused_gc(freeze=True):   # one pause for the whole build: compile and every backend (compiler/heap.py)
        loaded, book, problems = _compile(manifest)
        _print_diagnostics(problems)
        if has_errors(problems, strict):
            err.print("[bold red]Not built:[/] fix the errors above" + (" (or drop --strict)" if strict else "") + "; previous outputs are untouched.")
            raise typer.Exit(1)
        formats = [f.strip() for f in format.split(",") if f.strip()] if format else list(loaded.manifest.outputs or DEFAULT_FORMATS)
        backends = {name: load_backend(name) for name in formats}
        theme = load_theme(loaded.manifest.theme, loaded.root)
        out_dir = (out or loaded.root / "dist").resolve()
        try:
            staged = staging(out_dir)
        except OutputFolderError as exc:
            raise FatalError(f"cannot write the book into {out_dir}: {exc.strerror}; choose another folder "
                             "with --out", 2) from None
        ctx = BuildContext(out_dir=staged, theme=theme, formats=tuple(build_order(formats)))
        summary = []
        try:
            _write_formats(book, loaded, backends, ctx, summary)
            failed = has_errors(ctx.diagnostics, strict)
            moved = {} if failed else publish(staged, out_dir)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    _print_diagnostics(ctx.diagnostics)
    if failed:
        err.print("[bold red]Not written:[/] fix the errors above" + (" (or drop --strict)" if strict else "")
                  + "; the previous outputs are untouched.")
        raise typer.Exit(1)
    if State.verbosity >= 0:
        table = Table(title="Outputs", show_edge=False)
        for col in ("format", "file", "size", "time"):
            table.add_column(col)
        for name, paths, secs in summary:
            for p in paths:
                final = moved.get(p) or out_dir / p.relative_to(staged)
                table.add_row(escape(name), escape(str(final)), _size(final), f"{secs:.1f} s")
        err.print(table)
    raise typer.Exit(0)


def _write_formats(book, loaded, backends, ctx, summary) -> None:
    """Run each backend in build order; `summary` gets (format, paths, seconds)."""
    for name in ctx.formats:
        backend = backends[name]
        options = backend.options_model.model_validate(loaded.manifest.outputs.get(name) or {})
        start = time.perf_counter()
        if err.is_terminal and State.verbosity >= 0:
            with err.status(f"writing {name}") as status:
                ctx.progress = lambda text, name=name: status.update(f"writing {name}: {text}")
                paths = backend.build(book, options, ctx)
                ctx.progress = None
        else:
            if State.verbosity >= 0:
                err.print(f"writing {name} …")
            paths = backend.build(book, options, ctx)
        ctx.outputs[name] = paths
        summary.append((name, paths, time.perf_counter() - start))


def _register_commands() -> None:
    from compiler.commands import init as init_cmd, listing, serve as serve_cmd
    app.command("init")(init_cmd.init)
    app.command("serve")(serve_cmd.serve)
    app.command("themes")(listing.themes)
    app.command("backends")(listing.backends)


_register_commands()


def _size(path: Path) -> str:
    if path.is_dir():
        total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    else:
        total = path.stat().st_size if path.exists() else 0
    return f"{total / 1024:.0f} KiB"


def main() -> None:
    """Entry point: every FatalError becomes a message and its exit code; nothing else escapes."""
    import jinja2

    from compiler.load.theme import template_problem

    signal.signal(signal.SIGTERM, _terminated)   # like Ctrl-C: temporary files are removed on the way out
    try:
        app()
    except jinja2.TemplateError as exc:   # a theme's template (Chapbook's own are tested)
        exc = template_problem(exc)
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except FatalError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, with the traceback only when asked
        if State.verbosity >= 1 or os.environ.get("CHAPBOOK_DEBUG"):
            err.print_exception()
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))} "
                  "(run with -v for details; please report it)",
                  highlight=False)
        sys.exit(3)


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt
