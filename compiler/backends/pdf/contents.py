"""The chunked PDF's contents, cut into slices so that no renderer holds all of a long one.

A renderer's memory grows with what it lays out, and a blog's contents grows with the blog: 6,489
entries (1,000 posts and their sections, 202 A5 pages) took one renderer 1,246 MB and 140 s, more
than any chunk. So the front matter is typeset as several skeleton segments, one after another:
the first holds the cover, title page, colophon and the first slice of the contents; each further
one a slice of the contents only (its heading hidden but still setting the running head), on the
next page, with the page numbers running on; the last also holds the front-matter chapters.
Slices are cut before a top-level entry (a part, or a chapter in a book without parts), each of
at most `contents_bound()` entries; a top-level entry with more sections than that stays whole.
What differs from one render: each slice starts on a new page, so the page before it may end
short.
"""

from __future__ import annotations

import os

from compiler.backends.pdf.chunked import opening_css

CONTENTS_ENTRIES = 1500     # about 50 A5 pages of contents, under 300 MB for its renderer


def contents_bound() -> int:
    """Entries per contents slice (CHAPBOOK_PDF_CONTENTS_ENTRIES, for tests and benchmarks)."""
    return max(1, int(os.environ.get("CHAPBOOK_PDF_CONTENTS_ENTRIES") or CONTENTS_ENTRIES))


def slices(entries: list, bound: int) -> list[list]:
    """`entries` (flat, in order, with levels) cut before top-level entries into runs of at most
    `bound` entries; always at least one run, so the contents title is printed once."""
    if not entries:
        return [[]]
    top = min(e.level for e in entries)
    groups: list[list] = []
    for entry in entries:
        if entry.level == top or not groups:
            groups.append([])
        groups[-1].append(entry)
    runs: list[list] = [[]]
    for group in groups:
        if runs[-1] and len(runs[-1]) + len(group) > bound:
            runs.append([])
        runs[-1].extend(group)
    return runs


def continued_css(first_page: int) -> str:
    """A contents slice after the first: nothing but the contents, on the side and with the page
    number that page `first_page` (0-based, in the whole book) has."""
    return ("\n/* contents, continued */\n"
            "#_cb-cover, #_cb-title, #_cb-colophon { display: none !important; }\n"
            + opening_css(first_page, first_page + 1) +
            "#_cb-toc { break-before: auto !important; }\n"
            ".toc-title { visibility: hidden !important; height: 0 !important; min-height: 0 !important; "
            "margin: 0 !important; padding: 0 !important; border: 0 !important; overflow: hidden !important; }\n")
