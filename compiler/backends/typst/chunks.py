"""A big book in chunks: Typst keeps every page of a document (and its layout caches) in memory,
about 4 MB a page, so a book of more than SINGLE_PASS_MAX chapters is compiled CHUNK_CHAPTERS
chapters at a time, each in its own short-lived process, and the PDFs are merged with pikepdf by
the WeasyPrint engine's merge (compiler/backends/pdf/stitch.py).

- Chunk 0 is the front: cover, title page, colophon, contents (printed from the page numbers the
  other chunks reported; compiled twice: once to count its pages, once with the numbers) and the
  front-matter chapters. Each body chunk knows the arabic number of its first page and whether that
  page is a left-hand one (`flip`: margins, running heads, recto breaks follow the book's pages).
- Links between chunks are written as anchor URIs (`ANCHOR_URL<label>`, as the WeasyPrint chunks
  write them) and become the named destinations Typst writes for headings at the merge (an id no
  heading carries leads to its chapter); bookmarks and page labels are written for the whole book
  at the merge from the same contents entries, so the outline equals the contents as in one pass.
- PDF/A and PDF/UA need one document (one structure tree): those variants compile in one pass.
"""

from __future__ import annotations

import os
from pathlib import Path

from compiler.backends.pdf.chunked import ANCHOR_URL
from compiler.backends.pdf.outline import toc_tree
from compiler.backends.typst.document import Composer, Source

# Chapters per chunk, and the most a book may have to compile in one pass (measured: 300
# generated posts in one pass peak at 1.2 GB in Typst). CHAPBOOK_TYPST_CHUNK sets both (tests use it).
CHUNK_CHAPTERS = int(os.environ.get("CHAPBOOK_TYPST_CHUNK", "120"))
SINGLE_PASS_MAX = int(os.environ.get("CHAPBOOK_TYPST_CHUNK", "200"))


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
    import pikepdf
    from compiler.backends.pdf.stitch import FinalPage, Outline, stitch

    front_items = composer.front()
    body_groups = groups(composer.body())
    entries = composer.entries
    labels = composer.labels
    front_ids = _ids(composer, front_items)
    group_ids = [_ids(composer, g) for g in body_groups]
    local = lambda ids: {labels.get(i) for i in ids if labels.get(i)}   # noqa: E731
    digits = len(str(4 * len(composer.book.chapters) + 10))
    total = {"warnings": [], "cpu": 0.0, "maxrss_kb": 0}

    def run(source: Source, path: Path) -> dict[str, int]:
        """Compile; the page index of each heading label (Typst's named destinations), and "" -> pages."""
        result = compile_source(source, path)
        total["warnings"] += result.get("warnings", [])
        total.setdefault("placed_warnings", []).extend(result.get("placed_warnings", []))
        total["cpu"] += result.get("cpu", 0.0)
        total["maxrss_kb"] = max(total["maxrss_kb"], result.get("maxrss_kb", 0))
        if result.get("error") or result.get("errors"):
            raise ChunkFailed(result)
        with pikepdf.open(path) as pdf:
            index = {page.objgen: i for i, page in enumerate(pdf.pages)}
            names = pdf.Root.get("/Names")
            found = {"": len(pdf.pages)}
            if names is not None and "/Dests" in names:
                for name, dest in pikepdf.NameTree(names.Dests).items():
                    if isinstance(dest, pikepdf.Array) and len(dest) and dest[0].objgen in index:
                        found[name] = index[dest[0].objgen]
        return found

    def front_source(numbers: dict[str, str]) -> Source:
        contents = [(e, numbers.get(e.id, "0" * digits)) for e in entries]
        return composer.source(front_items, contents, body_start=None, local=local(front_ids))

    front_pdf = work / "chunk-0.pdf"
    try:
        front_found = run(front_source({}), front_pdf)
        front_pages = front_found.pop("")
        for attempt in range(2):
            offset, arabic, chunk_pdfs, counts = front_pages, 1, [], []
            pages: dict[str, int] = {}           # label -> page index in the merged PDF
            for index, (items, ids) in enumerate(zip(body_groups, group_ids), 1):
                flip = offset % 2                                  # the chunk starts on a left-hand page
                blank = bool(flip and composer.options.recto_chapters)    # then a blank page first
                extra = f"\n#let cb-config = cb-config + (flip: {flip})"
                source = composer.source(items, None, furniture=False, body_start=arabic + blank, extra=extra,
                                         local=local(ids), blank_first=blank)
                path = work / f"chunk-{index}.pdf"
                found = run(source, path)
                count = found.pop("")
                pages.update({name: offset + page for name, page in found.items()})
                chunk_pdfs.append(path)
                counts.append(count)
                offset += count
                arabic += count
            new_found = run(front_source(_numbers(composer, pages | front_found, front_pages)), front_pdf)
            new_front = new_found.pop("")
            if new_front % 2 == front_pages % 2 or attempt:
                break
            front_pages, front_found = new_front, new_found     # the parity of every body page changed: again
        plan = [FinalPage((0, i)) for i in range(new_front)]
        plan += [FinalPage((s, i)) for s, count in enumerate(counts, 1) for i in range(count)]

        def outline(nodes):
            return [Outline(" ".join(n["entry"].text.split()), labels.get(n["entry"].id), outline(n["children"]))
                    for n in nodes]

        owner = composer.book.chapter_of()
        aliases = {labels.get(i): labels.get(slug) for i, slug in owner.items() if labels.get(i) and labels.get(slug)}
        stitch(target, [front_pdf, *chunk_pdfs], [], plan, outline(toc_tree(entries)), new_front, aliases,
               {"/Creator": "Typst (Chapbook, in chunks)"})
    except ChunkFailed as exc:
        failed = exc.args[0]
        return {**failed, "placed_warnings": total.get("placed_warnings", [])}
    return total


def _numbers(composer: Composer, pages: dict[str, int], front_pages: int) -> dict[str, str]:
    """Each contents entry's printed number: roman in the front, arabic from the body's first page."""
    labels = composer.labels
    out = {}
    for e in composer.entries:
        page = pages.get(labels.get(e.id))
        if page is not None:
            out[e.id] = _roman(page + 1) if e.front else str(page - front_pages + 1)
    return out


class ChunkFailed(Exception):
    """A chunk did not compile; its result says why."""
