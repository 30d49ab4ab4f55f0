"""The generated EPUB cover, typeset like the PDF's: the theme's `pdf/cover.html.j2` with the PDF
stylesheets (`pdf/print.css` and each theme's `pdf/theme.css`), rendered by WeasyPrint on a page of
the cover's proportions and rasterised by PDFium (pypdfium2), so the EPUB, the PDF and the HTML
show one design. Deterministic: WeasyPrint writes the same PDF under SOURCE_DATE_EPOCH, PDFium
draws it the same way, and the JPEG encoder has no clock.

Only the theme's files can be loaded (the PDF's confined fetcher, with no book assets): the cover
carries the book's title, subtitle and authors as escaped text, nothing else from the book.
"""

from __future__ import annotations

import base64
import io
import shutil
import tempfile
from contextlib import contextmanager

from markupsafe import escape

from compiler.load.theme import Theme
from compiler.model.book import Book

WIDTH_MM, HEIGHT_MM = 100.0, 160.0        # 1:1.6 as the pixels (1600 × 2560); narrower than A5, so the
                                          # lettering stays legible in a library thumbnail
FONT_PT = 10.5                            # the PDF's default body size: the cover's em


def typeset_cover(book: Book, theme: Theme, size: tuple[int, int], pieces=None) -> bytes:
    """The cover as JPEG bytes of `size` pixels. Raises whatever WeasyPrint or PDFium raise.
    `pieces` (backends/pieces.py) keeps it in the build cache under its page (the HTML below, which
    holds everything it shows) and the theme's files (its stylesheets and fonts)."""
    html = cover_page(book, theme)
    if pieces is not None and (kept := pieces.get(html, size)) is not None:
        return base64.b64decode(kept)
    image = rasterise(html, book, theme, size)
    if pieces is not None:
        pieces.put(base64.b64encode(image).decode("ascii"), html, size)
    return image


def cover_page(book: Book, theme: Theme) -> str:
    """The cover's HTML page: the theme's `pdf/cover.html.j2` and the PDF stylesheets."""
    from compiler.backends.pdf.fetcher import THEME_URL
    from compiler.backends.pdf.setting import tie_last_words

    env = theme.environment("pdf")
    env.filters["tie"] = tie_last_words
    section = env.get_template("cover.html.j2").render(meta=book.meta)
    layers = "".join(f'<link rel="stylesheet" href="{THEME_URL}pdf/theme.css?layer={index}">'
                     for index, _ in theme.layers("pdf/theme.css"))
    page_css = (f"@page {{ size: {WIDTH_MM}mm {HEIGHT_MM}mm; margin: 0 }} "
                f"html {{ font-size: {FONT_PT}pt }} .cover {{ min-height: {HEIGHT_MM}mm }}")
    html = (f'<!DOCTYPE html><html lang="{escape(book.meta.language)}"><head><meta charset="utf-8">'
            f"<title>{escape(book.meta.title)}</title>"
            f'<link rel="stylesheet" href="{THEME_URL}pdf/print.css">{layers}<style>{page_css}</style></head>'
            f"<body>{section}</body></html>")
    return html


def rasterise(html: str, book: Book, theme: Theme, size: tuple[int, int]) -> bytes:
    import pypdfium2
    import weasyprint

    from compiler.backends.pdf.fetcher import BOOK_URL, FetchPolicy, make_fetcher

    fetcher = make_fetcher(FetchPolicy(root=book.root, theme_folders=tuple(theme.folders), assets={}))
    with private_tempdir():   # WeasyPrint's font files live in a temporary folder removed only at collection
        pdf = weasyprint.HTML(string=html, base_url=BOOK_URL, url_fetcher=fetcher).write_pdf()
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = size[0] / page.get_width()
        image = page.render(scale=scale, draw_annots=False).to_pil().convert("RGB")
    finally:
        document.close()
    if image.size != size:
        image = image.resize(size)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, subsampling=0, optimize=False)
    return out.getvalue()


@contextmanager
def private_tempdir():
    """Temporary files made in this process go to a folder of ours, removed when done."""
    scratch, previous = tempfile.mkdtemp(prefix="chapbook-cover-"), tempfile.tempdir
    tempfile.tempdir = scratch
    try:
        yield
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(scratch, ignore_errors=True)
