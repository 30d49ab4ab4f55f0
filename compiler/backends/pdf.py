"""PDF backend: the whole book as one print-styled HTML document, typeset by WeasyPrint.

Why it is built this way:
- Everything a printed book needs is CSS Paged Media in the theme (`pdf/print.css`): running
  headers (`string-set`), TOC page numbers (`target-counter`), footnotes (`float: footnote`),
  bookmarks (`bookmark-level`). This module only prepares the HTML and runs the renderer.
- The PDF outline and the printed table of contents come from one list (`toc_entries`), so
  they cannot disagree.
- WeasyPrint renders in a child process with a time and a memory limit (its docs advise this
  for untrusted input), through a URL fetcher that reads only the book folder and the theme.
- Resources have virtual URLs (`https://book.invalid/…`, `https://theme.invalid/…`): nothing
  else resolves, and the PDF does not depend on where the book lives (reproducible builds).
"""

from __future__ import annotations

import json
import os
import re
import resource
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from compiler import __version__
from compiler.backends import BackendOptions, BuildContext
from compiler.book import Book, Chapter
from compiler.diagnostics import Diagnostic, Severity, diag
from compiler.output import atomic_path
from compiler.paths import relative

BOOK_URL = "https://book.invalid/"
THEME_URL = "https://theme.invalid/"
STYLESHEET = THEME_URL + "pdf/print.css"
MAX_DEPTH = 48                   # deeper nesting is flattened: WeasyPrint recurses per level
MAX_RESOURCE_BYTES = 64 << 20
MAX_MESSAGES = 20

# --- options -------------------------------------------------------------------------------------

PAGE_SIZES_MM = {"A3": (297, 420), "A4": (210, 297), "A5": (148, 210), "A6": (105, 148), "B5": (176, 250),
                 "LETTER": (215.9, 279.4), "LEGAL": (215.9, 355.6)}
_UNIT_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt|pc|px)\s*$")
_SIZE_HELP = "use A4, A5, Letter, 6in x 9in, or WIDTH x HEIGHT with units mm, cm, in or pt"


def length_mm(text: str) -> float:
    """A CSS absolute length ("18mm", "0.75in") in millimetres; ValueError with the accepted forms."""
    match = _LENGTH.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a length; write a number with a unit, like 18mm, 2cm, 0.75in or 54pt")
    return float(match[1]) * _UNIT_MM[match[2]]


def page_size_mm(text: str) -> tuple[float, float]:
    """Width and height of a page size ("A5", "Letter", "6in × 9in") in millimetres."""
    name = str(text).strip()
    if name.upper() in PAGE_SIZES_MM:
        return PAGE_SIZES_MM[name.upper()]
    parts = [p for p in re.split(r"\s*[x×*]\s*|\s+", name.lower()) if p]
    if len(parts) != 2:
        raise ValueError(f"page_size {text!r} is not a page size; {_SIZE_HELP}")
    try:
        width, height = (length_mm(p) for p in parts)
    except ValueError:
        raise ValueError(f"page_size {text!r} is not a page size; {_SIZE_HELP}") from None
    if not (50 <= width <= 1000 and 50 <= height <= 1000):
        raise ValueError(f"page_size {text!r}: each side must be between 50mm and 1000mm")
    return width, height


