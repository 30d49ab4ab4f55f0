"""The `chapbook` command. Thin: the Typer app, one module per command (`compiler.commands`), and
`main`, which turns every failure into a message and an exit code.

Exit codes: 0 ok; 1 the book has errors (or warnings with --strict); 2 bad usage or an unreadable
manifest, theme or backend; 3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Annotated, Optional

import jinja2
import typer
from rich.markup import escape

from compiler.build.run import versions
from compiler.commands import backends, build, check, clean, init, serve, themes, toc
from compiler.console import Quiet, Verbose, err, terminal
from compiler.load.theme import template_problem
from compiler.model.diagnostics import FatalError

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Compile a series of blog posts into a book: EPUB, PDF and HTML.")


def _version(value: bool):
    if value:
        for name, version in versions():
            typer.echo(f"{name} {version}")
        raise typer.Exit()


@app.callback()
def main_options(
    quiet: Quiet = False,
    verbose: Verbose = False,
    version: Annotated[Optional[bool], typer.Option("--version", "-V", callback=_version, is_eager=True, metavar="",
                                                    help="Print the versions of Chapbook, pandoc, WeasyPrint and Typst, and exit.")] = None,
):
    terminal.verbosity = -1 if quiet else (1 if verbose else 0)


for command in (check.check, toc.toc, build.build, clean.clean, init.init, serve.serve, themes.themes,
                backends.backends):
    app.command(command.__name__)(command)


def main() -> None:
    """Entry point: every FatalError becomes a message and its exit code; nothing else escapes."""
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
        if terminal.verbosity >= 1 or os.environ.get("CHAPBOOK_DEBUG"):
            err.print_exception()
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))} "
                  "(run with -v for details; please report it)",
                  highlight=False)
        sys.exit(3)


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt
