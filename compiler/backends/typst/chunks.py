"""A big book in chunks: Typst keeps every page of a document (and its layout caches) in memory,
about 4 MB a page, so a book of more than CHUNK_CHAPTERS chapters is compiled a group of chapters
at a time, each in its own short-lived process, and the PDFs are merged (pypdf).

- Chunk 0 is the front: cover, title page, colophon, contents (printed from the page numbers the
  other chunks reported; compiled twice: once to count its pages, once with the numbers) and the
  front-matter chapters. Each body chunk knows the arabic number of its first page and whether that
  page is a left-hand one (`flip`: margins, running heads, recto breaks follow the book's pages).
- Links between chunks are written as `chapbook-internal:<label>` URIs and made into page
  destinations at the merge; bookmarks and page labels are written for the whole book at the merge
  from the same contents entries, so the outline equals the contents as in one pass.
- PDF/A and PDF/UA need one document (one structure tree): those variants compile in one pass.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from compiler.backends.pdf.outline import TocEntry
from compiler.backends.typst.document import Composer, Source

# Chapters per chunk, and the most a book may have to compile in one pass (measured: 300
# generated posts in one pass peak at 1.3 GB). CHAPBOOK_TYPST_CHUNK sets both (tests use it).
CHUNK_CHAPTERS = int(os.environ.get("CHAPBOOK_TYPST_CHUNK", "120"))
SINGLE_PASS_MAX = int(os.environ.get("CHAPBOOK_TYPST_CHUNK", "200"))
INTERNAL = "chapbook-internal:"


def wants_chunks(composer: Composer) -> bool:
    book = composer.book
    return composer.options.variant == "none" and len(book.chapters) + len(book.back) > SINGLE_PASS_MAX


def groups(items: list) -> list[list]:
    """Body items in runs of at most CHUNK_CHAPTERS chapters (a part page stays with its first chapter)."""
    out: list[list] = [[]]
    count = 0
    for item in items:
        if count >= CHUNK_CHAPTERS and out[-1][-1][0] != "part":
            out.append([])
            count = 0
        out[-1].append(item)
        count += item[0] != "part"
    return [g for g in out if g]


def _ids(composer: Composer, items: list) -> set[str]:
    """Ids printed by these items (chapters, their headings, parts)."""
    slugs = set()
    for kind, item, _ in items:
        slugs.add(item[0].slug if kind == "part" else item.slug)
    return {ident for ident, owner in composer.book.chapter_of().items() if owner in slugs}


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def compile_chunked(composer: Composer, compile_source, target: Path, work: Path) -> dict:
    """Compile the book chunk by chunk and merge; `compile_source(source, pdf_path)` runs Typst and
    returns its result dict (errors stop everything). Returns the result (warnings, cpu, memory)."""
    import pypdf

    front_items = composer.front()
    body_groups = groups(composer.body())
    entries = composer.entries
    labels = composer.labels
    front_ids = _ids(composer, front_items)
    group_ids = [_ids(composer, g) for g in body_groups]
    local = lambda ids: {labels.get(i) for i in ids if labels.get(i)}   # noqa: E731
    digits = len(str(4 * len(composer.book.chapters) + 10))
    total = {"warnings": [], "cpu": 0.0, "maxrss_kb": 0}

    def run(source: Source, path: Path) -> int:
        result = compile_source(source, path)
        total["warnings"] += result.get("warnings", [])
        total.setdefault("placed_warnings", []).extend(result.get("placed_warnings", []))
        total["cpu"] += result.get("cpu", 0.0)
        total["maxrss_kb"] = max(total["maxrss_kb"], result.get("maxrss_kb", 0))
        if result.get("error") or result.get("errors"):
            raise ChunkFailed(result)
        return len(pypdf.PdfReader(path).pages)

    def front_source(numbers: dict[str, str]) -> Source:
        contents = [(e, numbers.get(e.id, "0" * digits)) for e in entries]
        return composer.source(front_items, contents, body_start=None, local=local(front_ids))

    front_pdf = work / "chunk-0.pdf"
    try:
        front_pages = run(front_source({}), front_pdf)
        pages: dict[str, int] = {}           # entry id -> page index in the merged PDF
        for attempt in range(2):
            offset, arabic, chunk_pdfs = front_pages, 1, []
            for index, (items, ids) in enumerate(zip(body_groups, group_ids), 1):
                flip = offset % 2                                  # the chunk starts on a left-hand page
                blank = bool(flip and composer.options.recto_chapters)    # then a blank page first
                extra = f"\n#let cb-config = cb-config + (flip: {flip})"
                source = composer.source(items, None, furniture=False, body_start=arabic + blank, extra=extra,
                                         local=local(ids), blank_first=blank)
                path = work / f"chunk-{index}.pdf"
                count = run(source, path)
                chunk_pdfs.append(path)
                _bookmark_pages(path, [e for e in entries if e.id in ids], offset, pages)
                offset += count
                arabic += count
            _bookmark_pages(front_pdf, [e for e in entries if e.id in front_ids], 0, pages)
            numbers = {e.id: (_roman(pages[e.id] + 1) if e.front else str(pages[e.id] - front_pages + 1))
                       for e in entries if e.id in pages}
            new_front = run(front_source(numbers), front_pdf)
            if new_front % 2 == front_pages % 2 or attempt:
                front_pages_final = new_front
                break
            front_pages = new_front                   # the parity of every body page changed: again
        shift = front_pages_final - front_pages
        if shift:
            pages = {k: v + shift if v >= front_pages else v for k, v in pages.items()}
        _bookmark_pages(front_pdf, [e for e in entries if e.id in front_ids], 0, pages)
        merge(composer, [front_pdf, *chunk_pdfs], pages, front_pages_final, target)
    except ChunkFailed as exc:
        failed = exc.args[0]
        return {**failed, "placed_warnings": total.get("placed_warnings", [])}
    return total


class ChunkFailed(Exception):
    """A chunk did not compile; its result says why."""


def _bookmark_pages(path: Path, entries: list[TocEntry], offset: int, pages: dict[str, int]) -> None:
    """Page of each contents entry of a chunk, from the chunk's own bookmarks (same order)."""
    import pypdf
    reader = pypdf.PdfReader(path)
    flat = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                flat.append(reader.get_destination_page_number(item))
    walk(reader.outline)
    for entry, page in zip(entries, flat):
        pages[entry.id] = offset + page


def merge(composer: Composer, pdfs: list[Path], pages: dict[str, int], front_pages: int, target: Path) -> None:
    """One PDF: the chunks' pages, links between chunks resolved, outline, page labels, metadata."""
    import pypdf
    from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, NameObject, NullObject, TextStringObject

    writer = pypdf.PdfWriter()
    for path in pdfs:
        writer.append(pypdf.PdfReader(path), import_outline=False)
    owner = composer.book.chapter_of()
    by_label = {composer.labels.get(e.id): pages[e.id] for e in composer.entries if e.id in pages}
    for ident, slug in owner.items():         # ids outside the contents lead to their chapter
        label = composer.labels.get(ident)
        if label and label not in by_label and slug in pages:
            by_label[label] = pages[slug]
    for page in writer.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A")
            uri = action.get("/URI") if action is not None else None
            if not isinstance(uri, str) or not uri.startswith(INTERNAL):
                continue
            index = by_label.get(uri[len(INTERNAL):])
            if index is None:
                del annot[NameObject("/A")]
                continue
            annot[NameObject("/A")] = DictionaryObject({
                NameObject("/S"): NameObject("/GoTo"),
                NameObject("/D"): ArrayObject([writer.pages[index].indirect_reference, NameObject("/XYZ"),
                                               NullObject(), NullObject(), NullObject()])})
    parents: list[tuple[int, object]] = []
    for entry in composer.entries:
        if entry.id not in pages:
            continue
        while parents and parents[-1][0] >= entry.level:
            parents.pop()
        item = writer.add_outline_item(" ".join(entry.text.split()), pages[entry.id],
                                       parent=parents[-1][1] if parents else None)
        parents.append((entry.level, item))
    total = len(writer.pages)
    if front_pages:
        writer.set_page_label(0, front_pages - 1, style="/r")
    if total > front_pages:
        writer.set_page_label(front_pages, total - 1, style="/D", start=1)
    meta = composer.book.meta
    stamp = meta.modified.strftime("D:%Y%m%d%H%M%SZ")
    info = {"/Title": meta.title, "/Creator": "Typst (Chapbook, in chunks)", "/CreationDate": stamp, "/ModDate": stamp}
    if meta.authors:
        info["/Author"] = ", ".join(meta.authors)
    if meta.description:
        info["/Subject"] = " ".join(meta.description.split())
    if meta.subjects:
        info["/Keywords"] = ", ".join(meta.subjects)
    writer.add_metadata(info)
    writer._root_object[NameObject("/Lang")] = TextStringObject(meta.language)
    digest = hashlib.md5(f"{meta.identifier}|{stamp}|{total}".encode()).digest()
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    with open(target, "wb") as out:
        writer.write(out)
