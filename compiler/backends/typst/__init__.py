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
from compiler.backends.typst.chunks import compile_chunked, wants_chunks
from compiler.backends.typst.document import Composer, Source, build_source
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
    uses_html = False           # its own writer over the chapters' AST (the build skips the HTML)

    def build(self, book: Book, options: PdfOptions, ctx: BuildContext) -> list[Path]:
        """Write `<out>/<slug>.pdf` with Typst; on failure, report it and keep any previous PDF."""
        target = ctx.out_dir / f"{book.meta.slug}.pdf"
        shown = relative(book.root, target)
        work = Path(tempfile.mkdtemp(prefix="chapbook-typst-"))
        try:
            root = work / "root"
            root.mkdir()
            started = time.perf_counter()
            composer = Composer(book, options, ctx.theme, root)
            fonts = [str(p) for p in font_folders(ctx)]
            memory = options.memory_limit << 20 if options.memory_limit else default_memory_limit()
            timestamp = int(book.meta.modified.timestamp())

            def compile_source(source: Source, pdf: Path) -> dict:
                source_file = work / f"{pdf.stem}.typ"     # outside the root: the document cannot read it
                source_file.write_text(source.text, encoding="utf-8")
                timeout = options.timeout or default_timeout(len(source.text))
                result = run_typst({"source": str(source_file), "target": str(pdf), "root": str(root),
                                    "fonts": fonts, "standards": STANDARDS[options.variant],
                                    "timestamp": timestamp, "memory_limit": memory}, timeout)
                if result.get("errors"):            # placed while this chunk's line map is at hand
                    result["placed"] = [_placed("CB270", source, p, "", Severity.ERROR) for p in result["errors"]]
                result["placed_warnings"] = [_placed("CB274", source, p, "", Severity.WARNING)
                                             for p in result.get("warnings", [])]
                return result

            with atomic_path(target) as tmp:
                if wants_chunks(composer):
                    result = compile_chunked(composer, compile_source, tmp, work, options.jobs)
                    source = None
                else:
                    source = composer.source(composer.front() + composer.body(), contents="outline")
                    result = compile_source(source, tmp)
                prepared = time.perf_counter() - started
                ctx.diagnostics.extend(source_diagnostics(composer))
                ctx.diagnostics.extend(compile_diagnostics(result, shown, prepared))
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


def source_diagnostics(composer) -> list[Diagnostic]:
    problems = dict.fromkeys(composer.problems)          # chunks compiled twice report once
    found = [diag(code, post, None, message) for code, post, message in problems]
    found += [diag("CB273", post, None, f"PDF (Typst): {count} element(s) nested too deeply were printed as plain text")
              for post, count in composer.flattened.items()]
    return found


def compile_diagnostics(result: dict, shown: str, prepared: float) -> list[Diagnostic]:
    """Typst's errors and warnings, placed on the post whose content they are about."""
    found = [_shown(d, shown) for d in result.get("placed", [])]
    warnings = list(dict.fromkeys(_shown(d, shown) for d in result.get("placed_warnings", [])))
    found += warnings[:MAX_MESSAGES]
    if len(warnings) > MAX_MESSAGES:
        found.append(diag("CB274", shown, None, f"PDF (Typst): {len(warnings) - MAX_MESSAGES} more Typst warning(s)"))
    if result.get("error"):
        found.append(diag("CB270", shown, None, f"PDF not written: {result['error']}", Severity.ERROR))
    elif result.get("errors"):
        found.append(diag("CB270", shown, None, "PDF not written: Typst reported the errors above", Severity.ERROR))
    else:
        found.append(diag("CB270", shown, None, f"PDF (Typst {typst_version()}): {prepared:.1f} s in all; Typst "
                                                f"{result.get('cpu', 0):.1f} s CPU, peak memory "
                                                f"{result.get('maxrss_kb', 0) >> 10} MB", Severity.INFO))
    return found


def _shown(d: Diagnostic, shown: str) -> Diagnostic:
    return d if d.path else diag(d.code, shown, None, d.message, d.severity)


def _placed(code: str, source: Source, problem: dict, shown: str, severity: Severity) -> Diagnostic:
    post = next(filter(None, map(source.post_at, problem.get("lines", []))), None)
    where = "in the post's content" if post else "in the theme's typst/book.typ or the book's furniture"
    hints = "".join(f"; hint: {h}" for h in problem.get("hints", []))
    return diag(code, post or shown or "", None, f"PDF (Typst), {where}: {problem['message']}{hints}", severity)
