"""The merge of a chunked PDF, with pikepdf (qpdf): skeleton pages, chunk pages over them, links,
destinations, outline and page labels for the whole book.

Why pikepdf: it copies pages between files with their resources and annotations and lets us
rewrite annotations and the catalog. qpdf's `--pages` merge keeps the first file's catalog only
(the others' named destinations and outlines are dropped), pypdf's merger loses links whose
target is in another file, and pdfunite drops every link; none of them can resolve a link from
one chunk to a heading in another, which is the point here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from compiler.backends.pdf.chunked import ANCHOR_URL


@dataclass
class FinalPage:
    """One page of the book: a skeleton page (segment, page) or a blank, and maybe a chunk page
    (chunk, page) drawn over it, moved right by `dx` points."""
    skeleton: tuple[int, int] | None
    chunk: tuple[int, int] | None = None
    dx: float = 0.0


@dataclass
class Outline:
    title: str
    target: str
    children: list["Outline"]


def stitch(target: Path, segment_files: list[Path], chunk_files: list[Path], plan: list[FinalPage],
           outline: list[Outline], body_start: int | None, aliases: dict[str, str] | None = None,
           info: dict[str, str] | None = None) -> int:
    """Write the book to `target`; returns its number of pages. `aliases`: destination names that
    lead where another name leads when no page carries them; `info`: document information entries
    set over the first segment's."""
    segments = [pikepdf.open(f) for f in segment_files]
    chunks = [pikepdf.open(f) for f in chunk_files]
    try:
        return _stitch(target, segments, chunks, plan, outline, body_start, aliases or {}, info or {})
    finally:
        for pdf in segments + chunks:
            pdf.close()


def _stitch(target, segments, chunks, plan, outline, body_start, aliases, info) -> int:
    first = segments[0]
    final = pikepdf.new()
    for key in ("/Lang", "/Metadata", "/OutputIntents", "/MarkInfo", "/ViewerPreferences"):
        if key in first.Root:
            final.Root[key] = _copy(final, first, first.Root[key])
    if "/Info" in first.trailer:
        final.trailer.Info = _copy(final, first, first.trailer.Info)
    if info and "/Info" not in final.trailer:
        final.trailer.Info = final.make_indirect(Dictionary())
    for key, value in info.items():
        final.trailer.Info[key] = String(value)
    box = first.pages[0].mediabox
    dests: dict[str, Array] = {}
    chunk_page_of: dict[tuple[int, tuple[int, int]], int] = {}      # (chunk, objgen) -> final index
    dx_of: dict[int, float] = {}
    for index, page in enumerate(plan):
        if page.skeleton is None:
            final.add_blank_page(page_size=(float(box[2]), float(box[3])))
        else:
            s, local = page.skeleton
            final.pages.append(segments[s].pages[local])
        if page.chunk is not None:
            c, local = page.chunk
            source = chunks[c].pages[local]
            chunk_page_of[(c, source.obj.objgen)] = index
            dx_of[index] = page.dx
            _draw_over(final, final.pages[index], source, page.dx)
    pages = [page.obj for page in final.pages]       # (indexing final.pages walks the page tree)
    # destinations: the chunks' (moved with their pages), then the skeleton's for the rest
    for c, pdf in enumerate(chunks):
        for name, dest in _named_dests(pdf):
            page = chunk_page_of.get((c, dest[0].objgen)) if len(dest) >= 4 else None
            if page is not None and name not in dests:
                dests[name] = _xyz(pages, page, float(dest[2]) + dx_of.get(page, 0.0), float(dest[3]))
    seg_page_of = {(p.skeleton[0], p.skeleton[1]): i for i, p in enumerate(plan) if p.skeleton is not None}
    seg_objgen = {(s, pdf.pages[i].obj.objgen): (s, i) for s, pdf in enumerate(segments) for i in range(len(pdf.pages))}
    for s, pdf in enumerate(segments):
        for name, dest in _named_dests(pdf):
            key = seg_objgen.get((s, dest[0].objgen)) if len(dest) >= 4 else None
            if key is not None and name not in dests and key in seg_page_of:
                dests[name] = _xyz(pages, seg_page_of[key], float(dest[2]), float(dest[3]))
    for name, other in aliases.items():
        if name not in dests and other in dests:
            dests[name] = dests[other]
    # links: anchor URIs -> the merged destination; unknown ones are removed (never a dead link)
    for page in final.pages:
        if "/Annots" not in page.obj:
            continue
        kept = Array()
        for annot in page.obj.Annots:
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(ANCHOR_URL):
                name = unquote(uri[len(ANCHOR_URL):])
                if name not in dests:
                    continue
                del annot["/A"]
                annot.Dest = dests[name]
            kept.append(annot)
        page.obj.Annots = kept
    if dests:
        names = Array()
        for name in sorted(dests):
            names.append(String(name))
            names.append(dests[name])
        final.Root.Names = Dictionary(Dests=final.make_indirect(Dictionary(Names=names)))
    nums = Array([0, Dictionary(S=Name.r)])
    if body_start == 0:
        nums = Array([0, Dictionary(S=Name.D)])
    elif body_start:
        nums.extend([body_start, Dictionary(S=Name.D)])
    final.Root.PageLabels = Dictionary(Nums=nums)
    if outline:
        final.Root.PageMode = Name.UseOutlines
        with final.open_outline() as tree:
            tree.root.extend(_outline_items(outline, dests))
    final.save(target, deterministic_id=True, compress_streams=True,
               object_stream_mode=pikepdf.ObjectStreamMode.generate, min_version=first.pdf_version)
    return len(final.pages)


