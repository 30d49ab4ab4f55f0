"""Problems found in a book's sources, reported like a linter: code, severity, file, line.

Every code is stable and documented in the README. `FatalError` is the one exception type that
stops a build; the CLI turns it into a message and an exit code. Nothing else should escape.
"""

from __future__ import annotations

from dataclasses import dataclass, asdict
from enum import Enum
from pathlib import Path


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# code -> (default severity, short title). The README's table is generated from this.
CODES: dict[str, tuple[Severity, str]] = {
    "CB100": (Severity.ERROR, "post cannot be read (missing, not UTF-8, outside the book folder)"),
    "CB101": (Severity.WARNING, "empty section"),
    "CB102": (Severity.WARNING, "editorial note left in the text"),
    "CB103": (Severity.ERROR, "missing title"),
    "CB104": (Severity.WARNING, "missing description"),
    "CB105": (Severity.WARNING, "unparseable or malformed date"),
    "CB106": (Severity.WARNING, "heading level jump"),
    "CB107": (Severity.WARNING, "broken in-book link"),
    "CB108": (Severity.WARNING, "duplicate slug"),
    "CB109": (Severity.WARNING, "posts that look like versions of one text"),
    "CB110": (Severity.WARNING, "site-relative link with no site_url: kept as text"),
    "CB111": (Severity.WARNING, "draft post"),
    "CB112": (Severity.WARNING, "unsafe HTML removed (script, event handler, dangerous URL)"),
    "CB113": (Severity.ERROR, "front matter cannot be parsed"),
    "CB114": (Severity.WARNING, "front matter without its opening ---"),
    "CB115": (Severity.ERROR, "pandoc failed or ran out of time or memory on this post"),
    "CB116": (Severity.WARNING, "image missing or refused"),
    "CB117": (Severity.INFO, "remote resource not fetched (network not allowed)"),
    "CB118": (Severity.WARNING, "boilerplate rule matched nothing"),
    "CB119": (Severity.WARNING, "blog-engine syntax not understood: removed (left as text when unterminated)"),
    "CB120": (Severity.INFO, "blog-engine syntax converted (one summary per post)"),
    "CB121": (Severity.WARNING, "control characters or Unicode noncharacters removed (not allowed in EPUB or HTML)"),
    "CB122": (Severity.WARNING, "a front-matter key given twice: the last one is used"),
    "CB123": (Severity.WARNING, "a front-matter value of the wrong kind: ignored"),
    "CB150": (Severity.ERROR, "nesting too deep: lists, quotes or emphasis nested past the limit"),
    "CB151": (Severity.ERROR, "post too large"),
    # Backends (reserved ranges: EPUB CB21x, PDF CB22x, HTML CB23x, plugins CB29x)
    "CB201": (Severity.WARNING, "resource refused (outside the book, unsupported scheme, or network not allowed)"),
    "CB202": (Severity.WARNING, "cover image missing or unreadable: a generated cover is used"),
    "CB210": (Severity.WARNING, "EPUB: content adjusted to be valid XHTML"),
    "CB211": (Severity.WARNING, "EPUB: image could not be embedded"),
    "CB220": (Severity.WARNING, "PDF: rendering problem reported by WeasyPrint"),
    "CB221": (Severity.WARNING, "PDF: font not embedded or missing"),
    "CB230": (Severity.WARNING, "HTML: page problem"),
    "CB240": (Severity.WARNING, "DOCX: conversion problem"),
    "CB290": (Severity.WARNING, "backend plugin warning"),
}


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    path: str  # relative to the manifest's folder, POSIX separators
    line: int | None
    message: str

    def to_json(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


def diag(code: str, path: str, line: int | None, message: str, severity: Severity | None = None) -> Diagnostic:
    """A diagnostic with the code's default severity unless one is given."""
    return Diagnostic(code, severity or CODES[code][0], path, line, message)


def has_errors(diagnostics: list[Diagnostic], strict: bool = False) -> bool:
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return any(d.severity in failing for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple:
    return (d.path, d.line or 0, d.code, d.message)


class FatalError(Exception):
    """A problem that stops everything: an unreadable manifest, a bad theme, an unknown backend."""

    def __init__(self, message: str, exit_code: int = 2, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else (f"{self.path}: " if self.path else "")
        return f"{where}{self.message}"
