"""Which XHTML documents the EPUB holds, their file names, and their text.

Reading order: cover page, title page, contents (nav), front matter, parts and chapters, back
matter. With `split: chapter` every chapter, part title page and front/back matter file has a file
of its own; with `split: single` the whole text is one file. Documents are rendered from the
theme's Jinja templates (`epub/document.xhtml.j2` wraps every page).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from markupsafe import Markup, escape

from compiler.backends.epub.content import (
    TEXT_DIR,
    Placement,
    Report,
    chapter_section,
    part_section,
)
from compiler.backends.epub.outline import Entry
from compiler.backends.epub.package import Document
from compiler.backends.pieces import chapter_digest
from compiler.model.book import Book, Chapter, Part
from compiler.support.locales import long_date, words

STYLESHEET = "styles/book.css"
TITLE_MARK, BODY_MARK = "\ue000chapbook:title\ue000", "\ue000chapbook:body\ue000"


@dataclass(frozen=True)
class Unit:
    """One body document: a part title page, or a chapter (front, body or back)."""
    key: str                      # the part's or chapter's slug (its element id)
    chapter: Chapter | None = None
    part: Part | None = None


@dataclass
class Reports:
    """What each chapter lost or had changed, by chapter source path."""
    by_source: dict[str, Report] = field(default_factory=dict)

    def get(self, chapter: Chapter) -> Report:
        return self.by_source.setdefault(chapter.source, Report())


def units(book: Book) -> list[Unit]:
    out = [Unit(c.slug, chapter=c) for c in book.front]
    for part in book.parts:
        if part.title and part.slug:
            out.append(Unit(part.slug, part=part))
        out += [Unit(c.slug, chapter=c) for c in part.chapters]
    return out + [Unit(c.slug, chapter=c) for c in book.back]


def placement(book: Book, split: str, images: dict[str, str]) -> Placement:
    """File names: `NNN-slug.xhtml`, numbered in reading order, so no two clash even when slugs differ
    only in case or in the letters left out of an ASCII name."""
    files = {}
    for n, unit in enumerate(units(book), start=1):
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", unit.key)[:60].strip("-")      # ASCII file names only
        files[unit.key] = "book.xhtml" if split == "single" else f"{n:03d}-{name or 'part'}.xhtml"
    owner = {ident: key for ident, key in book.chapter_of().items() if key in files}
    return Placement(files, owner, {href: f"../{path}" for href, path in images.items()})


class Pages:
    """Renders every document with the theme's templates."""

    def __init__(self, book: Book, env, place: Placement, reports: Reports, pieces=None):
        self.book, self.env, self.place, self.reports = book, env, place, reports
        self.pieces = pieces      # the build cache's chapter sections (backends/pieces.py), split files only
        env.filters["long_date"] = lambda iso: long_date(str(iso), book.meta.language)   # as the HTML and PDF spell dates
        w = words(book.meta.language)
        self.labels = {"contents": w["contents"], "cover": w["cover"], "titlepage": w["title_page"],
                       "start": w["start_of_content"], "landmarks": w["guide"]}
        self.frames: dict[str | None, tuple[str, str] | None] = {}
        self.words = w
        env.filters["long_date"] = lambda iso: long_date(iso, book.meta.language)

    def page(self, title: str, body: str, body_type: str | None) -> bytes:
        """A text document: the theme's `document.xhtml.j2` rendered once per kind of page with marks
        where the title and body go, then filled by string joins (a thousand Jinja renders cost more
        than the rest of a chapter's conversion). A template that transforms its title or body (so
        a mark does not come through) is rendered page by page instead."""
        if body_type not in self.frames:
            frame = self.render("document.xhtml.j2", TITLE_MARK, body=Markup(BODY_MARK), body_type=body_type)
            head, found, tail = frame.decode("utf-8").partition(BODY_MARK)
            usable = found and BODY_MARK not in tail and TITLE_MARK in head + tail
            self.frames[body_type] = (head, tail) if usable else None
        frame = self.frames[body_type]
        if frame is None:
            return self.render("document.xhtml.j2", title, body=Markup(body), body_type=body_type)
        head, tail = frame
        text = str(escape(title or self.book.meta.title))
        return (head.replace(TITLE_MARK, text) + body + tail.replace(TITLE_MARK, text)).encode("utf-8")

    def render(self, template: str, title: str, in_text: bool = True, **values) -> bytes:
        css = f"../{STYLESHEET}" if in_text else STYLESHEET
        page = self.env.get_template(template).render(
            lang=self.book.meta.language, title=title or self.book.meta.title, stylesheets=[css],
            labels=self.labels, words=self.words, meta=self.book.meta, body_type=values.pop("body_type", None), **values)
        return page.encode("utf-8")

    def cover(self, src: str, alt: str) -> Document:
        data = self.render("cover.xhtml.j2", self.labels["cover"], cover_src=f"../{src}", cover_alt=alt)
        return Document("cover", f"{TEXT_DIR}/cover.xhtml", self.labels["cover"], data)

    def titlepage(self) -> Document:
        data = self.render("titlepage.xhtml.j2", self.book.meta.title, body_type="frontmatter")
        return Document("titlepage", f"{TEXT_DIR}/title.xhtml", self.book.meta.title, data)

    def nav(self, toc: tuple[Entry, ...], landmarks: list[dict]) -> Document:
        data = self.render("nav.xhtml.j2", self.labels["contents"], in_text=False, toc=toc, landmarks=landmarks)
        return Document("nav", "nav.xhtml", self.labels["contents"], data, ("nav",))

    def text(self, split: str) -> list[Document]:
        """The body documents: one per unit, or one for the whole text."""
        if split == "single":
            taken: set[str] = set()
            body = "\n".join(self._section(u, "book.xhtml", taken) for u in units(self.book))
            data = self.page(self.book.meta.title, body, None)
            return [Document("text", f"{TEXT_DIR}/book.xhtml", self.book.meta.title, data)]
        docs = []
        for n, unit in enumerate(units(self.book), start=1):
            file = self.place.files[unit.key]
            body = self._kept_section(unit, file)
            title = unit.chapter.title if unit.chapter else unit.part.title
            kind = unit.chapter.kind if unit.chapter else "chapter"
            data = self.page(title, body, BODY_TYPES[kind])
            docs.append(Document(f"doc-{n:03d}", f"{TEXT_DIR}/{file}", title, data))
        return docs

    def _kept_section(self, unit: Unit, file: str) -> str:
        """A file's section, from the build cache when its chapter and the book's placement of ids
        are as they were; what it reported is added to the chapter's report."""
        if unit.chapter is None or self.pieces is None:
            return self._section(unit, file, set())
        own = (chapter_digest(unit.chapter), file)
        if (kept := self.pieces.get(*own)) is not None:
            add_report(self.reports.get(unit.chapter), kept["report"])
            return kept["section"]
        report = Report()
        section = chapter_section(unit.chapter, self.place, file, set(), report, self.book.meta.language)
        add_report(self.reports.get(unit.chapter), asdict(report))
        self.pieces.put({"section": section, "report": asdict(report)}, *own)
        return section

    def _section(self, unit: Unit, file: str, taken: set[str]) -> str:
        if unit.part is not None:
            return part_section(unit.part.title or "", unit.key, taken)
        return chapter_section(unit.chapter, self.place, file, taken, self.reports.get(unit.chapter),
                               self.book.meta.language)


