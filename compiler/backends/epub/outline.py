"""The table of contents as a tree: front matter, parts (or chapters), back matter, and each
chapter's sections down to `toc_depth`. The EPUB 3 navigation document and the NCX are both
written from this one tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.backends.epub.content import Placement
from compiler.model.book import Book, Chapter


@dataclass(frozen=True)
class Entry:
    title: str
    href: str                        # relative to the package folder (where nav.xhtml is)
    children: tuple["Entry", ...] = ()


def outline(book: Book, place: Placement, depth: int, whole_files: bool) -> tuple[Entry, ...]:
    """`whole_files`: chapters have files of their own, so a chapter entry links to the file itself."""
    def chapter(c: Chapter) -> Entry:
        return Entry(c.title.strip() or c.slug, place.nav_href(c.slug, top=whole_files), _sections(c, place, depth))

    entries = [chapter(c) for c in book.front]
    for part in book.parts:
        chapters = tuple(chapter(c) for c in part.chapters)
        if part.title and part.slug:
            entries.append(Entry(part.title.strip() or part.slug, place.nav_href(part.slug, top=whole_files), chapters))
        else:
            entries.extend(chapters)
    entries += [chapter(c) for c in book.back]
    return tuple(entries)


def _sections(c: Chapter, place: Placement, depth: int) -> tuple[Entry, ...]:
    """Nest the flat heading list by level; a jump (h2 -> h4) nests under the nearest shallower one."""
    root: list = []
    stack: list[tuple[int, list]] = [(1, root)]
    for h in c.headings:
        if h.level > depth or not h.text.strip():
            continue
        while len(stack) > 1 and stack[-1][0] >= h.level:
            stack.pop()
        node: list = []
        stack[-1][1].append((h.text, place.nav_href(h.id), node))
        stack.append((h.level, node))
    return _freeze(root)


def _freeze(nodes: list) -> tuple[Entry, ...]:
    return tuple(Entry(title, href, _freeze(kids)) for title, href, kids in nodes)


def flatten(entries: tuple[Entry, ...]) -> list[Entry]:
    """Every entry in reading order (for tests and for counting)."""
    out: list[Entry] = []
    for e in entries:
        out.append(e)
        out.extend(flatten(e.children))
    return out
