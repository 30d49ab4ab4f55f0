"""The shape of the HTML book before any page is written: which file holds each chapter and each
element id, the reading order (for previous/next links) and the table of contents.

Deciding this once, up front, keeps rendering a pure function of (plan, chapter) and lets every
link in the book be checked against the same map the pages are written from.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from compiler.model.book import Book, Chapter

INDEX = "index.html"
# Names the site uses for itself; a chapter never gets one of these (compared case-insensitively,
# because the folder may be copied to a case-insensitive file system).
RESERVED = frozenset({"index", "404", "sitemap", "search", "book", "search-index", "cover"})
_MAX_STEM = 96


@dataclass(frozen=True)
class TocEntry:
    """One chapter in the contents."""
    index: int          # position in reading order
    slug: str
    title: str
    file: str           # page holding it ("" in single mode)
    kind: str
    date: str | None    # YYYY-MM-DD
    description: str | None

    @property
    def href(self) -> str:
        return self.file or f"#{self.slug}"


@dataclass(frozen=True)
class TocGroup:
    """A part (title and slug) or an untitled run of chapters (front matter, body, back matter)."""
    title: str | None
    slug: str | None
    entries: tuple[TocEntry, ...]


@dataclass(frozen=True)
class Plan:
    mode: str                           # "site" or "single"
    chapters: tuple[Chapter, ...]       # reading order: front, body, back
    entries: tuple[TocEntry, ...]       # same order
    groups: tuple[TocGroup, ...]
    page_of: dict[str, str]             # element id -> file holding it ("" in single mode)
    chapter_slugs: frozenset[str]

    def link(self, ident: str, from_file: str) -> str:
        """The href that reaches element `ident` from page `from_file` (the id must be known).
        A chapter is reached by its page alone, so the reader lands at the top of it."""
        target = self.page_of[ident]
        if target == from_file:
            return f"#{ident}"
        return target if ident in self.chapter_slugs else f"{target}#{ident}"

    def neighbours(self, index: int) -> tuple[TocEntry | None, TocEntry | None]:
        prev = self.entries[index - 1] if index > 0 else None
        nxt = self.entries[index + 1] if index + 1 < len(self.entries) else None
        return prev, nxt


def make_plan(book: Book, mode: str) -> Plan:
    chapters = book.all_chapters
    files = page_files(chapters) if mode == "site" else {c.slug: "" for c in chapters}
    entries = tuple(_entry(i, c, files[c.slug]) for i, c in enumerate(chapters))
    by_slug = {e.slug: e for e in entries}
    groups = _groups(book, by_slug)
    page_of = _page_of(book, chapters, files, mode)
    return Plan(mode, chapters, entries, groups, page_of, frozenset(files))


def page_files(chapters: tuple[Chapter, ...]) -> dict[str, str]:
    """`<slug>.html` for each chapter, made unique ignoring case and never a reserved name."""
    taken = set(RESERVED)
    files = {}
    for chapter in chapters:
        stem = _safe_stem(chapter.slug)
        candidate, n = stem, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(candidate.casefold())
        files[chapter.slug] = f"{candidate}.html"
    return files


def _safe_stem(slug: str) -> str:
    """A file name stem any file system accepts: the slug's safe characters, bounded in length."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", slug).strip("-.") or "chapter"
    if len(stem) > _MAX_STEM:
        stem = stem[:_MAX_STEM - 9].rstrip("-.") + "-" + hashlib.sha256(slug.encode()).hexdigest()[:8]
    return stem


def _entry(index: int, chapter: Chapter, file: str) -> TocEntry:
    date = f"{chapter.date:%Y-%m-%d}" if chapter.date else None
    return TocEntry(index, chapter.slug, chapter.title, file, chapter.kind, date, chapter.description)


def _groups(book: Book, by_slug: dict[str, TocEntry]) -> tuple[TocGroup, ...]:
    groups = []
    if book.front:
        groups.append(TocGroup(None, None, tuple(by_slug[c.slug] for c in book.front)))
    for part in book.parts:
        if part.chapters or part.title:
            groups.append(TocGroup(part.title, part.slug, tuple(by_slug[c.slug] for c in part.chapters)))
    if book.back:
        groups.append(TocGroup(None, None, tuple(by_slug[c.slug] for c in book.back)))
    return tuple(groups)


def _page_of(book: Book, chapters: tuple[Chapter, ...], files: dict[str, str], mode: str) -> dict[str, str]:
    """Every id a link may target: the core's map, plus any other id found in a chapter's HTML
    (footnotes, code lines, ids in the author's raw HTML). Part titles live on the index page."""
    index = INDEX if mode == "site" else ""
    page_of: dict[str, str] = {}
    for chapter in chapters:
        file = files[chapter.slug]
        for ident in chapter.ids:
            page_of.setdefault(ident, file)
    for ident, owner in book.chapter_of().items():
        page_of[ident] = files.get(owner, index)
    return page_of


def toc_window(plan: Plan, current: int | None, limit: int) -> tuple[tuple[TocGroup, ...], bool, bool]:
    """The groups to show in a page's contents, and whether chapters were left out before / after.

    A book of at most `limit` chapters shows them all; a bigger one shows the chapters around the
    current one, so a page's size does not grow with the square of the book.
    """
    total = len(plan.entries)
    if total <= limit:
        return plan.groups, False, False
    half = max(limit // 6, 5)
    centre = current if current is not None else 0
    lo = max(0, min(centre - half, total - 2 * half - 1))
    hi = min(total, lo + 2 * half + 1)
    shown = tuple(
        TocGroup(g.title, g.slug, kept)
        for g in plan.groups
        if (kept := _slice(g.entries, lo, hi))
    )
    return shown, lo > 0, hi < total


def _slice(entries: tuple[TocEntry, ...], lo: int, hi: int) -> tuple[TocEntry, ...]:
    """The entries whose reading position is in [lo, hi) (a group's positions are consecutive)."""
    if not entries:
        return ()
    first = entries[0].index
    return entries[max(0, lo - first):max(0, hi - first)]


def plan_digest(plan: Plan) -> str:
    """What a page may read of the plan besides its own chapter: every entry of the contents, the
    parts, and the page of every id (for the build cache: compiler/backends/pieces.py)."""
    groups = [(g.title, g.slug, [e.slug for e in g.entries]) for g in plan.groups]
    text = repr((plan.mode, plan.entries, groups, sorted(plan.page_of.items()), sorted(plan.chapter_slugs)))
    return hashlib.sha256(text.encode()).hexdigest()
