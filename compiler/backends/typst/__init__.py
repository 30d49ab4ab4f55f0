"""PDF backend, second engine: the book typeset by Typst (the PyPI `typst` package, in a child
process), from the same normalised Book the WeasyPrint engine receives.

Chosen with `outputs.pdf.engine: typst` or `chapbook build --pdf-engine typst`; also a backend of
its own (`typst`, listed by `chapbook backends`) taking the same options as `pdf`.

- Source: a writer of our own over each chapter's pandoc AST (writer.py), not pandoc's Typst
  writer: it escapes every character a post can contain, maps ids to generated labels unique
  book-wide, and is faster than a pandoc round trip per chapter (measured: bench/bench_typst.py).
- Template: the theme's `typst/book.typ` (a book theme may replace it); fonts from the theme
  chain's `fonts/` folders only (system fonts are ignored, so builds do not depend on the machine).
- Root: a private temporary folder holding only copies of the book's images; the source is
  passed as bytes, so Typst reads nothing else; the folder is removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from compiler.backends import BuildContext
from compiler.backends.pdf.options import PdfOptions
from compiler.backends.typst.document import Source, build_source
from compiler.backends.typst.runner import default_timeout, run_typst
from compiler.backends.pdf.renderer import default_memory_limit
from compiler.build.output import atomic_path
from compiler.model.book import Book
from compiler.model.diagnostics import Diagnostic, Severity, diag
from compiler.support.paths import relative

__all__ = ["TypstBackend", "build_source"]
MAX_MESSAGES = 20
STANDARDS = {"none": [], "pdf/ua-1": ["ua-1"], "pdf/a-3b": ["a-3b"]}


def typst_version() -> str:
    try:
        import typst
        return typst.__version__
    except ImportError:
        return "not installed"


class TypstBackend:
    name = "typst"
    options_model = PdfOptions

    def build(self, book: Book, options: PdfOptions, ctx: BuildContext) -> list[Path]:
        """Write `<out>/<slug>.pdf` with Typst; on failure, report it and keep any previous PDF."""
        target = ctx.out_dir / f"{book.meta.slug}.pdf"
        shown = relative(book.root, target)
        work = Path(tempfile.mkdtemp(prefix="chapbook-typst-"))
        try:
            root = work / "root"
            root.mkdir()
            started = time.perf_counter()
            source = build_source(book, options, ctx.theme, root)
            prepared = time.perf_counter() - started
            ctx.diagnostics.extend(source_diagnostics(source))
            source_file = work / "book.typ"           # outside the root: the document cannot read it
            source_file.write_text(source.text, encoding="utf-8")
            timeout = options.timeout or default_timeout(len(source.text))
            memory = options.memory_limit << 20 if options.memory_limit else default_memory_limit()
            with atomic_path(target) as tmp:
                result = run_typst({"source": str(source_file), "target": str(tmp), "root": str(root),
                                    "fonts": [str(p) for p in font_folders(ctx)],
                                    "standards": STANDARDS[options.variant],
                                    "timestamp": int(book.meta.modified.timestamp()),
                                    "memory_limit": memory}, timeout)
                ctx.diagnostics.extend(compile_diagnostics(source, result, shown, prepared))
                if result.get("error") or result.get("errors") or not tmp.is_file():
                    raise _Abandon()
        except _Abandon:
            return []
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return [target]


class _Abandon(Exception):
    """Internal: the compile failed (already reported); leave the previous PDF in place."""


def font_folders(ctx: BuildContext) -> list[Path]:
    """The theme chain's font folders (the book's theme first)."""
    return [folder / "fonts" for folder in ctx.theme.folders if (folder / "fonts").is_dir()]


def source_diagnostics(source: Source) -> list[Diagnostic]:
    found = [diag(code, post, None, message) for code, post, message in source.problems]
    found += [diag("CB273", post, None, f"PDF (Typst): {count} element(s) nested too deeply were printed as plain text")
              for post, count in source.flattened.items()]
    return found


def compile_diagnostics(source: Source, result: dict, shown: str, prepared: float) -> list[Diagnostic]:
    """Typst's errors and warnings, placed on the post whose content they are about."""
    found = []
    for problem in result.get("errors", []):
        found.append(_placed("CB270", source, problem, shown, Severity.ERROR))
    warnings = result.get("warnings", [])
    for problem in warnings[:MAX_MESSAGES]:
        found.append(_placed("CB274", source, problem, shown, Severity.WARNING))
    if len(warnings) > MAX_MESSAGES:
        found.append(diag("CB274", shown, None, f"PDF (Typst): {len(warnings) - MAX_MESSAGES} more Typst warning(s)"))
    if result.get("error"):
        found.append(diag("CB270", shown, None, f"PDF not written: {result['error']}", Severity.ERROR))
    elif result.get("errors"):
        found.append(diag("CB270", shown, None, "PDF not written: Typst reported the errors above", Severity.ERROR))
    else:
        found.append(diag("CB270", shown, None, f"PDF (Typst {typst_version()}): source {prepared:.1f} s; Typst "
                                                f"{result.get('cpu', 0):.1f} s CPU, peak memory "
                                                f"{result.get('maxrss_kb', 0) >> 10} MB", Severity.INFO))
    return found


def _placed(code: str, source: Source, problem: dict, shown: str, severity: Severity) -> Diagnostic:
    post = next(filter(None, map(source.post_at, problem.get("lines", []))), None)
    where = "in the post's content" if post else "in the theme's typst/book.typ or the book's furniture"
    hints = "".join(f"; hint: {h}" for h in problem.get("hints", []))
    return diag(code, post or shown, None, f"PDF (Typst), {where}: {problem['message']}{hints}", severity)
