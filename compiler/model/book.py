"""The Book: the one model every backend receives (metadata, parts, chapters, assets, outline)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path

from compiler.model.diagnostics import FatalError
from compiler.compile.transforms.ids import Heading
from compiler.support.urls import element_ids


@dataclass(frozen=True)
class Chapter:
    slug: str                       # also the chapter's element id
    title: str
    source: str                     # relative to the book folder
    kind: str                       # "chapter", "front" or "back"
    date: datetime | None
    tags: tuple[str, ...]
    description: str | None
    ast: dict                       # transformed pandoc AST (without the title heading); no blocks when
                                    # no backend of the build reads it (`uses_ast`, docs/plugins.md)
    html: str                       # sanitised HTML fragment of the body (headings from h2)
    headings: tuple[Heading, ...]   # the body's outline, levels as rendered (title = 1)
    draft: bool = False
    authors: tuple[str, ...] = ()   # the byline: the post's authors when they are not the book's
    url: str | None = None          # the post's address on the blog, when its permalink is known
    anchors: tuple[str, ...] = ()   # ids the author gave other elements than headings (raw HTML, {#id})
    lang: str | None = None         # the post's own language (front matter), when it gives one
    title_html: str = ""            # the title's formatting for the chapter heading (sanitised inline
                                    # HTML, compile/titles.py); "" = the escaped plain `title`

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """The element ids of `html`, in document order: found once, here, for every backend."""
        return element_ids(self.html)


@dataclass(frozen=True)
class Part:
    title: str | None               # None: chapters not grouped into parts
    slug: str | None
    chapters: tuple[Chapter, ...]


@dataclass(frozen=True)
class Metadata:
    title: str
    subtitle: str | None
    authors: tuple[str, ...]
    language: str
    identifier: str
    date: str | None                # YYYY-MM-DD
    modified: datetime              # SOURCE_DATE_EPOCH when set
    publisher: str | None
    rights: str | None
    description: str | None
    subjects: tuple[str, ...]
    cover: Path | None
    site_url: str | None
    series: str | None
    slug: str                       # file name for outputs
    contributors: tuple[str, ...] = ()   # authors of chapters who are not the book's authors
    edition: str | None = None      # "Second edition", as the manifest gives it


@dataclass(frozen=True)
class Book:
    meta: Metadata
    root: Path                      # the book folder (resolved); nothing is read outside it
    front: tuple[Chapter, ...]
    parts: tuple[Part, ...]
    back: tuple[Chapter, ...]
    assets: dict[str, Path] = field(default_factory=dict)   # href used in HTML ("assets/…") -> file
    network: bool = False

    @property
    def chapters(self) -> tuple[Chapter, ...]:
        """Body chapters in reading order."""
        return tuple(c for part in self.parts for c in part.chapters)

    @property
    def all_chapters(self) -> tuple[Chapter, ...]:
        return self.front + self.chapters + self.back

    @property
    def has_parts(self) -> bool:
        return any(p.title for p in self.parts)

    def chapter_of(self) -> dict[str, str]:
        """Element id -> slug of the chapter holding it (for backends that split files)."""
        owner: dict[str, str] = {}
        for chapter in self.all_chapters:
            owner[chapter.slug] = chapter.slug
            for heading in chapter.headings:
                owner[heading.id] = chapter.slug
            for ident in chapter.anchors:
                owner.setdefault(ident, chapter.slug)
        for part in self.parts:
            if part.slug:
                owner[part.slug] = part.slug
        return owner


def build_time() -> datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now; always UTC, whole seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = (epoch or "").strip()
    if not seconds:
        return datetime.now(timezone.utc).replace(microsecond=0)
    if seconds.isdigit():
        try:
            return datetime.fromtimestamp(int(seconds), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            pass
    raise FatalError(f"SOURCE_DATE_EPOCH={epoch!r} is not a time: set it to a whole number of seconds since "
                     "1970 (up to 253402300799), or unset it", 2)


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, ending with an ellipsis (for a
    running header or a cover, where the whole title does not fit; contents keep it whole)."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "\u2026"


def byline(chapter: Chapter, language: str) -> str | None:
    """The chapter's authors as one line in the book's language ("A, B and C"), or None."""
    if not chapter.authors:
        return None
    from babel import Locale, UnknownLocaleError
    from babel.lists import format_list
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    return format_list(list(chapter.authors), locale=locale)