class Margins(BaseModel):
    """Page margins; `inner` is the binding side (left on right-hand pages)."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    top: str | None = None
    bottom: str | None = None
    inner: str | None = None
    outer: str | None = None

    @field_validator("top", "bottom", "inner", "outer")
    @classmethod
    def _length(cls, v: str | None) -> str | None:
        if v is not None:
            length_mm(v)
        return v


class PdfOptions(BackendOptions):
    """`outputs.pdf` in book.yml. See docs/pdf.md."""
    page_size: str = Field("A5", description="A4, A5, Letter, 6in x 9in, or WIDTH x HEIGHT")
    margins: str | Margins | None = Field(None, description="One length for all sides, or top/bottom/inner/outer")
    font_size: str | float = Field("10.5pt", description="Body text size (a number means points)")
    recto_chapters: bool = Field(False, description="Start chapters and parts on right-hand pages")
    link_notes: bool = Field(False, description="Print the URL of each external link as a footnote")
    toc_depth: int = Field(2, ge=1, le=6, description="1: chapters only; 2: and their sections; …")
    cover: bool = Field(True, description="Begin with a cover page (book cover image or a typeset one)")
    variant: Literal["none", "pdf/ua-1", "pdf/a-3b"] = Field("none", description="PDF/UA-1 (tagged) or PDF/A-3b")
    timeout: int | None = Field(None, ge=10, description="Seconds the renderer may take (default: by book size)")
    memory_limit: int | None = Field(None, ge=64, description="MiB the renderer may use (default: 75% of RAM)")

    @field_validator("page_size")
    @classmethod
    def _page_size(cls, v: str) -> str:
        page_size_mm(v)
        return v

    @field_validator("margins", mode="before")
    @classmethod
    def _margins(cls, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise ValueError(f"margins {v!r} needs a unit, like {v}mm")
        if isinstance(v, str):
            length_mm(v)
        return v

    @field_validator("font_size")
    @classmethod
    def _font_size(cls, v: str | float) -> str | float:
        points = font_points(v)
        if not 6 <= points <= 24:
            raise ValueError(f"font_size {v!r} is {points:.1f}pt; use a size between 6pt and 24pt")
        return v

    @model_validator(mode="after")
    def _margins_fit(self):
        width, height = page_size_mm(self.page_size)
        m = page_margins(self)
        if m["inner"] + m["outer"] > 0.6 * width or m["top"] + m["bottom"] > 0.6 * height:
            raise ValueError(f"margins leave too little room on a {self.page_size} page; make them smaller")
        return self


def font_points(value: str | float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return length_mm(value) / _UNIT_MM["pt"]


def page_margins(options: PdfOptions) -> dict[str, float]:
    """Margins in mm: given ones, else classic proportions of the page (wider at the binding)."""
    width, height = page_size_mm(options.page_size)
    default = {"top": 0.085 * height, "bottom": 0.10 * height, "inner": 0.13 * width, "outer": 0.10 * width}
    if isinstance(options.margins, str):
        return dict.fromkeys(default, length_mm(options.margins))
    given = options.margins.model_dump(exclude_none=True) if options.margins else {}
    return {k: length_mm(given[k]) if k in given else v for k, v in default.items()}


def options_css(options: PdfOptions) -> str:
    """The CSS that `outputs.pdf` decides (added after the theme's print.css)."""
    width, height = page_size_mm(options.page_size)
    m = page_margins(options)
    body_height = height - m["top"] - m["bottom"]
    return (
        f"@page {{ size: {width:.2f}mm {height:.2f}mm; margin: {m['top']:.2f}mm {m['outer']:.2f}mm "
        f"{m['bottom']:.2f}mm {m['inner']:.2f}mm }}\n"
        f"@page :left {{ margin-left: {m['outer']:.2f}mm; margin-right: {m['inner']:.2f}mm }}\n"
        f"@page :right {{ margin-left: {m['inner']:.2f}mm; margin-right: {m['outer']:.2f}mm }}\n"
        f"@page cover, cover-image {{ margin: 0 }}\n"
        f"html {{ font-size: {font_points(options.font_size):.2f}pt }}\n"
        f".cover-image img {{ width: {width:.2f}mm; height: {height:.2f}mm }}\n"
        f".cover {{ min-height: {height:.2f}mm }}\n"
        f"img {{ max-height: {0.75 * body_height:.2f}mm }}\n"
    )


# --- outline: one list for the table of contents and the PDF bookmarks --------------------------

@dataclass(frozen=True)
class TocEntry:
    id: str
    text: str
    level: int          # outline level, 1 = top
    kind: str           # part | chapter | section
    front: bool         # front matter: roman page numbers


def toc_entries(book: Book, depth: int) -> list[TocEntry]:
    """Parts, chapters and sections (down to `depth`) in reading order, with outline levels."""
    out: list[TocEntry] = []
    for chapter in book.front:
        out += _chapter_entries(chapter, 1, depth, True)
    for part in book.parts:
        base = 1
        if part.title and part.slug:
            out.append(TocEntry(part.slug, part.title, 1, "part", False))
            base = 2
        for chapter in part.chapters:
            out += _chapter_entries(chapter, base, depth, False)
    for chapter in book.back:
        out += _chapter_entries(chapter, 1, depth, False)
    return out


def _chapter_entries(chapter: Chapter, base: int, depth: int, front: bool) -> list[TocEntry]:
    entries = [TocEntry(chapter.slug, chapter.title, base, "chapter", front)]
    open_levels: list[int] = []          # heading levels of the sections enclosing the next one
    for heading in chapter.headings:
        while open_levels and open_levels[-1] >= heading.level:
            open_levels.pop()
        open_levels.append(heading.level)
        relative_depth = len(open_levels) + 1      # the chapter title is depth 1
        if relative_depth <= depth and heading.text.strip():
            entries.append(TocEntry(heading.id, heading.text, base + relative_depth - 1, "section", front))
    return entries


def toc_tree(entries: list[TocEntry]) -> list[dict]:
    """Nest entries by level the way PDF bookmarks nest: [{entry, children}, …]."""
    root: list[dict] = []
    stack: list[tuple[int, list]] = [(0, root)]
    for entry in entries:
        while stack[-1][0] >= entry.level:
            stack.pop()
        node = {"entry": entry, "children": []}
        stack[-1][1].append(node)
        stack.append((entry.level, node["children"]))
    return root


# --- chapter HTML: footnotes at their reference, link notes, bookmarks ---------------------------

_BLOCKS = {"p", "div", "pre", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody",
           "tfoot", "tr", "td", "th", "caption", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6",
           "hr", "section", "aside", "header", "footer", "details", "summary", "nav", "article"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_EXTERNAL = re.compile(r"^(https?|ftp)://", re.I)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ID_ATTR = re.compile(r'\bid="([^"]+)"')
_LONG_WORD = re.compile(r"\S{24,}")


@dataclass
class ChapterNotes:
    """Numbering state of one chapter: footnotes and link notes share one sequence."""
    count: int = 0
    by_url: dict[str, int] = field(default_factory=dict)
    by_note: dict[str, int] = field(default_factory=dict)


def prepare_chapter(chapter: Chapter, marks: dict[str, TocEntry], known_ids: set[str], link_notes: bool) -> tuple[str, int]:
    """The chapter's HTML made ready for print, and how many over-deep elements were flattened."""
    if not chapter.html.strip():
        return "", 0
    root = lxml.html.fragment_fromstring(chapter.html, create_parent="div")
    flattened = _cap_depth(root, MAX_DEPTH)
    _drop_code_line_anchors(root)
    _footnotes_and_link_notes(root, link_notes)
    _fix_links(root, known_ids)
    _mark_headings(root, marks)
    _mark_long_words(root)
    html = etree.tostring(root, method="html", encoding="unicode")
    return html[html.index(">") + 1: html.rindex("<")], flattened


def _cap_depth(root, limit: int) -> int:
    """Replace elements nested deeper than `limit` by their text (WeasyPrint recurses per level)."""
    flattened = 0
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if depth + 1 < limit:
                stack.append((child, depth + 1))
                continue
            text = child.text_content()
            for sub in list(child):
                child.remove(sub)
            child.text = text
            flattened += 1
    return flattened


def _drop_code_line_anchors(root) -> None:
    """pandoc's empty per-line anchors in code blocks would become thousands of useless links."""
    for anchor in root.xpath(".//pre//a[@aria-hidden='true'][not(node())]"):
        _remove_keep_tail(anchor)


def _footnotes_and_link_notes(root, link_notes: bool) -> None:
    in_section = "section[contains(concat(' ', @class, ' '), ' footnotes ')]"
    sections = root.xpath(f".//{in_section}")
    notes = {li.get("id"): li for s in sections for li in s.xpath("./ol/li[@id]")}
    anchors = root.xpath(f".//a[not(ancestor::{in_section})]")
    state = ChapterNotes()
    for anchor in anchors:
        classes = (anchor.get("class") or "").split()
        if "footnote-ref" in classes:
            _inline_footnote(anchor, notes, state, link_notes)
        elif link_notes and _wants_link_note(anchor):
            _add_link_note(anchor, state)
    for section in sections:
        if not section.xpath("./ol/li"):
            _remove_keep_tail(section)


def _inline_footnote(anchor, notes: dict, state: ChapterNotes, link_notes: bool) -> None:
    """Move the endnote the reference points at to the reference point, as a `float: footnote`."""
    target = (anchor.get("href") or "").lstrip("#")
    li = notes.pop(target, None)
    if li is None:
        if target in state.by_note:
            _replace_keep_tail(anchor, _sup(state.by_note[target]))
        return
    state.count += 1
    state.by_note[target] = state.count
    note = lxml.html.Element("span", {"class": "footnote", "id": target, "data-n": str(state.count)})
    for back in li.xpath(".//a[contains(concat(' ', @class, ' '), ' footnote-back ')]"):
        _remove_keep_tail(back)
    note.text = li.text
    for child in list(li):
        note.append(child)
    li.getparent().remove(li)
    for element in note.iterdescendants():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.set("class", f"fn-{element.tag} {element.get('class') or ''}".strip())
            element.tag = "span"
        elif element.tag == "a" and link_notes and _wants_link_note(element):
            url = lxml.html.Element("span", {"class": "link-url"})
            url.text = f" <{element.get('href')}>"
            element.addnext(url)
    _replace_keep_tail(anchor, note)


def _wants_link_note(anchor) -> bool:
    href = (anchor.get("href") or "").strip()
    if not _EXTERNAL.match(href):
        return False
    if any(a.tag in _HEADINGS or a.tag == "pre" for a in anchor.iterancestors()):
        return False
    text = " ".join(anchor.text_content().split()).rstrip("/")
    bare = re.sub(r"^(https?|ftp)://(www\.)?", "", href, flags=re.I).rstrip("/")
    return text not in (href.rstrip("/"), bare)


def _add_link_note(anchor, state: ChapterNotes) -> None:
    href = anchor.get("href").strip()
    if href in state.by_url:
        mark = _sup(state.by_url[href])
    else:
        state.count += 1
        state.by_url[href] = state.count
        mark = lxml.html.Element("span", {"class": "footnote link-note", "data-n": str(state.count)})
        link = etree.SubElement(mark, "a", {"href": href})
        link.text = href
    mark.tail, anchor.tail = anchor.tail, None
    anchor.addnext(mark)


def _sup(number: int):
    sup = lxml.html.Element("sup", {"class": "note-again"})
    sup.text = str(number)
    return sup


def _fix_links(root, known_ids: set[str]) -> None:
    """Unlink what would lead nowhere in a PDF: unknown anchors and relative file links."""
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href:
            continue
        if href.startswith("#"):
            if href[1:] not in known_ids:
                del anchor.attrib["href"]
        elif not _SCHEME.match(href) and not href.startswith("//"):
            del anchor.attrib["href"]


def _mark_headings(root, marks: dict[str, TocEntry]) -> None:
    for heading in root.iter(*_HEADINGS):
        entry = marks.get(heading.get("id") or "")
        if entry is not None:
            heading.set("class", f"{heading.get('class') or ''} bm-{entry.level}".strip())
            heading.set("data-toc", entry.text)


def _mark_long_words(root) -> None:
    """Cells with very long words may break anywhere; others keep their words whole (which also
    keeps short columns from being squeezed to a letter's width)."""
    for cell in root.iter("td", "th"):
        if _LONG_WORD.search(cell.text_content()):
            cell.set("class", f"{cell.get('class') or ''} long-words".strip())


def _remove_keep_tail(element) -> None:
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _replace_keep_tail(old, new) -> None:
    new.tail = old.tail
    old.getparent().replace(old, new)


# --- the whole document ----------------------------------------------------------------------------

CONTENTS = {"en": "Contents", "fr": "Table des matières", "de": "Inhalt", "es": "Índice", "it": "Indice",
            "pt": "Sumário", "nl": "Inhoud", "sv": "Innehåll", "da": "Indhold", "nb": "Innhold", "pl": "Spis treści"}


@dataclass(frozen=True)
class Assembled:
    """The final HTML and what the renderer needs besides it."""
    html: str
    body_start: str | None          # id of the first main-matter element (arabic page 1)
    flattened: dict[str, int]       # chapter source -> elements flattened for depth
    cover_problem: str | None


def assemble(book: Book, options: PdfOptions, ctx_theme) -> Assembled:
    """One HTML document for the whole book, from the theme's `pdf/book.html.j2`."""
    entries = toc_entries(book, options.toc_depth)
    marks = {e.id: e for e in entries}
    known = _known_ids(book)
    flattened: dict[str, int] = {}
    blocks = []
    first_body = True
    for kind, chapter, part in _reading_order(book):
        if kind == "part":
            blocks.append({"kind": "part", "id": part.slug, "title": part.title, "level": marks[part.slug].level,
                           "body_start": first_body})
            first_body = False
            continue
        html, deep = prepare_chapter(chapter, marks, known, options.link_notes)
        if deep:
            flattened[chapter.source] = deep
        blocks.append({"kind": kind, "id": chapter.slug, "title": chapter.title, "level": marks[chapter.slug].level,
                       "date": chapter.date.strftime("%Y-%m-%d") if chapter.date else None, "html": Markup(html),
                       "body_start": first_body and kind != "front"})
        if kind != "front":
            first_body = False
    cover_url, cover_problem = _cover(book, options)
    meta = book.meta
    template = ctx_theme.environment("pdf").get_template("book.html.j2")
    html = template.render(
        book=book, meta=meta, blocks=blocks, toc=toc_tree(entries), stylesheet=STYLESHEET,
        options_css=Markup(options_css(options)), cover=options.cover, cover_url=cover_url,
        recto=options.recto_chapters, has_parts=book.has_parts, generator=f"chapbook {__version__}",
        modified=meta.modified.strftime("%Y-%m-%dT%H:%M:%SZ"), keywords=", ".join(meta.subjects),
        contents_title=CONTENTS.get(meta.language.split("-")[0].lower(), "Contents"),
    )
    start = next((b["id"] for b in blocks if b["body_start"]), None)
    return Assembled(html, start, flattened, cover_problem)


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
        ids.update(_ID_ATTR.findall(chapter.html))
    return ids


def _cover(book: Book, options: PdfOptions) -> tuple[str | None, str | None]:
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


# --- the URL fetcher: the book folder and the theme, nothing else --------------------------------

# Media types by suffix. Not the `mimetypes` module: it reads /etc/mime.types, outside the book.
MEDIA_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".bmp": "image/bmp",
               ".tif": "image/tiff", ".tiff": "image/tiff", ".ico": "image/vnd.microsoft.icon", ".otf": "font/otf",
               ".ttf": "font/ttf", ".woff": "font/woff", ".woff2": "font/woff2"}


class Refused(Exception):
    """A resource the PDF may not use; the message says why."""


@dataclass(frozen=True)
class FetchPolicy:
    """Which URLs map to which files. Pure: `locate` decides, it reads nothing."""
    root: Path
    theme_folders: tuple[Path, ...]
    assets: dict[str, Path]
    network: bool = False
    timeout: int = 10

    def locate(self, url: str) -> Path | str:
        """A confined regular-file path, or "pass" for URLs WeasyPrint may open itself; else Refused."""
        scheme = url.split(":", 1)[0].lower() if _SCHEME.match(url) else ""
        if scheme == "data":
            return "pass"
        if url.startswith(BOOK_URL):
            return self._in_book(_url_path(url, BOOK_URL))
        if url.startswith(THEME_URL):
            return self._in_theme(_url_path(url, THEME_URL))
        if scheme == "file":
            return self._local_file(unquote(urlsplit(url).path))
        if scheme in ("http", "https"):
            if self.network:
                return "pass"
            raise Refused("remote resource not fetched: the manifest does not allow network access (network: true)")
        raise Refused(f"the {scheme or 'relative'} URL scheme is not allowed in the PDF")

    def _in_book(self, rel: str) -> Path:
        if rel in self.assets:
            return _confined_file(self.assets[rel], self.root, rel)
        return _confined_file(self.root / rel, self.root, rel)

    def _in_theme(self, rel: str) -> Path:
        for folder in self.theme_folders:
            candidate = Path(os.path.realpath(folder / rel))
            if _inside(candidate, folder) and candidate.is_file():
                return _confined_file(candidate, folder, rel)
        raise Refused(f"{rel} is not a file of the theme")

    def _local_file(self, path: str) -> Path:
        for folder in (self.root, *self.theme_folders):
            if _inside(Path(os.path.realpath(path)), folder):
                return _confined_file(Path(path), folder, path)
        raise Refused(f"{path} is outside the book folder")


def _url_path(url: str, base: str) -> str:
    path = urlsplit(url).path
    return unquote(path[len(urlsplit(base).path):])


def _inside(path: Path, folder: Path) -> bool:
    folder = Path(os.path.realpath(folder))
    return path == folder or folder in path.parents


def _confined_file(path: Path, folder: Path, shown: str) -> Path:
    real = Path(os.path.realpath(path))
    if not _inside(real, folder):
        raise Refused(f"{shown} resolves outside the book folder")
    try:
        mode = os.stat(real).st_mode
    except OSError:
        raise Refused(f"{shown} does not exist") from None
    if not stat.S_ISREG(mode):
        raise Refused(f"{shown} is not a regular file")
    return real


def read_confined(path: Path, limit: int = MAX_RESOURCE_BYTES) -> bytes:
    """Read a regular file without blocking (a FIFO swapped in would hang) and up to `limit` bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise Refused(f"{path.name} is larger than {limit >> 20} MiB")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    finally:
        os.close(fd)


def make_fetcher(policy: FetchPolicy):
    """A WeasyPrint URLFetcher confined by `policy`; refused URLs are kept in `.refused`.

    WeasyPrint is imported here, not at module level: it is slow to import and only the
    renderer process needs it.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ConfinedFetcher(URLFetcher):
        def __init__(self):
            super().__init__(timeout=policy.timeout)
            self.refused: list[tuple[str, str]] = []

        def fetch(self, url, headers=None):
            try:
                target = policy.locate(url)
                if target == "pass":
                    return super().fetch(url, headers)
                body = read_confined(target)
            except Refused as exc:
                self.refused.append((url, str(exc)))
                raise
            kind = MEDIA_TYPES.get(target.suffix.lower(), "application/octet-stream")
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    return ConfinedFetcher()


# --- the renderer process ------------------------------------------------------------------------

_NOISE = re.compile(r"media type|prefers-color-scheme")


def render_job(job: dict) -> dict:
    """Render `job["html"]` to `job["target"]`; runs in the child process (see `child_main`)."""
    import logging
    import warnings

    import pydyf
    import weasyprint
    from PIL import Image

    warnings.simplefilter("error", Image.DecompressionBombWarning)   # refuse, do not just warn
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    logger.addHandler(Collect(logging.WARNING))
    policy = FetchPolicy(Path(job["root"]), tuple(Path(p) for p in job["theme"]),
                         {k: Path(v) for k, v in job["assets"].items()}, job["network"])
    fetcher = make_fetcher(policy)
    options = {"pdf_variant": job["variant"], "pdf_tags": job["variant"] == "pdf/ua-1"}

    def page_labels(document, pdf):
        start = next((i for i, page in enumerate(document.pages) if job["body_start"] in page.anchors), None)
        nums = [0, pydyf.Dictionary({"S": "/r"})]
        if start:
            nums = nums + [start, pydyf.Dictionary({"S": "/D"})]
        elif start == 0:
            nums = [0, pydyf.Dictionary({"S": "/D"})]
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(nums)})

    document = weasyprint.HTML(string=job["html"], base_url=BOOK_URL, url_fetcher=fetcher).render(**options)
    document.write_pdf(job["target"], finisher=page_labels, **options)
    refused_urls = {url for url, _ in fetcher.refused}
    kept = [m for m in messages if not _NOISE.search(m) and not any(u in m for u in refused_urls)]
    return {"pages": len(document.pages), "refused": fetcher.refused, "messages": kept,
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def child_main() -> None:
    """Entry of the renderer process: job JSON on stdin, result JSON on stdout."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)                       # stray prints from libraries must not corrupt the result
    job = json.loads(sys.stdin.read())
    if job.get("memory_limit"):
        resource.setrlimit(resource.RLIMIT_AS, (job["memory_limit"], job["memory_limit"]))
    try:
        result = render_job(job)
    except MemoryError:
        result = {"error": "ran out of memory (outputs.pdf.memory_limit)"}
    except RecursionError:
        result = {"error": "content is nested too deeply to typeset"}
    except Exception as exc:  # a WeasyPrint failure must become a diagnostic, not a traceback
        result = {"error": f"WeasyPrint failed: {type(exc).__name__}: {exc}"}
    out.write(json.dumps(result))
    out.flush()


def run_renderer(job: dict, timeout: float) -> dict:
    """Run `render_job` in a fresh interpreter with limits; never raises for a failed render."""
    package_parent = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)}
    command = [sys.executable, "-c", "from compiler.backends.pdf import child_main; child_main()"]
    try:
        proc = subprocess.run(command, input=json.dumps(job).encode(), capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"rendering took longer than {timeout:.0f} s (raise outputs.pdf.timeout, or split the book)"}
    try:
        return json.loads(proc.stdout or b"null") or {"error": _crash(proc)}
    except json.JSONDecodeError:
        return {"error": _crash(proc)}


def _crash(proc: subprocess.CompletedProcess) -> str:
    if proc.returncode < 0:
        return f"the renderer was killed by signal {-proc.returncode} (out of memory? see outputs.pdf.memory_limit)"
    tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
    return f"the renderer stopped (exit {proc.returncode}): {tail[0][:300]}"


def default_timeout(html: str) -> float:
    """About five times what WeasyPrint needs (~22 s per MB of HTML on this class of machine)."""
    return 120 + 120 * len(html.encode("utf-8")) / 1e6


def default_memory_limit() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.75)
    except (ValueError, OSError, AttributeError):
        return None


# --- the backend ---------------------------------------------------------------------------------

class PdfBackend:
    name = "pdf"
    options_model = PdfOptions

    def build(self, book: Book, options: PdfOptions, ctx: BuildContext) -> list[Path]:
        """Write `<out>/<slug>.pdf`; on a failed render, report it and keep any previous PDF."""
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
    for message in messages[:MAX_MESSAGES]:
        severity = Severity.INFO if message.startswith(("Ignored", "Unsupported")) else None
        found.append(diag("CB220", shown, None, f"PDF: WeasyPrint: {message[:300]}", severity))
    if len(messages) > MAX_MESSAGES:
        found.append(diag("CB220", shown, None, f"PDF: {len(messages) - MAX_MESSAGES} more WeasyPrint message(s)"))
    if "error" in result:
        found.append(diag("CB220", shown, None, f"PDF not written: {result['error']}", Severity.ERROR))
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
