"""The PDF in chunks: the book's chapters typeset in parallel processes, stitched into one PDF.

Why (docs/pdf.md, "How a big book is typeset", has the measurements): WeasyPrint keeps the whole
document in memory and its time per page grows with the document's length, so one render of a
5,000-page book takes minutes and gigabytes on one core. Here no process ever lays out more than a
bounded number of pages, and no page is laid out twice:

1. **Body chunks** (parallel): the chapters, split at chapter boundaries into chunks of a bounded
   estimated size, typeset without page furniture (no running heads, no folios) and with every
   internal link turned into an `https://anchor.invalid/<id>` URI, which survives the render.
   Each chunk reports, per page, whether it is blank and which chapter or heading starts on it.
2. **Skeleton** (the cheap pass): the same theme and template with each chapter's text replaced by
   as many empty pages as the chunk gave it. WeasyPrint lays these out with the theme's own page
   rules, so running heads, folios, blank versos, part pages, the cover, the title pages and the
   contents come out as in one render. The contents print the final page labels (computed from
   the chunks' page counts) instead of `target-counter()`. The skeleton is itself cut into
   segments at chapter starts (its cost per page also grows with length), each told its first
   page's side and number.
3. **Merge** (pikepdf): page by page, the skeleton's page with the chunk's page drawn over it
   (moved sideways when the chunk page's side differs from its final side, as inner and outer
   margins differ); the internal links resolved against the merged named destinations; outline,
   page labels and destinations written for the whole book; metadata, language, XMP and output
   intent from the first skeleton segment.
"""

from __future__ import annotations

import html as html_lib
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

import lxml.html
from lxml import etree
from markupsafe import Markup

from compiler.backends.pdf.options import PdfOptions, font_points, page_margins, page_size_mm
from compiler.backends.pdf.renderer import Running, run_renderer

ANCHOR_URL = "https://anchor.invalid/"
DEFAULT_CHUNK_PAGES = 160       # estimated pages per chunk: ~250 MB per renderer, ~15 s on one core
SEGMENT_PAGES = 400             # skeleton pages per segment
HARD_FACTOR = 4                 # a piece of a post over HARD_FACTOR x the chunk bound is refused
FRONT_IDS = ("_cb-cover", "_cb-title", "_cb-colophon", "_cb-toc")
_HREF = re.compile(r'href="#([^"]*)"')
_HEADING = {"h1", "h2", "h3", "h4", "h5", "h6"}
_TAGS = re.compile(r"<[^>]+>")
_MARGIN_BOXES = ("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner", "bottom-left-corner",
                 "bottom-left", "bottom-center", "bottom-right", "bottom-right-corner", "left-top", "left-middle",
                 "left-bottom", "right-top", "right-middle", "right-bottom")
HIDE_FRONT = ", ".join(f"#{i}" for i in FRONT_IDS) + " { display: none !important; }\n"
CHUNK_CSS = (
    "\n/* chunk: text only; the skeleton draws the page furniture */\n" + HIDE_FRONT
    + "@page { background: none !important; border: none !important; "
    + " ".join(f"@{box} {{ content: none !important; }}" for box in _MARGIN_BOXES) + " }\n"
    ".cb-cont > .chapter-head { visibility: hidden !important; height: 0 !important; min-height: 0 !important; "
    "margin: 0 !important; padding: 0 !important; border: 0 !important; overflow: hidden !important; }\n"
)
SKELETON_CSS = (
    "\n/* skeleton: page furniture only; the chunks draw the text */\n"
    ".chapter-head { visibility: hidden !important; height: 0 !important; min-height: 0 !important; "
    "margin: 0 !important; padding: 0 !important; border: 0 !important; overflow: hidden !important; }\n"
    ".cb-page { break-before: page !important; height: 0; margin: 0; padding: 0; border: 0; }\n"
)


def chunk_bound() -> int:
    """Estimated pages per chunk (CHAPBOOK_PDF_CHUNK_PAGES, for tests and benchmarks)."""
    return max(1, int(os.environ.get("CHAPBOOK_PDF_CHUNK_PAGES") or DEFAULT_CHUNK_PAGES))


def segment_bound() -> int:
    return max(1, int(os.environ.get("CHAPBOOK_PDF_SEGMENT_PAGES") or SEGMENT_PAGES))


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --- planning ------------------------------------------------------------------------------------

