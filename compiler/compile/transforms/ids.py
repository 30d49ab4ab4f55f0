"""Ids unique across the whole book and stable across builds: `<chapter slug>--<heading id>`.

A heading's local id is the one the author gave (`{#id}`) or pandoc's auto identifier from its
text, so it only changes when the text does. The chapter's own id is its slug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.compile.transforms import stringify
from compiler.support.urls import unique_id


@dataclass(frozen=True)
class Heading:
    level: int   # as rendered: the chapter title is 1
    text: str
    id: str


def local_id(text: str) -> str:
    """pandoc's auto identifier rule (lowercase, spaces to hyphens, punctuation dropped)."""
    ident = re.sub(r"[^\w\s.-]", "", text.lower(), flags=re.UNICODE)
    ident = re.sub(r"\s+", "-", ident.strip())
    ident = ident.lstrip("0123456789.-_")
    return ident or "section"


def assign_ids(blocks, slug: str, taken: set[str]) -> tuple[list, dict[str, str], list[Heading]]:
    """New blocks with book-wide heading ids, the map old id -> new id, and the outline.

    `blocks` may also be blocks still in the build cache (compile/memos.py `Stored`): their
    headings (`heads`) are known without loading them, and the ids are given when they are loaded."""
    idmap: dict[str, str] = {}
    outline: list[Heading] = []

    def name(level: int, ident: str, text: str) -> str:
        old = ident or local_id(text)
        new = unique_id(f"{slug}--{old}", taken)
        idmap.setdefault(old, new)
        outline.append(Heading(level, text, new))
        return new

    heads = getattr(blocks, "heads", None)
    if heads is not None:
        for level, ident, text in heads:
            name(level, ident, text)
        return blocks.with_ids([h.id for h in outline]), idmap, outline
    return [_assign(b, name) for b in blocks], idmap, outline


def heading_heads(blocks: list) -> list[list]:
    """[level, id as written, text] of each heading `assign_ids` names, in its order."""
    found: list[list] = []

    def name(level: int, ident: str, text: str) -> str:
        found.append([level, ident, text])
        return ident
    for b in blocks:
        _assign(b, name)
    return found


def apply_ids(blocks: list, ids: list[str]) -> list:
    """The blocks `assign_ids` makes, given the ids it chose (in the order of `heading_heads`)."""
    given = iter(ids)
    return [_assign(b, lambda level, ident, text: next(given)) for b in blocks]


def _assign(block: dict, name) -> dict:
    if block["t"] == "Div":
        attr, inner = block["c"]
        return {"t": "Div", "c": [attr, [_assign(b, name) for b in inner]]}
    if block["t"] != "Header":
        return block
    level, (ident, classes, kvs), inlines = block["c"]
    new = name(level, ident, " ".join(stringify(inlines).split()))
    return {"t": "Header", "c": [level, [new, classes, kvs], inlines]}
