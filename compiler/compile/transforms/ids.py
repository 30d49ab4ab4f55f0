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


def assign_ids(blocks: list, slug: str, taken: set[str]) -> tuple[list, dict[str, str], list[Heading]]:
    """New blocks with book-wide heading ids, the map old id -> new id, and the outline."""
    idmap: dict[str, str] = {}
    outline: list[Heading] = []
    out = [_assign(b, slug, taken, idmap, outline) for b in blocks]
    return out, idmap, outline


def _assign(block: dict, slug, taken, idmap, outline) -> dict:
    if block["t"] == "Div":
        attr, inner = block["c"]
        return {"t": "Div", "c": [attr, [_assign(b, slug, taken, idmap, outline) for b in inner]]}
    if block["t"] != "Header":
        return block
    level, (ident, classes, kvs), inlines = block["c"]
    text = " ".join(stringify(inlines).split())
    old = ident or local_id(text)
    new = unique_id(f"{slug}--{old}", taken)
    idmap.setdefault(old, new)
    outline.append(Heading(level, text, new))
    return {"t": "Header", "c": [level, [new, classes, kvs], inlines]}
