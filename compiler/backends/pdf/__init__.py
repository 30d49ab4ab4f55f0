"""PDF backend: the book as print-styled HTML, typeset by WeasyPrint.

A book longer than one chunk is typeset in parallel chunks and stitched (`chunked`,
`build_chunked`, `stitch`; design and measurements in docs/pdf.md); `jobs: 1`, PDF/UA and
short books are one HTML document in one render (`build_single`).

Why it is built this way:
- Everything a printed book needs is CSS Paged Media in the theme (`pdf/print.css`): running
  headers (`string-set`), TOC page numbers (`target-counter`), footnotes (`float: footnote`),
  bookmarks (`bookmark-level`). This package only prepares the HTML and runs the renderer.
- The PDF outline and the printed table of contents come from one list (`toc_entries`), so
  they cannot disagree.
- WeasyPrint renders in a child process with CPU-time and memory limits (its docs advise this
  for untrusted input), through a URL fetcher that reads only the book folder and the theme.
- Resources have virtual URLs (`https://book.invalid/…`, `https://theme.invalid/…`): nothing
  else resolves, and the PDF does not depend on where the book lives (reproducible builds).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from compiler.backends import BuildContext
from compiler.backends.pdf.chapters import MAX_DEPTH, prepare_chapter
from compiler.backends.pdf.chunked import usable_cores
from compiler.backends.pdf.document import Assembled, assemble
from compiler.backends.pdf.fetcher import BOOK_URL, THEME_URL, FetchPolicy, Refused, make_fetcher
from compiler.backends.pdf.options import PdfOptions
from compiler.backends.pdf.outline import TocEntry, toc_entries
from compiler.backends.pdf.renderer import default_memory_limit, default_timeout, render_job, run_renderer
from compiler.model.book import Book
from compiler.model.diagnostics import Diagnostic, Severity, diag
from compiler.build.output import atomic_path
from compiler.support.paths import relative

__all__ = ["BOOK_URL", "THEME_URL", "FetchPolicy", "PdfBackend", "PdfOptions", "Refused", "TocEntry", "assemble",
           "make_fetcher", "prepare_chapter", "render_job", "toc_entries"]
MAX_MESSAGES = 20
_NOTDEF = re.compile(r'^\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)"')


# --- the backend ---------------------------------------------------------------------------------

class PdfBackend:
    name = "pdf"
    options_model = PdfOptions

    def build(self, book: Book, options: PdfOptions, ctx: BuildContext) -> list[Path]:
        """Write `<out>/<slug>.pdf`; on a failed render, report it and keep any previous PDF."""
        jobs = options.jobs or usable_cores()
        if jobs > 1 and options.variant != "pdf/ua-1":
            from compiler.backends.pdf.build_chunked import build_chunked
            built = build_chunked(self, book, options, ctx, jobs)
            if built is not None:
                return built
        return self.build_single(book, options, ctx)

    def build_single(self, book: Book, options: PdfOptions, ctx: BuildContext) -> list[Path]:
        """The whole book in one WeasyPrint render (`jobs: 1`, PDF/UA, books of one chunk)."""
        target = ctx.out_dir / f"{book.meta.slug}.pdf"
        shown = relative(book.root, target)
        assembled = assemble(book, options, ctx.theme)
        ctx.diagnostics.extend(prepare_diagnostics(book, assembled, shown))
        timeout = options.timeout or default_timeout(assembled.html)
        try:
            with atomic_path(target) as tmp:
                result = run_renderer(self.job(book, options, ctx, assembled, tmp), timeout)
                ctx.diagnostics.extend(render_diagnostics(book, result, shown))
                if "error" in result:
                    raise _Abandon()
        except _Abandon:
            return []
        return [target]

    def job(self, book: Book, options: PdfOptions, ctx: BuildContext, assembled: Assembled, target: Path) -> dict:
        """What the renderer process needs, as plain JSON."""
        memory = options.memory_limit << 20 if options.memory_limit else default_memory_limit()
        return {
            "html": assembled.html, "target": str(target), "root": str(book.root),
            "theme": [str(f) for f in ctx.theme.folders], "assets": {k: str(v) for k, v in book.assets.items()},
            "network": book.network, "variant": None if options.variant == "none" else options.variant,
            "body_start": assembled.body_start, "memory_limit": memory,
        }


class _Abandon(Exception):
    """Internal: the render failed (already reported); leave the previous PDF in place."""


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
