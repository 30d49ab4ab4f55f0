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

from pathlib import Path

from compiler.backends import BuildContext
from compiler.backends.pdf.chapters import prepare_chapter
from compiler.backends.pdf.chunked import usable_cores
from compiler.backends.pdf.document import Assembled, assemble
from compiler.backends.pdf.reports import limit_diagnostics, prepare_diagnostics, render_diagnostics
from compiler.backends.pdf.fetcher import BOOK_URL, THEME_URL, FetchPolicy, Refused, make_fetcher
from compiler.backends.pdf.options import PdfOptions
from compiler.backends.pdf.outline import TocEntry, toc_entries
from compiler.backends.pdf.renderer import default_memory_limit, default_timeout, render_job, run_renderer
from compiler.model.book import Book
from compiler.support.paths import relative

__all__ = ["BOOK_URL", "THEME_URL", "FetchPolicy", "PdfBackend", "PdfOptions", "Refused", "TocEntry", "assemble",
           "make_fetcher", "prepare_chapter", "render_job", "toc_entries"]


# --- the backend ---------------------------------------------------------------------------------

class PdfBackend:
    name = "pdf"
    options_model = PdfOptions

    @staticmethod
    def uses_html(options: PdfOptions) -> bool:
        """WeasyPrint prints the chapters' HTML fragments; another engine has its own writer."""
        return options.engine == "weasyprint"

    @staticmethod
    def uses_ast(options: PdfOptions) -> bool:
        """Another engine than WeasyPrint writes from the chapters' AST (Typst)."""
        return options.engine != "weasyprint"

    def build(self, book: Book, options: PdfOptions, ctx: BuildContext) -> list[Path]:
        """Write `<out>/<slug>.pdf` (`out` is the build's staging folder); a failed render is reported
        as an error, so the build publishes nothing and any previous PDF stays."""
        if options.engine != "weasyprint":       # another engine: a backend of its own (compiler/backends/typst)
            return engine_backend(options.engine).build(book, options, ctx)
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
        shown = relative(book.root, ctx.shown(target))
        assembled = assemble(book, options, ctx.theme)
        ctx.diagnostics.extend(prepare_diagnostics(book, assembled, shown))
        timeout = options.timeout or default_timeout(assembled.html)
        target.parent.mkdir(parents=True, exist_ok=True)
        job = self.job(book, options, ctx, assembled, target)
        ctx.diagnostics.extend(limit_diagnostics(job, shown))
        result = run_renderer(job, timeout)
        ctx.diagnostics.extend(render_diagnostics(book, result, shown))
        if "error" in result:   # an error: the build publishes nothing, the previous PDF stays
            target.unlink(missing_ok=True)
            return []
        return [target]

    def check(self, book: Book, options: PdfOptions, ctx: BuildContext) -> None:
        """`chapbook check`: what the PDF reports before laying out pages. What only the renderer
        finds (characters no font has, WeasyPrint's own messages, the page count) needs `build`."""
        assembled = assemble(book, options, ctx.theme)
        ctx.diagnostics.extend(prepare_diagnostics(book, assembled, relative(book.root, ctx.shown(ctx.out_dir / f"{book.meta.slug}.pdf"))))

    def job(self, book: Book, options: PdfOptions, ctx: BuildContext, assembled: Assembled, target: Path) -> dict:
        """What the renderer process needs, as plain JSON."""
        memory = options.memory_limit << 20 if options.memory_limit else default_memory_limit()
        return {
            "html": assembled.html, "target": str(target), "root": str(book.root),
            "theme": [str(f) for f in ctx.theme.folders], "assets": {k: str(v) for k, v in book.assets.items()},
            "network": book.network, "variant": None if options.variant == "none" else options.variant,
            "body_start": assembled.body_start, "memory_limit": memory,
        }


def engine_backend(engine: str):
    """The registered backend of that name (an install older than the engine: the built-in one)."""
    from compiler.backends import load_backend, registry
    if engine in registry():
        return load_backend(engine)
    from compiler.backends.typst import TypstBackend
    return TypstBackend()


