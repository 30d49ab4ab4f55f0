"""The backends' per-chapter pieces in the build cache's memo (`compiler.build.memo`): an HTML
booklet's chapter page, an EPUB's chapter section, the generated cover. A piece is kept under a key
naming everything it is made from; whole-book files (contents, navigation, package, search index)
are made again by every build.

`Pieces(ctx, kind, *book_wide)` is a backend's handle for one kind of piece: `book_wide` is what
every piece of that kind may read of the book (the theme's files, the options, the plan or
placement of ids, the metadata…); `get(*own)` / `put(value, *own)` add what one piece reads of
its own chapter (`chapter_digest`). Without a memo (`--no-cache`, a backend run without one) every
`get` misses and `put` does nothing.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import replace
from pathlib import Path

from compiler.model.book import Chapter
from compiler.model.diagnostics import Diagnostic, Severity

_FILES: dict[str, tuple[int, int, str]] = {}   # path -> (size, mtime_ns, sha256): hashed again only when touched
_LOCK = threading.Lock()


def file_digest(path: Path) -> str:
    st = path.stat()
    with _LOCK:
        known = _FILES.get(str(path))
    if known is not None and known[:2] == (st.st_size, st.st_mtime_ns):
        return known[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with _LOCK:
        _FILES[str(path)] = (st.st_size, st.st_mtime_ns, digest)
    return digest


def theme_digest(theme) -> list:
    """Every file of every folder of the theme chain (templates, stylesheets, fonts, locale words are
    Chapbook's own), by content."""
    found = []
    for folder in theme.folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if path.is_file():
                    found.append([str(path), file_digest(path)])
    return found


def chapter_digest(chapter: Chapter, text: bool = True) -> str:
    """Everything of a chapter but its AST (no HTML or EPUB piece reads it); without `text`, its HTML
    is left out too."""
    own = (chapter.slug, chapter.title, chapter.source, chapter.kind, str(chapter.date), chapter.tags,
           chapter.description, chapter.headings, chapter.draft, chapter.authors, chapter.url, chapter.anchors,
           chapter.lang, chapter.title_html)
    return hashlib.sha256(repr(own).encode() + b"\0" + (chapter.html.encode() if text else b"")).hexdigest()


def book_digest(book, theme, medium: str) -> str:
    """What a page may read of the rest of the book: its metadata, parts, assets and every chapter but
    their text (a chapter's text is in its own key only). The build time (`meta.modified`: now,
    unless SOURCE_DATE_EPOCH is set) only when a template of `medium` in the theme names it."""
    skeleton = [(p.title, p.slug, [chapter_digest(c, text=False) for c in p.chapters]) for p in book.parts]
    meta = book.meta if _names(theme, medium, "modified") else replace(book.meta, modified=None)
    own = (repr(meta), str(book.root), skeleton, [chapter_digest(c, text=False) for c in book.front + book.back],
           sorted((k, str(v)) for k, v in book.assets.items()), book.network)
    return hashlib.sha256(repr(own).encode()).hexdigest()


def _names(theme, medium: str, word: str) -> bool:
    """Whether a template of `medium` (`<medium>/*.j2`) anywhere in the theme chain contains `word`."""
    for folder in theme.folders:
        for path in sorted((folder / medium).glob("*.j2")) if (folder / medium).is_dir() else ():
            if word in path.read_text(encoding="utf-8", errors="replace"):
                return True
    return False


class Pieces:
    def __init__(self, ctx, kind: str, *book_wide):
        self.memo = getattr(ctx, "memo", None)
        self.kind = kind
        self.base = self.memo.key(kind, *book_wide) if self.memo is not None else None

    def _key(self, own) -> str:
        return self.memo.key(self.base, *own)

    def get(self, *own):
        if self.memo is None:
            return None
        return self.memo.get(self.kind, self._key(own))

    def put(self, value, *own) -> None:
        if self.memo is not None:
            self.memo.put(self.kind, self._key(own), value)


def diagnostics_json(found: list[Diagnostic]) -> list[dict]:
    return [d.to_json() for d in found]


def diagnostics_of(data: list[dict]) -> list[Diagnostic]:
    return [Diagnostic(**d | {"severity": Severity(d["severity"])}) for d in data]