@dataclass
class Piece:
    """A chapter, or one part of a chapter too long for a chunk, ready for the chunk template."""
    block: dict
    slug: str           # the chapter
    anchor: str         # the id at its start: the chapter's slug, or _cb-cont-<slug>-<n>
    est: float          # estimated pages
    cont: bool = False  # a continuation of the chapter (alone in its chunk)


@dataclass
class TooLarge(Exception):
    source: str
    estimated: int
    limit: int


def chars_per_page(options: PdfOptions) -> float:
    """Characters of running text on a full page (calibrated on generated books, A5 at 10.5pt)."""
    width, height = page_size_mm(options.page_size)
    m = page_margins(options)
    area = (width - m["inner"] - m["outer"]) * (height - m["top"] - m["bottom"])
    return 1900 * area / (114.7 * 170.1) * (10.5 / font_points(options.font_size)) ** 2


def estimate_pages(html: str, per_page: float) -> float:
    return 0.5 + len(_TAGS.sub("", html)) / per_page


def link_anchors(html: str) -> str:
    """Internal links as `https://anchor.invalid/<id>`: WeasyPrint keeps them (it drops links to
    anchors outside the document it renders), and the merge points them at the final page."""
    return _HREF.sub(lambda m: f'href="{ANCHOR_URL}{quote(html_lib.unescape(m[1]), safe="")}"', html)


def plan_chunks(blocks: list[dict], options: PdfOptions, bound: int) -> list[list[Piece]]:
    """Chapters in reading order, grouped into chunks of at most `bound` estimated pages; a chapter
    over the bound is split at its top-level headings (each further part alone in a chunk)."""
    per_page = chars_per_page(options)
    chunks: list[list[Piece]] = []
    current: list[Piece] = []
    size = 0.0
    for block in blocks:
        if block["kind"] == "part":
            continue
        for piece in split_chapter(block, per_page, bound):
            if piece.cont or (current and size + piece.est > bound):
                if current:
                    chunks.append(current)
                current, size = [], 0.0
            current.append(piece)
            size += piece.est
            if piece.cont:
                chunks.append(current)
                current, size = [], 0.0
    if current:
        chunks.append(current)
    return chunks


def split_chapter(block: dict, per_page: float, bound: int) -> list[Piece]:
    html = str(block["html"])
    est = estimate_pages(html, per_page)
    linked = {**block, "html": Markup(link_anchors(html))}
    if est <= bound:
        return [Piece(linked, block["id"], block["id"], est)]
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    groups: list[list] = [[]]
    sizes = [0.0]
    for child in root:
        text = len(child.text_content()) if isinstance(child.tag, str) else 0
        starts_section = isinstance(child.tag, str) and (child.tag in _HEADING or _opens_with_heading(child))
        if groups[-1] and starts_section and sizes[-1] + text / per_page > bound:
            groups.append([])
            sizes.append(0.0)
        groups[-1].append(child)
        sizes[-1] += text / per_page
    limit = HARD_FACTOR * bound
    if max(sizes) > limit:
        raise TooLarge(block.get("source") or block["id"], int(max(sizes)), limit)
    lead = (root.text or "") if len(groups) > 0 else ""
    pieces = []
    for index, group in enumerate(groups):
        body = "".join(etree.tostring(e, method="html", encoding="unicode") for e in group)
        if index == 0:
            body = html_lib.escape(lead) + body
            pieces.append(Piece({**block, "html": Markup(link_anchors(body))}, block["id"], block["id"], sizes[0] + 0.5))
            continue
        anchor = f"_cb-cont-{block['id']}-{index}"
        piece = {**block, "kind": f"{block['kind']} cb-cont", "id": anchor, "date": None, "body_start": False,
                 "html": Markup(link_anchors(body))}
        pieces.append(Piece(piece, block["id"], anchor, sizes[index], cont=True))
    return pieces


def _opens_with_heading(element) -> bool:
    """pandoc's `<section>` wrappers: a section whose first child is a heading."""
    first = next((c for c in element if isinstance(c.tag, str)), None)
    return element.tag == "section" and first is not None and first.tag in _HEADING


# --- page arithmetic -----------------------------------------------------------------------------

@dataclass
class Laid:
    """What the chunks told us: per chapter, its pages as (chunk, local page); per TOC id, the
    chapter and the page offset in it."""
    pages: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    where: dict[str, tuple[str, int]] = field(default_factory=dict)


