"""A big book in chunks: Typst keeps every page of a document (and its layout caches) in memory,
about 4 MB a page, so a book of more than SINGLE_PASS_MAX chapters is compiled CHUNK_CHAPTERS
chapters at a time, each in its own short-lived process, two (the cores) at once, and the PDFs are
merged with pikepdf by the WeasyPrint engine's merge (compiler/backends/pdf/stitch.py).

- The chunks do not depend on one another: each is laid out as if it began on a right-hand page,
  without running heads or folios. Its pages are then drawn over the pages of a *skeleton*, a
  Typst document of the body's pages holding only the running heads and folios (the template's
  own header, fed the page's state), moved sideways where a page lands on the other side than it
  was laid out for (the inner and outer margins differ). With `recto_chapters` a blank page goes
  between two chunks where the next would begin on a left-hand page.
- The front (cover, title page, colophon, contents, front-matter chapters) is a document of its
  own, compiled once with blank page numbers beside the chunks, then again with the numbers.
- Links, within a chunk as between chunks, are anchor URIs (`ANCHOR_URL<name>`, as the WeasyPrint
  chunks write them) to named destinations (Typst's for headings; ours for what Typst links
  directly), resolved at the merge; an id no heading carries leads to its chapter. Bookmarks and
  page labels are written for the whole book from the same contents entries.
- PDF/A and PDF/UA need one document (one structure tree): those variants compile in one pass.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from compiler.backends.pdf.chunked import ANCHOR_URL, usable_cores
from compiler.backends.pdf.options import page_margins
from compiler.backends.pdf.outline import toc_tree
from compiler.backends.typst.document import Composer, Source
from compiler.backends.typst.writer import string
from compiler.model.book import shorten

# Chapters per chunk, and the most a book may have to compile in one pass (measured: 300
# generated posts in one pass peak at 1.2 GB in Typst; 1,000 posts, the build's process tree with
# two chunks at once: 1.86 GB with chunks of 100 chapters, 1.79 GB with chunks of at most 80).
# CHAPBOOK_TYPST_CHUNK sets both (tests use it).
CHUNK_CHAPTERS = int(os.environ.get("CHAPBOOK_TYPST_CHUNK", "80"))
SINGLE_PASS_MAX = int(os.environ.get("CHAPBOOK_TYPST_CHUNK", "200"))
POINTS_PER_MM = 72 / 25.4


def wants_chunks(composer: Composer) -> bool:
    book = composer.book
    return composer.options.variant == "none" and len(book.chapters) + len(book.back) > SINGLE_PASS_MAX


def groups(items: list, jobs: int = 1) -> list[list]:
    """Body items in runs of at most CHUNK_CHAPTERS chapters, as even as can be, in a multiple of
    `jobs` runs (so that the processes finish together); a part page stays with its first chapter."""
    chapters = sum(1 for item in items if item[0] != "part")
    runs = -(-chapters // CHUNK_CHAPTERS)
    runs = -(-runs // jobs) * jobs
    size = max(1, -(-chapters // runs))
    out: list[list] = [[]]
    count = 0
    for item in items:
        if count >= size and out[-1][-1][0] != "part":
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


@dataclass
class Chunk:
    """A compiled chunk: its pages, which of them are blank, the page of each heading label."""
    path: Path
    pages: int = 0
    blank: list[bool] = field(default_factory=list)
    heads: dict[str, int] = field(default_factory=dict)


def compile_chunked(composer: Composer, compile_source, target: Path, work: Path, jobs: int | None = None) -> dict:
    """Compile the book in chunks (`jobs` at once) and merge; `compile_source(source, pdf_path)` runs
    Typst and returns its result dict (errors stop everything). Returns the result (warnings, cpu,
    memory)."""
    from compiler.backends.pdf.stitch import FinalPage, Outline, stitch

    jobs = max(1, jobs or usable_cores())
    front_items = composer.front()
    body_groups = groups(composer.body(), jobs)
    labels = composer.labels
    local = lambda items: {labels.get(i) for i in _ids(composer, items) if labels.get(i)}   # noqa: E731
    digits = len(str(4 * len(composer.book.chapters) + 10))
    recto = composer.options.recto_chapters
    total = {"warnings": [], "placed_warnings": [], "cpu": 0.0, "maxrss_kb": 0}
    def run(source_future, path: Path, index: int) -> tuple[dict, Chunk | None]:
        result = compile_source(source_future.result(), path)
        if result.get("error") or result.get("errors"):
            return result, None
        return result, _prepare(path, index)

    def add(result: dict) -> None:
        total["warnings"] += result.get("warnings", [])
        total["placed_warnings"] += result.get("placed_warnings", [])
        total["cpu"] += result.get("cpu", 0.0)
        total["maxrss_kb"] = max(total["maxrss_kb"], result.get("maxrss_kb", 0))

    def front_source(numbers: dict[str, str]):
        contents = [(e, numbers.get(e.id, "0" * digits)) for e in composer.entries]
        return lambda: composer.source(front_items, contents, body_start=None, local=local(front_items))

    def body_source(items: list):
        return lambda: composer.source(items, None, furniture=False, body_start=1,
                                       extra="\n#let cb-config = cb-config + (flip: 0)", local=local(items),
                                       after_show="\n#set page(header: none)")    # heads and folios: the skeleton's

    def all_of(pool, tasks) -> list[Chunk] | dict:
        """Run the tasks (make_source, pdf, index) on the pool; their chunks, or the first failure.
        One thread writes the sources, in order (labels are numbered as they are written: the same
        numbers every time), ahead of the processes compiling them."""
        with ThreadPoolExecutor(1) as writer:
            sources = [writer.submit(make) for make, _, _ in tasks]
            futures = [pool.submit(run, source, path, index) for source, (_, path, index) in zip(sources, tasks)]
        done = []
        for future in futures:
            result, chunk = future.result()
            add(result)
            if chunk is None:
                for other in futures:
                    other.cancel()
                return {**result, "placed_warnings": total["placed_warnings"]}
            done.append(chunk)
        return done

    front_pdf, skeleton_pdf = work / "chunk-0.pdf", work / "skeleton.pdf"
    with ThreadPoolExecutor(jobs) as pool:
        # the longest first; the front (a few pages) last
        done = all_of(pool, [(body_source(items), work / f"chunk-{i}.pdf", i) for i, items in enumerate(body_groups, 1)]
                      + [(front_source({}), front_pdf, 0)])
        if isinstance(done, dict):
            return done
        *chunks, front = done
        for _ in range(3):    # the contents with their numbers and the skeleton, until the front keeps its length
            layout = _Layout(front.pages, [c.pages for c in chunks], recto)
            done = all_of(pool, [(front_source(_numbers(composer, front, chunks, layout)), front_pdf, 0),
                                 ((lambda layout=layout: _skeleton(composer, chunks, layout)), skeleton_pdf, -1)])
            if isinstance(done, dict):
                return done
            settled, front = done[0].pages == front.pages, done[0]
            if settled:
                break
        else:
            layout = _Layout(front.pages, [c.pages for c in chunks], recto)   # a front that never settles
            done = all_of(pool, [((lambda: _skeleton(composer, chunks, layout)), skeleton_pdf, -1)])
            if isinstance(done, dict):
                return done

    margins = page_margins(composer.options)
    shift = (margins["outer"] - margins["inner"]) * POINTS_PER_MM     # a right-hand page laid out, shown on the left
    plan = [FinalPage((0, i)) for i in range(front.pages)] + [FinalPage(None)] * (layout.body_start - front.pages)
    for g in range(layout.body_start, layout.total):
        where = layout.at.get(g)
        if where is None:
            plan.append(FinalPage((1, g - layout.body_start)))
            continue
        c, j = where
        dx = 0.0 if (g - j) % 2 == 0 else (shift if j % 2 == 0 else -shift)
        plan.append(FinalPage((1, g - layout.body_start), (c, j), dx))

    def outline(nodes):
        return [Outline(" ".join(n["entry"].text.split()), labels.get(n["entry"].id), outline(n["children"]))
                for n in nodes]

    owner = composer.book.chapter_of()
    aliases = {labels.get(i): labels.get(slug) for i, slug in owner.items() if labels.get(i) and labels.get(slug)}
    stitch(target, [front_pdf, skeleton_pdf], [c.path for c in chunks], plan, outline(toc_tree(composer.entries)),
           layout.body_start, aliases, {"/Creator": "Typst (Chapbook, in chunks)"})
    return total


class _Layout:
    """Where the chunks' pages go in the book: after the front (and a blank page, when the body must
    begin on a right-hand page), each chunk after the last, a blank page between two where needed."""

    def __init__(self, front_pages: int, chunk_pages: list[int], recto: bool):
        page = front_pages + (1 if recto and front_pages % 2 else 0)
        self.body_start = page
        self.starts: list[int] = []
        self.at: dict[int, tuple[int, int]] = {}        # book page -> (chunk, page in it)
        for c, count in enumerate(chunk_pages):
            if recto and page % 2:
                page += 1
            self.starts.append(page)
            self.at.update({page + j: (c, j) for j in range(count)})
            page += count
        self.total = page


def _numbers(composer: Composer, front: Chunk, chunks: list[Chunk], layout: _Layout) -> dict[str, str]:
    """Each contents entry's printed number: roman in the front, arabic from the body's first page."""
    pages = dict(front.heads)
    for chunk, start in zip(chunks, layout.starts):
        pages.update({name: start + page for name, page in chunk.heads.items()})
    out = {}
    for e in composer.entries:
        page = pages.get(composer.labels.get(e.id))
        if page is not None:
            out[e.id] = _roman(page + 1) if e.front else str(page - layout.body_start + 1)
    return out


def _skeleton(composer: Composer, chunks: list[Chunk], layout: _Layout) -> Source:
    """The body's pages with their running heads and folios only: the template's own header, told
    for each page whether it is silent (an opening, a blank page) and the running head of its recto."""
    running: dict[str, str] = {}
    for kind, item, _ in composer.body():
        thing = item[0] if kind == "part" else item
        label = composer.labels.get(thing.slug)
        if label:
            running[label] = shorten(thing.title, composer.fit)
    openings = [{page: name for name, page in chunk.heads.items() if name in running} for chunk in chunks]
    lines = [composer.config + f"\n#let cb-config = cb-config + (flip: {layout.body_start % 2})", composer.template,
             "#show: cb-book.with(cb-config)", '#set page(numbering: "1")\n#counter(page).update(1)']
    current = None
    for g in range(layout.body_start, layout.total):
        where = layout.at.get(g)
        silent = where is None
        if where is not None:
            c, j = where
            if j in openings[c]:
                current, silent = running[openings[c][j]], True
            silent = silent or chunks[c].blank[j]
        if g > layout.body_start:
            lines.append(f"#box()#cb-silent.update({'true' if silent else 'false'})"   # box: the update is on the page
                         f"#cb-running.update({string(current) if current is not None else 'none'})#pagebreak()")
    return Source("\n".join(lines) + "\n", [])


def _prepare(path: Path, index: int) -> Chunk:
    """Read a compiled chunk (pages, blank pages, heading pages) and turn the links Typst points
    straight at a page into anchor URIs to named destinations, as links between chunks are: the
    merge draws the chunk's pages over other pages, where only names lead anywhere."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page_of = {page.objgen: i for i, page in enumerate(pdf.pages)}
        chunk = Chunk(path, len(pdf.pages), [_blank(page) for page in pdf.pages])
        if "/Names" not in pdf.Root:
            pdf.Root.Names = Dictionary()
        if "/Dests" not in pdf.Root.Names:
            pdf.Root.Names.Dests = pdf.make_indirect(Dictionary(Names=Array()))
        tree = pikepdf.NameTree(pdf.Root.Names.Dests)
        for name, dest in tree.items():
            if isinstance(dest, Array) and len(dest) and dest[0].objgen in page_of:
                chunk.heads[name] = page_of[dest[0].objgen]
        made = 0
        for page in pdf.pages:
            for annot in page.obj.get("/Annots") or []:
                dest, action = annot.get("/Dest"), annot.get("/A")
                if dest is None and action is not None and action.get("/S") == Name.GoTo:
                    dest = action.get("/D")
                if not isinstance(dest, Array) or not len(dest) or dest[0].objgen not in page_of:
                    continue                                    # a URI, or a name (kept by the merge)
                made += 1
                name = f"cb-{index}-{made}"
                tree[name] = dest
                if "/Dest" in annot:
                    del annot["/Dest"]
                annot.A = Dictionary(S=Name.URI, URI=String(ANCHOR_URL + name))
        if made:
            pdf.save(path)
    return chunk


def _blank(page) -> bool:
    contents = page.obj.get("/Contents")
    if contents is None:
        return True
    import pikepdf
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return all(not stream.read_bytes().strip() for stream in streams)
