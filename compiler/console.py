"""What the commands print on the terminal: one stderr console, the verbosity (`-q`/`-v`, declared
here once for every command) and the diagnostics printer. Commands import this module, never
`compiler.cli`.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from compiler.model.diagnostics import CODES, Diagnostic, FatalError, Severity

err = Console(stderr=True, highlight=False, soft_wrap=True)


class Fmt(str, Enum):
    text = "text"
    json = "json"


ManifestArg = Annotated[Optional[Path], typer.Argument(
    help="The book's manifest, or its folder (default: the nearest book.yml here or in a folder above).",
    show_default=False)]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="Print only problems.", metavar="")]
Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="Print more detail (info diagnostics, tracebacks of bugs; for serve, every request).", metavar="")]
Strict = Annotated[bool, typer.Option("--strict/--no-strict", help="Warnings count as errors (exit 1; build writes nothing).", metavar="")]
ShowAll = Annotated[bool, typer.Option("--all", help="List every diagnostic (by default, past a screenful, a few of each code and a summary by code).", metavar="")]
Ignore = Annotated[Optional[list[str]], typer.Option("--ignore", metavar="CODE",
                   help="Leave out this diagnostic code (repeat it, or separate codes with commas); adds to the manifest's lint.ignore.")]
OutputFormat = Annotated[Optional[Fmt], typer.Option("--output-format", help="How to print the report: text, or json.")]
CacheDir = Annotated[Optional[Path], typer.Option("--cache-dir", help="The build cache's folder (default: .chapbook-cache/ beside the manifest; safe to delete).")]
NoCache = Annotated[bool, typer.Option("--no-cache", metavar="", help="Neither read nor write the build cache.")]
LegacyFormat = Annotated[Optional[str], typer.Option("--format", hidden=True,
                         help="Old spelling of --output-format (text or json).")]
Json = Annotated[bool, typer.Option("--json", help="Same as --output-format json.", metavar="")]

SCREENFUL = 40          # more visible diagnostics than this: a few of each code, then a summary by code
SHOWN_PER_CODE = 3


def ignored_codes(values: list[str] | None) -> list[str]:
    """`--ignore A --ignore B,C` -> [A, B, C]."""
    return [c.strip().upper() for v in values or [] for c in v.split(",") if c.strip()]


def report_format(output_format: Fmt | None, json_flag: bool, legacy: str | None = None) -> Fmt:
    """The report's format from --output-format / --json (and the old `--format json|text`)."""
    if legacy is not None:
        if legacy.lower() not in ("json", "text"):
            raise FatalError(f"--format {legacy}: for this command the report's format is --output-format text|json "
                             "(or --json)", 2)
        return Fmt(legacy.lower())
    return Fmt.json if json_flag else (output_format or Fmt.text)


def find_manifest(given: Path | None) -> Path:
    """The manifest: as given (a folder means its book.yml), else the nearest `book.yml` in the
    current folder or a folder above it, as git and cargo find theirs; says which when it is not here."""
    if given is not None:
        return given / "book.yml" if given.is_dir() else given
    here = Path.cwd()
    for folder in (here, *here.parents):
        candidate = folder / "book.yml"
        if candidate.is_file():
            if folder != here and terminal.verbosity >= 0:
                err.print(f"Using {escape(str(candidate))}", highlight=False)
            return candidate
    raise FatalError("no book.yml in this folder or in any folder above it; pass the manifest's path, "
                     "or start one with `chapbook init`", 2)


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

    def diagnostics(self, problems: list[Diagnostic], show_all: bool = False, summary: bool = True) -> None:
        """Every diagnostic, one line each; past a screenful (unless `show_all`) the first few of
        each code and a table counting each code. Then one line counting errors and warnings."""
        visible = [d for d in problems if d.severity != Severity.INFO or self.verbosity >= 1]
        collapse = not show_all and len(visible) > SCREENFUL
        shown: Counter = Counter()
        for d in visible:
            shown[d.code] += 1
            if not collapse or shown[d.code] <= SHOWN_PER_CODE:
                err.print(f"{escape(d.location())}: [{STYLES[d.severity]}]{d.severity.value}[/] {d.code} {escape(d.message)}",
                          markup=True, highlight=False)
        if collapse:
            self.by_code(visible)
        counts = Counter(d.severity for d in problems)
        if summary and problems and self.verbosity >= 0:
            err.print(f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s)")

    def by_code(self, visible: list[Diagnostic]) -> None:
        table = Table(title="Diagnostics by code", box=None, title_justify="left")
        for col, justify in (("code", "left"), ("severity", "left"), ("count", "right"), ("meaning", "left")):
            table.add_column(col, justify=justify)
        counted = Counter((d.code, d.severity) for d in visible)
        for (code, severity), n in sorted(counted.items()):
            table.add_row(code, severity.value, str(n), escape(CODES.get(code, (None, ""))[1]))
        err.print(table)
        hidden = sum(max(0, n - SHOWN_PER_CODE) for n in Counter(d.code for d in visible).values())
        err.print(f"{hidden} more not listed above: --all lists every one, --ignore CODE (or lint.ignore in "
                  "book.yml) leaves a code out")


STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
terminal = Terminal()


def columns(rows: list[list[str]]) -> None:
    """Aligned columns without wrapping (readable in a terminal, greppable in a pipe)."""
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
