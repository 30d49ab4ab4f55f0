"""EPUB 3 backend: `chapbook build --format epub` writes `<out>/<book-slug>.epub`.

Valid by construction (EPUBCheck: no errors, no warnings), whatever raw HTML the posts hold:
every chapter is re-parsed and repaired into XHTML (`xhtml`), links and images are resolved to the
files of the EPUB (`content`), the navigation and NCX come from one outline (`outline`), EbookLib
writes the package (`package`) and the ZIP's entry times are fixed for byte-identical builds
(`archive`).
"""

from __future__ import annotations

from pathlib import Path

from compiler.backends import BuildContext
from compiler.backends.epub.archive import fix_times
from compiler.backends.pieces import Pieces, theme_digest
from compiler.backends.epub.cover import make_cover
from compiler.backends.epub.layout import (
    STYLESHEET,
    Pages,
    Reports,
    guide,
    landmarks,
    placement,
)
from compiler.backends.epub.options import EpubOptions
from compiler.backends.epub.outline import outline
from compiler.backends.epub.package import Accessibility, Contents, package
from compiler.backends.epub.resources import (
    ImageError,
    Resource,
    image_name,
    is_animated,
    read_image,
    stylesheet,
    theme_fonts,
)
from compiler.model.book import Book
from compiler.model.diagnostics import Diagnostic, Severity, diag
from compiler.build.output import write_bytes

__all__ = ["EpubBackend", "EpubOptions"]


class EpubBackend:
    name = "epub"
    options_model = EpubOptions
    uses_ast = False            # it prints the chapters' HTML fragments

    def build(self, book: Book, options: EpubOptions, ctx: BuildContext) -> list[Path]:
        target = ctx.out_dir / f"{book.meta.slug}.epub"
        write_bytes(target, make_epub(book, options, ctx.theme, ctx.diagnostics, ctx))
        return [target]

    def check(self, book: Book, options: EpubOptions, ctx: BuildContext) -> None:
        """`chapbook check`: everything `build` reports, nothing written."""
        make_epub(book, options, ctx.theme, ctx.diagnostics, ctx)


def make_epub(book: Book, options: EpubOptions, theme, problems: list[Diagnostic], ctx: BuildContext | None = None) -> bytes:
    """The EPUB's bytes (separate from writing, for tests and the benchmark). `ctx`: the build's
    context, whose memo keeps the chapter sections and the generated cover (backends/pieces.py)."""
    images, hrefs, animated = embed_images(book, problems)
    place = placement(book, options.split, hrefs)
    reports = Reports()
    pages = Pages(book, theme.environment("epub"), place, reports,
                  Pieces(ctx, "epub-section", repr(place), book.meta.language))
    cover = make_cover(book, options.cover, theme, problems, Pieces(ctx, "epub-cover", theme_digest(theme)))
    text = pages.text(options.split)
    marks = landmarks(book, place, pages.labels)
    toc = outline(book, place, options.toc_depth, whole_files=options.split == "chapter")
    spine = [pages.cover(cover.image.file_name, cover.alt), pages.titlepage(), pages.nav(toc, marks), *text]
    report_chapters(book, reports, problems)
    counted = list(reports.by_source.values())
    a11y = Accessibility(images=sum(r.images for r in counted),
                         images_without_alt=sum(r.images_without_alt for r in counted), animated=animated)
    resources = [Resource(STYLESHEET, "text/css", stylesheet(theme)), *images, *theme_fonts(theme)]
    contents = Contents(spine, resources, cover.image, toc, guide(marks), a11y)
    return fix_times(package(book.meta, contents), book.meta.modified)


def embed_images(book: Book, problems: list[Diagnostic]) -> tuple[list[Resource], dict[str, str], bool]:
    """Every image the posts use (book.assets), under images/; returns resources, href map, any animated."""
    resources, hrefs, animated = [], {}, False
    for n, (href, path) in enumerate(sorted(book.assets.items()), start=1):
        try:
            data, media_type = read_image(path, book.root)
        except ImageError as exc:
            problems.append(diag("CB211", href.removeprefix("assets/"), None,
                                 f"image {exc}: left out of the EPUB (its alt text is kept)"))
            continue
        name = image_name(n, href, media_type)
        resources.append(Resource(name, media_type, data))
        hrefs[href] = name
        animated = animated or (media_type in ("image/gif", "image/webp", "image/png") and is_animated(data))
    return resources, hrefs, animated


def report_chapters(book: Book, reports: Reports, problems: list[Diagnostic]) -> None:
    """One diagnostic per chapter and kind of change, naming a few examples."""
    for source, r in sorted(reports.by_source.items()):
        if r.dropped_links:
            problems.append(diag("CB210", source, None, f"{_count(r.dropped_links, 'link')} that cannot work inside "
                                 f"an EPUB kept as text: {_examples(r.dropped_links)}"))
        if r.missing_images:
            problems.append(diag("CB211", source, None, f"{_count(r.missing_images, 'image')} not embedded (not in "
                                 f"the book folder, or not an image EPUB readers can show), replaced by alt text: "
                                 f"{_examples(r.missing_images)}"))
        if r.remote_images:
            problems.append(diag("CB211", source, None, f"{_count(r.remote_images, 'remote image')} linked, not "
                                 f"embedded (nothing is fetched): {_examples(r.remote_images)}", Severity.INFO))
        if r.fixes.renamed:
            what = ", ".join(f"{k} ×{v}" for k, v in sorted(r.fixes.renamed.items()))
            problems.append(diag("CB210", source, None, f"raw HTML adjusted to be valid XHTML: {what}", Severity.INFO))


def _count(items: list[str], noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"


def _examples(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(dict.fromkeys(i if len(i) <= 60 else i[:57] + "…" for i in items[:limit]))
    return shown + (", …" if len(items) > limit else "")

