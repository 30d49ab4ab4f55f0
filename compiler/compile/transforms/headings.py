"""Heading levels made consistent across posts written with different habits, with no gap.

The chapter title (front matter) is level 1 in every format. A post's headings are renumbered in
reading order so that none is more than one level deeper than the heading it sits under (the
chapter title for the first one): the post's own top level becomes 2, whatever the author used,
and a jump (## then ####, or a post that opens at ### before its first ##) is closed up, the
deeper heading becoming the next level. Relative order is kept: a heading is never made shallower
than one written above it at a shallower level. A first heading that repeats the title is dropped.

Every heading is renumbered, wherever it sits (in a quote, a list or a div), so the chapter body
an EPUB reader, a browser, the PDF's tags or Word's navigation pane walks has no skipped level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.compile.transforms import stringify, walk

TOP = 2          # the level a post's top headings get (the chapter title is 1)
DEEPEST = 6


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text).strip().casefold()


def drop_title_repeat(blocks: list, title: str) -> list:
    """Drop the first heading when it says the same as the title and nothing but prose precedes it."""
    for i, block in enumerate(blocks):
        if block["t"] == "Header":
            if _norm(stringify(block["c"][2])) == _norm(title):
                return blocks[:i] + blocks[i + 1:]
            return blocks
    return blocks


@dataclass(frozen=True)
class Written:
    """A heading as the post has it: a Markdown heading, or a raw HTML `<hN>` tag."""
    level: int
    text: str           # its words (Markdown), or the opening tag (raw HTML: `<h4 id="x">`)
    raw: bool = False


@dataclass(frozen=True)
class Jump:
    """A heading written more than one level below the heading it sits under."""
    index: int          # its place among the post's headings (reading order)
    text: str
    written: int        # its level as written (### = 3)
    under: int | None   # the level of the heading it sits under, as written; None: the chapter title
    level: int          # the level it gets


_RAW_TAG = re.compile(r"<(/?)h([1-6])(?=[\s/>])([^>]*)>", re.IGNORECASE)
_HTML = ("html", "html5", "html4")


def headers(blocks: list) -> list[Written]:
    """Every heading, at any depth, in reading order: Header elements and raw HTML heading tags."""
    found: list[Written] = []

    def header(el):
        found.append(Written(el["c"][0], " ".join(stringify(el["c"][2]).split())))
        return el   # not None: a heading's inlines hold no heading

    def raw(el):
        if el["c"][0].lower() in _HTML:
            found.extend(Written(int(m[2]), m[0], raw=True) for m in _RAW_TAG.finditer(el["c"][1]) if not m[1])
    walk(blocks, {"Header": header, "RawBlock": raw, "RawInline": raw})
    return found


def plan(blocks: list) -> tuple[list[int], list[Jump]]:
    """The level each heading gets (reading order), and the headings that jumped a level (once
    for a run of siblings: ## A, #### B, #### C reports B only).

    A stack of the headings still open (written level, given level): a heading closes those at its
    level or deeper, and sits one level below the one left on top (or at TOP under the title)."""
    heads = headers(blocks)
    if not heads:
        return [], []
    shallowest = min(h.level for h in heads)
    levels: list[int] = []
    jumps: list[Jump] = []
    stack: list[tuple[int, int]] = []
    for i, h in enumerate(heads):
        sibling = False            # follows a heading of its own level: that one's jump, not a new one
        while stack and stack[-1][0] >= h.level:
            sibling = stack.pop()[0] == h.level
        level = min(stack[-1][1] + 1, DEEPEST) if stack else TOP
        parent = stack[-1][0] if stack else shallowest - 1
        if h.level > parent + 1 and not sibling:
            jumps.append(Jump(i, h.text, h.level, stack[-1][0] if stack else None, level))
        stack.append((h.level, level))
        levels.append(level)
    return levels, jumps


def normalise_headings(blocks: list, title: str) -> list:
    """The post's blocks with every heading at its planned level; a raw HTML heading's closing
    tag follows its opening tag, even in a later raw block."""
    blocks = drop_title_repeat(blocks, title)
    levels = iter(plan(blocks)[0])
    open_tags: dict[int, list[int]] = {}      # written level -> new levels of raw tags not yet closed

    def relevel(el):
        level = next(levels)
        return el if level == el["c"][0] else {"t": "Header", "c": [level, *el["c"][1:]]}

    def retag(m: re.Match) -> str:
        written = int(m[2])
        if not m[1]:
            level = next(levels)
            open_tags.setdefault(written, []).append(level)
        else:
            pending = open_tags.get(written)
            level = pending.pop() if pending else written
        return m[0] if level == written else f"<{m[1]}h{level}{m[3]}>"

    def raw(el):
        fmt, text = el["c"]
        if fmt.lower() not in _HTML or not _RAW_TAG.search(text):
            return None
        new = _RAW_TAG.sub(retag, text)
        return el if new == text else {"t": el["t"], "c": [fmt, new]}
    return walk(blocks, {"Header": relevel, "RawBlock": raw, "RawInline": raw})
