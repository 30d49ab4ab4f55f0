"""The whole book as one HTML document, from the theme's `pdf/book.html.j2`."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from compiler import __version__
from compiler.backends.pdf.chapters import BookIds, prepare_chapter
from compiler.backends.pdf.setting import tie_last_words
from compiler.support.bidi import direction
from compiler.backends.pdf.fetcher import BOOK_URL, THEME_URL
from compiler.backends.pdf.options import PdfOptions, font_points, options_css, page_margins, page_size_mm
from compiler.backends.pdf.outline import toc_entries, toc_tree
from compiler.model.book import Book, byline, shorten
from compiler.support.locales import long_date, words
from compiler.support.paths import relative
from compiler.load.theme import Theme

STYLESHEET = THEME_URL + "pdf/print.css"
LAYER = THEME_URL + "pdf/theme.css"     # additions to print.css, one per theme of the chain that has one


@dataclass(frozen=True)
class Assembled:
    """The final HTML and what the renderer needs besides it."""
    html: str
    body_start: str | None          # id of the first main-matter element (arabic page 1)
    flattened: dict[str, int]       # chapter source -> elements flattened for depth
    cover_problem: str | None


def assemble(book: Book, options: PdfOptions, theme: Theme) -> Assembled:
    """One HTML document for the whole book, from the theme's `pdf/book.html.j2`."""
    blocks, entries, flattened = book_blocks(book, options)
    cover_url, cover_problem = cover_of(book, options)
    html = render_document(book, options, theme, blocks, entries, cover_url=cover_url)
    start = next((b["id"] for b in blocks if b["body_start"]), None)
    return Assembled(html, start, flattened, cover_problem)


def book_blocks(book: Book, options: PdfOptions) -> tuple[list[dict], list, dict[str, int]]:
    """The template's blocks (parts and chapters in reading order, chapters' HTML made ready for
    print), the contents entries, and the chapters whose over-deep content was flattened."""
    entries = toc_entries(book, options.toc_depth)
    marks = {e.id: e for e in entries}
    ids = BookIds(book.chapter_of(), _known_ids(book))
    flattened: dict[str, int] = {}
    blocks = []
    first_body = True
    fit = running_chars(options)
    for kind, chapter, part in _reading_order(book):
        if kind == "part":
            blocks.append({"kind": "part", "id": part.slug, "title": part.title, "level": marks[part.slug].level,
                           "running": shorten(part.title, fit), "body_start": first_body, "source": None})
            first_body = False
            continue
        html, deep = prepare_chapter(chapter, marks, ids, options.link_notes)
        if deep:
            flattened[chapter.source] = deep
        blocks.append({"kind": kind, "id": chapter.slug, "title": chapter.title, "level": marks[chapter.slug].level,
                       "heading": Markup(chapter.title_html) if chapter.title_html else None,
                       "lang": chapter.lang, "dir": direction(chapter.lang),
                       "running": shorten(chapter.title, fit), "byline": byline(chapter, book.meta.language),
                       "date": chapter.date.strftime("%Y-%m-%d") if chapter.date else None, "html": Markup(html),
                       "body_start": first_body and kind != "front", "source": chapter.source})
        if kind != "front":
            first_body = False
    return blocks, entries, flattened


def render_document(book: Book, options: PdfOptions, theme: Theme, blocks: list[dict], entries: list, *,
                    cover_url: str | None = None, cover: bool | None = None, extra_css: str = "") -> str:
    """The theme's `pdf/book.html.j2` over `blocks`; `extra_css` goes after the options' CSS."""
    meta = book.meta
    fit = running_chars(options)
    env = theme.environment("pdf")
    env.filters["long_date"] = lambda iso: long_date(str(iso), meta.language)   # as the HTML and EPUB spell dates
    env.filters["tie"] = tie_last_words
    template = env.get_template("book.html.j2")
    return template.render(
        book=book, meta=meta, blocks=blocks, toc=toc_tree(entries), stylesheet=STYLESHEET,
        layers=[f"{LAYER}?layer={index}" for index, _ in theme.layers("pdf/theme.css")],
        options_css=Markup(options_css(options) + extra_css), cover=options.cover if cover is None else cover,
        cover_url=cover_url, recto=options.recto_chapters, has_parts=book.has_parts,
        generator=f"chapbook {__version__}",
        modified=meta.modified.strftime("%Y-%m-%dT%H:%M:%SZ"), keywords=", ".join(meta.subjects),
        book_running=shorten(meta.title, fit),
        contents_title=words(meta.language)["contents"], words=words(meta.language),
    )


def running_chars(options: PdfOptions) -> int:
    """How many characters of a title a running header holds on one line: the text width, less
    room for page numbers in the header's corners, over the average width of a small-caps letter
    of the header's size (about 0.85 of the body's). Generous by design: a header that still does
    not fit wraps, it is never clipped."""
    width, _ = page_size_mm(options.page_size)
    margins = page_margins(options)
    room_mm = width - margins["inner"] - margins["outer"] - 16
    letter_mm = font_points(options.font_size) * 0.85 * 0.48 * 25.4 / 72
    return max(20, int(room_mm / letter_mm))


def _reading_order(book: Book):
    for chapter in book.front:
        yield "front", chapter, None
    for part in book.parts:
        if part.title and part.slug:
            yield "part", None, part
        for chapter in part.chapters:
            yield "chapter", chapter, part
    for chapter in book.back:
        yield "back", chapter, None


def _known_ids(book: Book) -> set[str]:
    ids = set(book.chapter_of())
    for chapter in book.all_chapters:
        ids.update(chapter.ids)
    return ids


def cover_of(book: Book, options: PdfOptions) -> tuple[str | None, str | None]:
    """The cover image's URL if it is a readable image inside the book, else why not."""
    path = book.meta.cover
    if not options.cover or path is None:
        return None, None
    try:
        from PIL import Image
        with Image.open(path) as image:
            image.verify()
    except Exception as exc:  # any unreadable image: fall back to a typeset cover
        return None, f"cover image {relative(book.root, path)} cannot be read ({type(exc).__name__}); a typeset cover is used"
    return BOOK_URL + relative(book.root, path), None