def _copy(final: pikepdf.Pdf, source: pikepdf.Pdf, obj):
    return final.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))


def _draw_over(final: pikepdf.Pdf, page: pikepdf.Page, source: pikepdf.Page, dx: float) -> None:
    """The chunk page's content as a form XObject on `page`, moved by `dx`; its annotations too."""
    width, height = float(source.mediabox[2]), float(source.mediabox[3])
    # as pikepdf's add_overlay, but with a fixed resource name (it draws a random one: not reproducible)
    # The skeleton's pages share one resource dictionary (WeasyPrint writes one): each page gets its own.
    form = final.copy_foreign(source.as_form_xobject())
    shared = page.obj.get("/Resources") or Dictionary()
    resources = Dictionary({key: value for key, value in shared.items()})
    xobjects = resources.get("/XObject")
    resources.XObject = Dictionary({key: value for key, value in xobjects.items()} if xobjects is not None else {})
    name = Name("/ChapbookChunk")
    resources.XObject[name] = form
    page.obj.Resources = resources
    placement = page.calc_form_xobject_placement(form, name, pikepdf.Rectangle(dx, 0, dx + width, height),
                                                 allow_shrink=False, allow_expand=False)
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n" + placement, prepend=False)
    if "/Annots" not in source.obj:
        return
    annots = page.obj.get("/Annots")
    if annots is None:
        page.obj.Annots = annots = Array()
    for annot in source.obj.Annots:
        if "/P" in annot:
            del annot["/P"]
        copy = final.copy_foreign(annot)
        if dx and "/Rect" in copy:
            x1, y1, x2, y2 = (float(v) for v in copy.Rect)
            copy.Rect = Array([x1 + dx, y1, x2 + dx, y2])
        annots.append(copy)


def _named_dests(pdf: pikepdf.Pdf):
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return []
    tree = pikepdf.NameTree(names.Dests)
    return [(name, dest) for name, dest in tree.items() if isinstance(dest, Array)]


def _xyz(pages: list, index: int, x: float, y: float) -> Array:
    return Array([pages[index], Name.XYZ, round(x, 2), round(y, 2), 0])


def _outline_items(nodes: list[Outline], dests: dict[str, Array]) -> list[pikepdf.OutlineItem]:
    items = []
    for node in nodes:
        dest = dests.get(node.target)
        item = pikepdf.OutlineItem(node.title)
        if dest is not None:
            item.destination = dest
        item.children.extend(_outline_items(node.children, dests))
        items.append(item)
    return items