def add_report(report: Report, found: dict) -> None:
    """Add one section's findings (a `Report` as a dict) to its chapter's report."""
    for name in ("dropped_links", "missing_images", "remote_images"):
        getattr(report, name).extend(found[name])
    report.images += found["images"]
    report.images_without_alt += found["images_without_alt"]
    for what, count in found["fixes"]["renamed"].items():
        report.fixes.note(what, count)


BODY_TYPES = {"front": "frontmatter", "chapter": "bodymatter", "back": "backmatter"}


def landmarks(book: Book, place: Placement, labels: dict[str, str]) -> list[dict]:
    """Cover, title page, contents and the start of the body text, for the nav and the OPF guide."""
    body = [u for u in units(book) if not (u.chapter and u.chapter.kind != "chapter")]
    start = body[0].key if body else (units(book)[0].key if units(book) else None)
    marks = [
        {"type": "cover", "href": f"{TEXT_DIR}/cover.xhtml", "title": labels["cover"]},
        {"type": "titlepage", "href": f"{TEXT_DIR}/title.xhtml", "title": labels["titlepage"]},
        {"type": "toc", "href": "nav.xhtml#toc", "title": labels["contents"]},
    ]
    if start is not None:
        marks.append({"type": "bodymatter", "href": place.nav_href(start), "title": labels["start"]})
    return marks


def guide(marks: list[dict]) -> list[dict]:
    """The same places as an EPUB 2 `<guide>` (its type names differ)."""
    names = {"cover": "cover", "titlepage": "title-page", "toc": "toc", "bodymatter": "text"}
    return [{"type": names[m["type"]], "href": m["href"], "title": m["title"]} for m in marks]
