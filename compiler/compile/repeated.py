"""Blocks that posts repeat: a series blurb at the top, a "subscribe" or "next in the series" block at
the end. Shared by `chapbook init` (which proposes `boilerplate` rules for them, reading the Markdown)
and `chapbook check` (which reports, as CB135, repeated blocks that no rule removes, reading pandoc's
blocks): both give the first and last top-level block of each post as an `Edge`.

A group is two posts or more whose block at the same end is of the same kind and opens with the same
four words. It is boilerplate when it is set apart (a block quote or a div), or when each block links
to a tag, category or series page, or when the blocks are the same text: an opening paragraph that
merely starts alike ("The Rust team is happy to announce…") is the post's own prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPENING_WORDS = 4
RULE_WORDS = 8        # a rule quotes at most this many opening words
SERIES_PAGE = re.compile(r"(?:^|/)(?:tags?|categories|category|series|topics?|labels?)/([^/?#]+)/?(?:[?#].*)?$", re.I)
_WORD = re.compile(r"\S+")
_SAFE_WORD = re.compile(r"^[\w,.()/&+?!:;-]+$")   # words that read the same in Markdown and in pandoc's text


@dataclass(frozen=True)
class Edge:
    owner: str                       # the post (its path)
    position: str                    # top | bottom
    kind: str                        # blockquote | paragraph | div | heading | other
    text: str                        # the block's text, spaces normalised
    links: tuple[tuple[str, str], ...] = ()   # (url, link text)


@dataclass(frozen=True)
class Group:
    position: str
    kind: str
    starts_with: str                 # the words every block of the group opens with
    owners: tuple[str, ...]
    example: str
    why: str


def series_link(url: str) -> str | None:
    """The slug of the tag, category or series page a URL points to (`/tags/tech-lead/` -> tech-lead)."""
    path = re.sub(r"^[a-z]+://[^/]+", "", url.strip(), flags=re.I)
    match = SERIES_PAGE.search(path)
    return match.group(1) if match else None


def _key(text: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in re.findall(r"\w+", text)[:OPENING_WORDS])


def _common_opening(texts: list[str]) -> str:
    """The words all texts open with, stopping before a word pandoc might spell differently (quotes, dashes)."""
    split = [_WORD.findall(t) for t in texts]
    common = []
    for words in zip(*split):
        if len(set(words)) != 1 or not _SAFE_WORD.match(words[0]):
            break
        common.append(words[0])
        if len(common) == RULE_WORDS:
            break
    return " ".join(common).rstrip(",")


def repeated(edges: list[Edge]) -> list[Group]:
    """The groups of repeated blocks, largest first."""
    buckets: dict[tuple, list[Edge]] = {}
    for e in edges:
        key = _key(e.text)
        if len(key) == OPENING_WORDS and e.kind in ("blockquote", "paragraph", "div"):
            buckets.setdefault((e.position, e.kind, key), []).append(e)
    groups = []
    for (position, kind, _), members in buckets.items():
        owners = tuple(dict.fromkeys(e.owner for e in members))
        if len(owners) < 2:
            continue
        if kind in ("blockquote", "div"):
            why = f"a {'block quote' if kind == 'blockquote' else 'div'}"
        elif all(any(series_link(u) for u, _ in e.links) for e in members):
            why = "a paragraph linking to a tag or series page"
        elif len({" ".join(e.text.split()).casefold() for e in members}) == 1:
            why = "the same paragraph"
        else:
            continue
        opening = _common_opening([e.text for e in members])
        if len(opening.split()) < OPENING_WORDS:
            continue
        place = "opens" if position == "top" else "ends"
        groups.append(Group(position, kind, opening, owners, members[0].text,
                            f"{why} that {place} {len(owners)} posts, starting “{opening}”"))
    return sorted(groups, key=lambda g: (-len(g.owners), g.position != "top", g.starts_with))


# --- check: repeated blocks that no boilerplate rule removed (CB135, info) -------------------------

_AST_KINDS = {"BlockQuote": "blockquote", "Para": "paragraph", "Plain": "paragraph", "Div": "div", "Header": "heading"}


def ast_edges(owner: str, blocks: list) -> list[Edge]:
    """The first and last top-level blocks of a chapter's pandoc blocks (a post of one block gives one)."""
    from compiler.compile.transforms import stringify

    found = []
    shown = [b for b in blocks if b.get("t") not in ("HorizontalRule", "Null")]
    for position, block in (("top", shown[0] if shown else None), ("bottom", shown[-1] if len(shown) > 1 else None)):
        kind = _AST_KINDS.get(block["t"], "other") if block is not None else None
        if kind not in ("blockquote", "paragraph", "div"):   # the only kinds a group is made of
            continue
        links = []

        def collect(node):
            if isinstance(node, dict):
                if node.get("t") == "Link":
                    links.append((node["c"][2][0], " ".join(stringify(node["c"][1]).split())))
                for value in node.values():
                    collect(value)
            elif isinstance(node, list):
                for value in node:
                    collect(value)
        collect(block)
        found.append(Edge(owner, position, kind,
                          " ".join(stringify(block).split()), tuple(links)))
    return found


def edge_data(blocks: list) -> list:
    """A post's `ast_edges` without their owner, as JSON values (for the build cache)."""
    return [[e.position, e.kind, e.text, [list(link) for link in e.links]] for e in ast_edges("", blocks)]


def unremoved(chapters: list[tuple], manifest_name: str) -> list:
    """CB135 (info) for each group of repeated blocks left in the chapters: a rule could remove it.
    `chapters`: (post, blocks after the boilerplate rules[, their `edge_data` when known: kept with
    the post in the build cache, the same before and after heading ids are given])."""
    from compiler.model.diagnostics import Severity, diag

    edges = [e for post, blocks, *known in chapters
             for e in (ast_edges(post.rel, blocks) if not known or known[0] is None
                       else [Edge(post.rel, p, k, t, tuple(map(tuple, links))) for p, k, t, links in known[0]])]
    found = []
    for g in repeated(edges):
        found.append(diag("CB135", g.owners[0], None,
                          f"{g.why} and no boilerplate rule removes it (also in {', '.join(g.owners[1:4])}"
                          f"{' …' if len(g.owners) > 4 else ''}); if it is not part of the book, add to "
                          f"{manifest_name}: boilerplate: [{{kind: {g.kind}, starts_with: \"{g.starts_with}\"}}]",
                          Severity.INFO))
    return found
