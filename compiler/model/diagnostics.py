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


# code -> (default severity, meaning). The README's table says the same (tests/unit/test_docs.py).
CODES: dict[str, tuple[Severity, str]] = {
    "CB100": (Severity.ERROR, "post cannot be read (missing, not UTF-8, not a regular file, outside the book folder)"),
    "CB101": (Severity.WARNING, "empty section"),
    "CB102": (Severity.WARNING, "editorial note left in the text"),
    "CB103": (Severity.ERROR, "missing title"),
    "CB104": (Severity.INFO, "missing description"),     # info: only the HTML contents and meta tags use it
    "CB105": (Severity.WARNING, "unparseable or malformed date (not ISO 8601)"),
    "CB106": (Severity.WARNING, "heading level jump (## then ####)"),   # closed up in the book; the author may fix the post
    "CB107": (Severity.WARNING, "broken in-book link (no such heading)"),
    "CB108": (Severity.WARNING, "duplicate slug (the second chapter gets a numbered id)"),
    "CB109": (Severity.WARNING, "two posts that look like versions of one text"),
    "CB110": (Severity.WARNING, "site-relative link with no site_url: kept as plain text"),
    "CB111": (Severity.WARNING, "draft post"),
    "CB112": (Severity.WARNING, "unsafe HTML removed"),
    "CB113": (Severity.ERROR, "front matter cannot be parsed"),
    "CB114": (Severity.WARNING, "front matter without its opening ---"),
    "CB115": (Severity.ERROR, "pandoc failed or ran out of time or memory on this post, or it is nested too deeply"),
    "CB116": (Severity.WARNING, "image missing or refused"),
    "CB117": (Severity.INFO, "remote resource not fetched (network not allowed)"),
    "CB118": (Severity.WARNING, "a boilerplate rule removed nothing"),
    "CB119": (Severity.WARNING, "blog-engine syntax (Liquid, shortcode) not understood: removed"),
    "CB120": (Severity.INFO, "blog-engine syntax converted"),
    "CB121": (Severity.WARNING, "control characters or Unicode noncharacters removed (not allowed in EPUB or HTML)"),
    "CB122": (Severity.WARNING, "a front-matter key given twice: the last one is used"),
    "CB123": (Severity.WARNING, 'a front-matter value of the wrong kind (draft: "false"): ignored'),
    "CB124": (Severity.WARNING, "image without alt text: the EPUB claims no WCAG conformance"),
    "CB128": (Severity.WARNING, "a link that could be two or more posts of the book: kept as it was"),
    "CB129": (Severity.INFO, "posts whose address on the blog is not known: no \"Read the original post\" link"),
    "CB130": (Severity.WARNING, "links that look like posts of this book on a site: set site_url"),
    "CB131": (Severity.WARNING, "the site config cannot be read: the engine's default permalinks are used"),
    "CB135": (Severity.INFO, "a block repeated across posts (series blurb, subscribe block) that no boilerplate rule removes"),
    "CB145": (Severity.INFO, "build cache entry unreadable or damaged: ignored and computed again"),
    "CB140": (Severity.WARNING, "raw HTML element left out with its content (template, textarea, title, xmp): it would print as markup"),
    "CB150": (Severity.ERROR, "nesting too deep: lists, quotes or emphasis nested past the limit"),
    "CB151": (Severity.ERROR, "post too large"),
    "CB152": (Severity.WARNING, "raw HTML element or comment never closed (textarea, script, title, <!--…): its tag left out, the text after it kept"),
    # Backends (reserved ranges: EPUB CB21x, PDF CB22x, HTML CB23x, plugins CB29x)
    "CB201": (Severity.WARNING, "resource refused (outside the book, unsupported scheme, or network not allowed)"),
    "CB202": (Severity.WARNING, "cover image missing or unreadable: a generated cover is used"),
    "CB210": (Severity.WARNING, "EPUB: content adjusted to be valid XHTML"),
    "CB211": (Severity.WARNING, "EPUB: image could not be embedded"),
    "CB220": (Severity.WARNING, "PDF: rendering problem reported by WeasyPrint"),
    "CB221": (Severity.WARNING, "PDF: font not embedded or missing"),
    "CB222": (Severity.INFO, "PDF: the renderer's limits fitted to the limits in force"),
    "CB230": (Severity.WARNING, "HTML: page problem"),
    "CB240": (Severity.WARNING, "DOCX: conversion problem"),
    "CB250": (Severity.WARNING, "EPUB: the cover could not be typeset like the PDF's: a simpler cover is drawn"),
    "CB260": (Severity.ERROR, "a post too large for the PDF: a stretch between two headings over the chunk limit (the file is named)"),
    "CB261": (Severity.ERROR, "a PDF renderer process crashed, ran out of memory or time: no PDF written, the previous one kept"),
    "CB262": (Severity.INFO, "how the chunked PDF was built: pages, chunks, segments, chunks reused from the cache, CPU, memory"),
    "CB263": (Severity.ERROR, "the chunked PDF's page plan did not hold (a bug): build it with outputs.pdf.jobs: 1"),
    "CB270": (Severity.WARNING, "PDF (Typst engine): Typst error or summary; the PDF is not written on error"),
    "CB271": (Severity.WARNING, "raw Typst block in a post dropped (posts cannot run Typst code)"),
    "CB272": (Severity.WARNING, "PDF (Typst engine): image left out (remote, unreadable, too large or unsupported)"),
    "CB273": (Severity.WARNING, "PDF (Typst engine): content nested too deeply printed as plain text"),
    "CB274": (Severity.WARNING, "PDF (Typst engine): warning reported by Typst"),
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


@dataclass(frozen=True)
class LintPolicy:
    """What the author chose to hear: codes ignored (`lint.ignore`, `--ignore`) and severities
    changed (`lint.severity`). Errors can be neither ignored nor lowered: a book with an error is not
    built, whatever the policy says."""
    ignore: frozenset[str] = frozenset()
    severity: tuple[tuple[str, Severity], ...] = ()

    def apply(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        if not self.ignore and not self.severity:
            return diagnostics
        changed = dict(self.severity)
        kept = []
        for d in diagnostics:
            if d.severity == Severity.ERROR:
                kept.append(d)
            elif d.code not in self.ignore:
                new = changed.get(d.code)
                kept.append(Diagnostic(d.code, new, d.path, d.line, d.message) if new else d)
        return kept

    def with_ignored(self, codes: list[str]) -> "LintPolicy":
        return LintPolicy(self.ignore | {c.upper() for c in codes}, self.severity)


def lint_code_problem(code: str) -> str | None:
    """Why `code` cannot be ignored or lowered (unknown, or an error), else None."""
    if code not in CODES:
        return f"{code!r} is not a Chapbook diagnostic code (see the README's table)"
    if CODES[code][0] == Severity.ERROR:
        return f"{code} is an error: it stops the build and cannot be ignored or lowered"
    return None


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
