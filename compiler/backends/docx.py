"""DOCX backend: a Word manuscript of the book, for editors and publishers, written by pandoc.

The whole book becomes one pandoc JSON document (each chapter's AST under a level-1 title) and one
pandoc process turns it into `<out>/<slug>.docx`. Pandoc runs with `--sandbox`, so it reads nothing
but its standard input and the theme's reference document: the book's images travel inside the
document as `data:` URIs, read here from `book.assets` (already confined to the book folder), and an
image target naming any other file cannot reach the disk. In sandbox mode pandoc stamps every file
with the epoch, so the core properties' dates are set afterwards (created: the book's date;
modified: the build time, SOURCE_DATE_EPOCH aware), which keeps builds byte-identical.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree
from pydantic import Field

from compiler.backends import BackendOptions, BuildContext
from compiler.model.book import Book, Chapter, byline
from compiler.model.diagnostics import Severity, diag
from compiler.build.output import atomic_path
from compiler.compile.pandoc import run_pandoc
from compiler.support.paths import OutsideBook, confine, relative
from compiler.support.locales import long_date
from compiler.compile.transforms import header, text_inlines, walk

API_VERSION = [1, 23, 1, 1]
PAGE_BREAK = {"t": "RawBlock", "c": ["openxml", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>']}
CORE = "docProps/core.xml"
DCTERMS = "http://purl.org/dc/terms/"
SECONDS_PER_CHAPTER = 0.3   # time limit for pandoc: a 1,000-post book takes about a minute on 2 cores
MIN_SECONDS = 300


class DocxOptions(BackendOptions):
    toc: bool = Field(False, description="Insert a table of contents (Word fills it in when the file is opened)")
    toc_depth: int = Field(2, ge=1, le=6, description="Heading levels listed in the table of contents")


class DocxBackend:
    name = "docx"
    options_model = DocxOptions

    def build(self, book: Book, options: DocxOptions, ctx: BuildContext) -> list[Path]:
        target = ctx.out_dir / f"{book.meta.slug}.docx"
        document = book_document(book, ctx)
        args = ["--sandbox", f"--resource-path={book.root}"]
        reference = ctx.theme.find("docx/reference.docx")
        if reference is not None:
            args.append(f"--reference-doc={reference}")
        if options.toc:
            args += ["--toc", f"--toc-depth={options.toc_depth}"]
        limit = max(MIN_SECONDS, SECONDS_PER_CHAPTER * len(book.all_chapters))
        try:
            with atomic_path(target) as tmp:  # only a block that ends without an exception replaces target
                problem = run_pandoc(_dumps(document), tmp, args, limit)
                if problem:
                    raise PandocFailed(problem)
                stamp_dates(tmp, _created(book), book.meta.modified)
        except PandocFailed as exc:
            ctx.diagnostics.append(diag("CB290", relative(book.root, ctx.shown(target)), None,
                                        f"DOCX not written (the previous one, if any, is kept): pandoc failed: {exc}",
                                        Severity.ERROR))
            return []
        return [target]


class PandocFailed(Exception):
    """pandoc could not write the DOCX; the message says why."""


# --- the pandoc document -----------------------------------------------------------------------

def book_document(book: Book, ctx: BuildContext) -> dict:
    """All chapters in reading order; with parts, a part is level 1 and its chapters go one deeper."""
    blocks: list = []
    for chapter in book.front:
        blocks += chapter_blocks(chapter, 0, book, ctx)
    for part in book.parts:
        depth = 0
        if part.title:
            blocks += [PAGE_BREAK, _classed(header(1, part.slug or "", text_inlines(part.title)), "part")]
            depth = 1
        for chapter in part.chapters:
            blocks += chapter_blocks(chapter, depth, book, ctx)
    for chapter in book.back:
        blocks += chapter_blocks(chapter, 0, book, ctx)
    api = next((c.ast.get("pandoc-api-version") for c in book.all_chapters), None) or API_VERSION
    return {"pandoc-api-version": api, "meta": metadata(book), "blocks": blocks}


def chapter_blocks(chapter: Chapter, depth: int, book: Book, ctx: BuildContext) -> list:
    """A page break, the title as a heading (id = slug, the target of in-book links), the body.

    The body is walked only when it has images (its HTML shows them) or needs deeper headings."""
    body = chapter.ast.get("blocks", [])
    if "<img" in chapter.html or not chapter.html:
        body = walk(body, {"Image": lambda el: embed_image(el, chapter, book, ctx)})
    if depth:
        body = walk(body, {"Header": lambda el: _deeper(el, depth)})
    names = byline(chapter, book.meta.language)
    line = [{"t": "Div", "c": [["", ["byline"], [["custom-style", "Byline"]]], [{"t": "Para", "c": text_inlines(names)}]]}] \
        if names else []
    return [PAGE_BREAK, header(1 + depth, chapter.slug, text_inlines(chapter.title)), *line, *body]


def _deeper(element: dict, depth: int) -> dict:
    level, attr, inlines = element["c"]
    return {"t": "Header", "c": [min(level + depth, 9), attr, inlines]}


def _classed(element: dict, cls: str) -> dict:
    level, (ident, classes, kvs), inlines = element["c"]
    return {"t": "Header", "c": [level, [ident, [*classes, cls], kvs], inlines]}


def embed_image(element: dict, chapter: Chapter, book: Book, ctx: BuildContext):
    """`assets/…` becomes a data: URI of the book's file; any other target is kept as a link or alt text."""
    attr, alt, (url, title) = element["c"]
    source = book.assets.get(url)
    data = _read_asset(book.root, source) if source is not None else None
    if data is not None:
        mime = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        return {"t": "Image", "c": [attr, alt, [uri, title]]}
    ctx.diagnostics.append(diag("CB201", chapter.source, None, f"image {url[:60]} not embedded in the DOCX"
                                + (": linked instead" if url.startswith(("http://", "https://")) else ": alt text kept")))
    if url.startswith(("http://", "https://")):
        return {"t": "Link", "c": [["", ["remote-image"], []], alt or [{"t": "Str", "c": url}], [url, title]]}
    return {"t": "Span", "c": [["", ["missing-image"], []], alt]}


