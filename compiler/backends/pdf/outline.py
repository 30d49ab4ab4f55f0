"""One list for the table of contents and the PDF bookmarks, so that they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.model.book import Book, Chapter

@dataclass(frozen=True)
class TocEntry:
    id: str
    text: str
    level: int          # outline level, 1 = top
    kind: str           # part | chapter | section
    front: bool         # front matter: roman page numbers


def toc_entries(book: Book, depth: int) -> list[TocEntry]:
    """Parts, chapters and sections (down to `depth`) in reading order, with outline levels."""
    out: list[TocEntry] = []
    for chapter in book.front:
        out += _chapter_entries(chapter, 1, depth, True)
    for part in book.parts:
        base = 1
        if part.title and part.slug:
            out.append(TocEntry(part.slug, part.title, 1, "part", False))
            base = 2
        for chapter in part.chapters:
            out += _chapter_entries(chapter, base, depth, False)
    for chapter in book.back:
        out += _chapter_entries(chapter, 1, depth, False)
    return out


def _chapter_entries(chapter: Chapter, base: int, depth: int, front: bool) -> list[TocEntry]:
    entries = [TocEntry(chapter.slug, chapter.title, base, "chapter", front)]
    open_levels: list[int] = []          # heading levels of the sections enclosing the next one
    for heading in chapter.headings:
        while open_levels and open_levels[-1] >= heading.level:
            open_levels.pop()
        open_levels.append(heading.level)
        relative_depth = len(open_levels) + 1      # the chapter title is depth 1
        if relative_depth <= depth and heading.text.strip():
            entries.append(TocEntry(heading.id, heading.text, base + relative_depth - 1, "section", front))
    return entries


def toc_tree(entries: list[TocEntry]) -> list[dict]:
    """Nest entries by level the way PDF bookmarks nest: [{entry, children}, …]."""
    root: list[dict] = []
    stack: list[tuple[int, list]] = [(0, root)]
    for entry in entries:
        while stack[-1][0] >= entry.level:
            stack.pop()
        node = {"entry": entry, "children": []}
        stack[-1][1].append(node)
        stack.append((entry.level, node["children"]))
    return root