def read_chunks(chunks: list[list[Piece]], results: list[dict], toc_ids: set[str]) -> Laid:
    laid = Laid()
    for c, (pieces, result) in enumerate(zip(chunks, results)):
        info = result["page_info"]
        anchors = {p.anchor for p in pieces}
        owner: str | None = None
        for local, (blank, ids) in enumerate(info):
            for name in ids:
                if name in anchors:
                    owner = next(p.slug for p in pieces if p.anchor == name)
            if owner is None or blank:
                continue
            pages = laid.pages.setdefault(owner, [])
            for name in ids:
                if name in toc_ids and name not in laid.where:
                    laid.where[name] = (owner, len(pages))
            pages.append((c, local))
    return laid


def roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out += letters
            number -= value
    return out


def place(blocks: list[dict], laid: Laid, recto: bool, start: int) -> dict[str, int]:
    """Start page (0-based, from `start`) of each block, as WeasyPrint breaks pages: every block
    on a new page, on a right-hand (even) one with `recto`; a part is one page."""
    pos = start
    starts = {}
    for block in blocks:
        if recto and pos % 2:
            pos += 1
        starts[block["id"]] = pos
        pos += 1 if block["kind"] == "part" else len(laid.pages.get(block["id"], [])) or 1
    starts["_end"] = pos
    return starts


def segments(body: list[dict], starts: dict[str, int], bound: int) -> list[list[dict]]:
    out: list[list[dict]] = []
    first = None
    for block in body:
        if out and starts[block["id"]] - first < bound:
            out[-1].append(block)
        else:
            out.append([block])
            first = starts[block["id"]]
    return out


def skeleton_blocks(blocks: list[dict], laid: Laid) -> list[dict]:
    out = []
    for block in blocks:
        if block["kind"] == "part":
            out.append(block)
        else:
            n = len(laid.pages.get(block["id"], [])) or 1
            out.append({**block, "html": Markup('<div class="cb-page"></div>' * (n - 1))})
    return out


def opening_css(index: int, number: int) -> str:
    """A segment that opens on the book's page `index` (0-based: its side) printing folio `number`."""
    side = "right" if index % 2 == 0 else "left"
    return f"html {{ break-before: {side}; }}\n@page :first {{ counter-reset: page {number}; }}\n"


def literal_links(html: str, labels: dict[str, str]) -> str:
    """Links of the skeleton (the contents) with the target's final page label and an anchor URI."""
    def sub(m: re.Match) -> str:
        target = html_lib.unescape(m[1])
        label = html_lib.escape(labels.get(target, ""), quote=True)
        return f'href="{ANCHOR_URL}{quote(target, safe="")}" data-page="{label}"'
    return _HREF.sub(sub, html)


def side_shift_pt(options: PdfOptions) -> float:
    """How far the text block moves right from a left-hand page to a right-hand one, in points."""
    m = page_margins(options)
    return (m["inner"] - m["outer"]) * 72 / 25.4


# --- running the renders --------------------------------------------------------------------------

def render_many(jobs: list[tuple[dict, float]], workers: int, running: Running, on_done=None) -> list[dict]:
    """Render `(job, timeout)` pairs on `workers` threads (one renderer process each), biggest
    first; on the first failure every other renderer is stopped. Results in the order given."""
    results: list[dict | None] = [None] * len(jobs)
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][0]["html"]))

    def one(index: int) -> None:
        job, timeout = jobs[index]
        result = run_renderer(job, timeout, running)
        results[index] = result
        if "error" in result:
            running.cancel()
        elif on_done:
            on_done(result)

    if workers <= 1 or len(jobs) <= 1:
        for index in order:
            one(index)
            if running.cancelled:
                break
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            try:
                for future in [pool.submit(one, index) for index in order]:
                    future.result()
            except BaseException:   # Ctrl-C, SIGTERM: kill every renderer now, or the pool waits for them
                running.cancel()
                raise
    return [r if r is not None else {"error": "stopped: another part of the PDF failed", "cancelled": True}
            for r in results]


def first_error(results: list[dict]) -> dict | None:
    errors = [r for r in results if "error" in r]
    real = [r for r in errors if not r.get("cancelled")]
    return (real or errors or [None])[0]


def ceil_pages(n: float) -> int:
    return max(1, math.ceil(n))
