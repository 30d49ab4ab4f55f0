"""The package, written by EbookLib: metadata, manifest, spine, NCX and EPUB 2 guide.

Our XHTML documents are finished bytes; `Prebuilt` hands them to EbookLib unchanged (EbookLib would
otherwise re-parse every chapter with an HTML parser and re-serialise it). `archive.fix_times` then
sets the ZIP's entry times.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from ebooklib import epub

from compiler.backends.epub.outline import Entry
from compiler.backends.epub.resources import Resource
from compiler.model.book import Metadata
from compiler.support.locales import direction

XHTML = "application/xhtml+xml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Document:
    uid: str
    file_name: str                   # inside the package folder: "text/001-intro.xhtml", "nav.xhtml"
    title: str
    data: bytes
    properties: tuple[str, ...] = ()


CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


@dataclass(frozen=True)
class Accessibility:
    """Facts about the content that the schema.org accessibility metadata states, and nothing more.

    Every book has a navigable table of contents, chapters in reading order, a heading for every
    chapter and section with no skipped level, the language of the text and of the package, and
    reflowable text. Alternative text and the WCAG conformance claim depend on the images: a book
    with an image lacking alt text (`check`: CB124) states neither, and one with an animated image
    claims no conformance."""
    images: int = 0
    images_without_alt: int = 0
    animated: bool = False

    @property
    def conforms(self) -> bool:
        """Every image described, and nothing that moves: an animated image can neither be paused
        (WCAG 2.2.2) nor be known not to flash (2.3.1)."""
        return not self.images_without_alt and not self.animated

    def metadata(self) -> list[tuple[str, str]]:
        modes = [("accessMode", "textual")] + ([("accessMode", "visual")] if self.images else [])
        sufficient = [("accessModeSufficient", "textual")] if not self.images_without_alt else []
        if self.images:
            sufficient.append(("accessModeSufficient", "textual,visual"))
        features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability", "ARIA"]
        if self.images and not self.images_without_alt:
            features.append("alternativeText")
        hazards = ["unknownFlashingHazard", "noMotionSimulationHazard", "noSoundHazard"] if self.animated else ["none"]
        pairs = modes + sufficient + [("accessibilityFeature", f) for f in features]
        pairs += [("accessibilityHazard", h) for h in hazards] + [("accessibilitySummary", self.summary())]
        out = [(f"schema:{name}", value) for name, value in pairs]
        return out + ([("dcterms:conformsTo", CONFORMANCE)] if self.conforms else [])

    def summary(self) -> str:
        text = ("Reflowable text with a navigable table of contents, a heading for every chapter and section, "
                "and footnotes linked in both directions; the reader's fonts, sizes and colours apply.")
        if self.images:
            text += (" Every image has a text alternative." if not self.images_without_alt else
                     f" {self.images_without_alt} of {self.images} images have no text alternative.")
        if self.conforms:
            text += " This publication meets the EPUB Accessibility 1.1 requirements at WCAG 2.2 Level AA."
        else:
            text += " It does not claim WCAG conformance."
        return text


@dataclass(frozen=True)
class Contents:
    """Everything that goes into the package, in order."""
    spine: list[Document]            # reading order (cover page, title page, contents, text)
    resources: list[Resource]        # stylesheet, images, fonts
    cover: Resource
    toc: tuple[Entry, ...]
    guide: list[dict] = field(default_factory=list)
    accessibility: Accessibility = Accessibility()


class Prebuilt(epub.EpubHtml):
    """An XHTML document we serialised ourselves: EbookLib writes its bytes as they are."""

    def __init__(self, doc: Document):
        super().__init__(uid=doc.uid, file_name=doc.file_name, title=doc.title, media_type=XHTML)
        self.properties = list(doc.properties)
        self._data = doc.data

    def get_content(self, default=None) -> bytes:
        return self._data


def package(meta: Metadata, contents: Contents) -> bytes:
    """The EPUB as EbookLib writes it (entry times not yet fixed)."""
    book = epub.EpubBook()
    _metadata(book, meta, contents.accessibility)
    _cover(book, contents.cover)
    for n, res in enumerate(contents.resources, start=1):
        book.add_item(epub.EpubItem(uid=_resource_id(res, n), file_name=res.file_name, media_type=res.media_type,
                                    content=res.data))
    items = [book.add_item(Prebuilt(doc)) for doc in contents.spine]
    book.add_item(epub.EpubNcx())
    book.spine = items
    book.toc = _toc(contents.toc, iter(range(1, 1 << 30)))
    book.guide = contents.guide
    if direction(meta.language) == "rtl":
        book.set_direction("rtl")      # the package's dir and the spine's page-progression-direction
    out = io.BytesIO()
    writer = _Writer(out, book, {"mtime": meta.modified, "epub3_pages": False, "epub3_landmark": False,
                                 "raise_exceptions": True, "package_direction": True})
    writer.process()
    writer.write()
    return out.getvalue()


class _Writer(epub.EpubWriter):
    """EbookLib's writer, with the book's language on the OPF's root: `<package xml:lang="…">`
    (Ace by DAISY's epub-lang; EbookLib has no option for it)."""

    def _write_opf_file(self, root):
        root.set(XML_LANG, self.book.language)
        super()._write_opf_file(root)


def _metadata(book: epub.EpubBook, m: Metadata, a11y: Accessibility) -> None:
    book.set_identifier(m.identifier)
    book.title = m.title                                  # the NCX's docTitle
    book.language = m.language
    book.add_metadata("DC", "title", m.title, {"id": "title"})
    book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    if m.subtitle:
        book.add_metadata("DC", "title", m.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.add_metadata("DC", "language", m.language)
    for n, author in enumerate(m.authors, start=1):
        book.add_author(author, role="aut", uid=f"creator{n}")
    for n, name in enumerate(m.contributors, start=1):   # the chapters' authors
        book.add_metadata("DC", "contributor", name, {"id": f"contributor{n}"})
        book.add_metadata(None, "meta", "aut", {"refines": f"#contributor{n}", "property": "role", "scheme": "marc:relators"})
    for name, value in (("date", m.date), ("description", m.description), ("publisher", m.publisher),
                        ("rights", m.rights)):
        if value and value.strip():
            book.add_metadata("DC", name, value.strip())
    for subject in m.subjects:
        book.add_metadata("DC", "subject", subject)
    if m.series:
        book.add_metadata(None, "meta", m.series, {"property": "belongs-to-collection", "id": "series"})
        book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
    for prop, value in a11y.metadata():
        book.add_metadata(None, "meta", value, {"property": prop})


def _cover(book: epub.EpubBook, image: Resource) -> None:
    item = epub.EpubCover(file_name=image.file_name)
    item.media_type = image.media_type
    item.content = image.data
    book.add_item(item)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})


def _resource_id(res: Resource, n: int) -> str:
    major = res.media_type.split("/")[0]
    prefix = "css" if res.media_type == "text/css" else {"image": "img", "font": "font"}.get(major, "res")
    return f"{prefix}-{n}"


def _toc(entries, numbers) -> list:
    """Outline entries as EbookLib's toc: a Link, or (Link, [children]) when it has children."""
    out = []
    for e in entries:
        link = epub.Link(e.href, e.title, f"navpoint-{next(numbers)}")
        out.append((link, _toc(e.children, numbers)) if e.children else link)
    return out
