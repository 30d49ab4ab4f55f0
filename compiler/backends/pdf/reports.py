"""What the PDF backend reports: before rendering (flattened nesting, the cover), the renderer's
refusals, messages and failure, and the limits it runs under."""

from __future__ import annotations

import re
import resource
from urllib.parse import unquote, urlsplit

from compiler.backends.pdf.chapters import MAX_DEPTH
from compiler.backends.pdf.document import Assembled
from compiler.backends.pdf.fetcher import BOOK_URL, THEME_URL
from compiler.model.book import Book
from compiler.model.diagnostics import Diagnostic, Severity, diag
from compiler.support import limits

MAX_MESSAGES = 20
_NOTDEF = re.compile(r'^\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)"')


def limit_diagnostics(job: dict, shown: str) -> list[Diagnostic]:
    """Say (info, shown with -v) when the renderer's memory is capped by a limit already in force."""
    hard = limits.hard_limit(resource.RLIMIT_AS)
    if hard is not None and job.get("memory_limit") == hard:
        return [diag("CB222", shown, None, f"PDF: the renderer may use {hard >> 20} MiB, the address-space limit in "
                     "force here (ulimit -v, prlimit or a container), instead of its default of 75% of RAM",
                     Severity.INFO)]
    return []


def prepare_diagnostics(book: Book, assembled: Assembled, shown: str) -> list[Diagnostic]:
    found = [diag("CB220", source, None, f"PDF: {count} element(s) nested more than {MAX_DEPTH} levels deep "
                                         "were flattened to text") for source, count in assembled.flattened.items()]
    if assembled.cover_problem:
        found.append(diag("CB202", shown, None, assembled.cover_problem))
    return found


def render_diagnostics(book: Book, result: dict, shown: str) -> list[Diagnostic]:
    """The renderer's refusals (CB201, CB221 for fonts), warnings (CB220) and failure (CB220 error)."""
    found = []
    for url, reason in dict.fromkeys(tuple(r) for r in result.get("refused", [])):
        where = _source_of(book, url) or shown
        if re.search(r"\.(otf|ttf|woff2?)$", url, re.I):
            found.append(diag("CB221", where, None, f"PDF: font {url} not loaded: {reason}"))
        else:
            found.append(diag("CB201", where, None, f"PDF: {_shown_url(url)} left out: {reason}"))
    messages = list(dict.fromkeys(result.get("messages", [])))
    missing = [m[1] for m in map(_NOTDEF.search, messages) if m]
    if missing:
        shown_chars = "".join(dict.fromkeys("".join(missing)))
        found.append(diag("CB220", shown, None, f"PDF: characters no font has, printed as boxes: {shown_chars[:60]} "
                                                "(install or add a font that has them)"))
        messages = [m for m in messages if not _NOTDEF.search(m)]
    for message in messages[:MAX_MESSAGES]:
        severity = Severity.INFO if message.startswith(("Ignored", "Unsupported")) else None
        found.append(diag("CB220", shown, None, f"PDF: WeasyPrint: {message[:300]}", severity))
    if len(messages) > MAX_MESSAGES:
        found.append(diag("CB220", shown, None, f"PDF: {len(messages) - MAX_MESSAGES} more WeasyPrint message(s)"))
    if "error" in result:
        found.append(diag("CB220", shown, None, f"PDF not written: {result['error']}", Severity.ERROR))
    else:
        found.append(diag("CB220", shown, None, f"PDF: {result['pages']} pages; renderer {result['cpu']:.1f} s CPU, "
                                                f"peak memory {result['maxrss_kb'] >> 10} MB", Severity.INFO))
    return found


def _shown_url(url: str) -> str:
    for base, label in ((BOOK_URL, ""), (THEME_URL, "theme file ")):
        if url.startswith(base):
            return label + unquote(url[len(base):])
    return url if len(url) <= 80 else url[:77] + "…"


def _source_of(book: Book, url: str) -> str | None:
    """The chapter whose HTML names the refused resource (by its last path segment)."""
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) if "/" in url else url
    if not name:
        return None
    for chapter in book.all_chapters:
        if f'{name}"' in chapter.html or f"{name})" in chapter.html:
            return chapter.source
    return None