def _read_asset(root: Path, source: Path) -> bytes | None:
    try:
        return confine(root, source).read_bytes()
    except (OutsideBook, OSError):
        return None


def metadata(book: Book) -> dict:
    """Pandoc metadata: title, author, lang, description, keywords go to the core properties."""
    m = book.meta

    def inlines(text: str) -> dict:
        return {"t": "MetaInlines", "c": text_inlines(" ".join(text.split()))}

    meta = {"title": inlines(m.title), "lang": {"t": "MetaString", "c": m.language}}
    if m.authors:
        meta["author"] = {"t": "MetaList", "c": [inlines(a) for a in m.authors]}
    if m.subjects:
        meta["keywords"] = {"t": "MetaList", "c": [inlines(s) for s in m.subjects]}
    spelled = long_date(m.date, m.language) if m.date else None   # as every other format spells it
    for key, value in (("subtitle", m.subtitle), ("date", spelled), ("description", m.description),
                       ("subject", m.series), ("publisher", m.publisher), ("rights", m.rights),
                       ("identifier", m.identifier)):
        if value:
            meta[key] = inlines(value)
    return meta


# --- running pandoc and finishing the file -------------------------------------------------------

def _dumps(document: dict) -> str:
    """Compact ASCII JSON: the fastest form of json.dumps, and the smallest input for pandoc."""
    return json.dumps(document, separators=(",", ":"), check_circular=False)


def _created(book: Book) -> datetime:
    if book.meta.date:
        return datetime.strptime(book.meta.date, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return book.meta.modified


def stamp_dates(path: Path, created: datetime, modified: datetime) -> None:
    """Rewrite the core properties' dates, keeping every other entry (order, times, compression)."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as out:
        for info, data in entries:
            if info.filename == CORE:
                data = _core_dates(data, created, modified)
            out.writestr(info, data)


def _core_dates(xml: bytes, created: datetime, modified: datetime) -> bytes:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    for name, when in (("created", created), ("modified", modified)):
        element = root.find(f"{{{DCTERMS}}}{name}")
        if element is not None:
            element.text = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
