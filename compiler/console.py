"""What the commands print on the terminal: one stderr console, the verbosity (`-q`/`-v`, declared
here once for every command) and the diagnostics printer. Commands import this module, never
`compiler.cli`.
"""

from __future__ import annotations

from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from compiler.model.diagnostics import Diagnostic, Severity

err = Console(stderr=True, highlight=False, soft_wrap=True)


class Fmt(str, Enum):
    text = "text"
    json = "json"


ManifestArg = Annotated[Path, typer.Argument(help="The book's manifest.", show_default=True)]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="Print only problems.")]
ListFormat = Annotated[Fmt, typer.Option("--format", help="text (aligned columns), or json (a list of objects).")]
Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="Print more detail (info diagnostics, tracebacks of bugs; for serve, every request).")]


class Terminal:
    """The verbosity the user asked for (-1 quiet, 0 normal, 1 verbose) and what follows from it."""

    def __init__(self) -> None:
        self.verbosity = 0

    def set(self, quiet: bool, verbose: bool) -> None:
        """`-q`/`-v` given to a command (after the app-wide ones: only a given flag changes it)."""
        if quiet:
            self.verbosity = -1
        elif verbose:
            self.verbosity = 1

    @property
    def animated(self) -> bool:
        """Spinners only on a terminal, and never when quiet."""
        return err.is_terminal and self.verbosity >= 0

    @contextmanager
    def status(self, message: str, plain: str | None = None):
        """A spinner showing `message` on a terminal (yields a function that changes it, or None);
        elsewhere `plain`, when given, is printed once unless quiet."""
        if self.animated:
            with err.status(message) as status:
                yield lambda m: status.update(m)
            return
        if plain and self.verbosity >= 0:
            err.print(plain)
        yield None

    def diagnostics(self, problems: list[Diagnostic]) -> None:
        styles = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
        for d in problems:
            if d.severity == Severity.INFO and self.verbosity < 1:
                continue
            err.print(f"{escape(d.location())}: [{styles[d.severity]}]{d.severity.value}[/] {d.code} {escape(d.message)}",
                      markup=True, highlight=False)
        counts = {s: sum(1 for d in problems if d.severity == s) for s in Severity}
        if problems and self.verbosity >= 0:
            err.print(f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s)")


terminal = Terminal()


def columns(rows: list[list[str]]) -> None:
    """Aligned columns without wrapping (readable in a terminal, greppable in a pipe)."""
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
