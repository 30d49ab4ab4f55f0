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
class Jump:
    """A heading written more than one level below the heading it sits under."""
    index: int          # its place among the post's headings (reading order)
    text: str
    written: int        # its level as written (### = 3)
    under: int | None   # the level of the heading it sits under, as written; None: the chapter title
    level: int          # the level it gets


def headers(blocks: list) -> list[dict]:
    """Every Header element, at any depth, in reading order."""
    found: list[dict] = []

    def collect(el):
        found.append(el)
        return el   # not None: a heading's inlines hold no heading
    walk(blocks, {"Header": collect})
    return found


def plan(blocks: list) -> tuple[list[int], list[Jump]]:
    """The level each heading gets (reading order), and the headings that jumped a level.

    A stack of the headings still open (written level, given level): a heading closes those at its
    level or deeper, and sits one level below the one left on top (or at TOP under the title)."""
    heads = headers(blocks)
    if not heads:
        return [], []
    shallowest = min(h["c"][0] for h in heads)
    levels: list[int] = []
    jumps: list[Jump] = []
    stack: list[tuple[int, int]] = []
    for i, h in enumerate(heads):
        written = h["c"][0]
        while stack and stack[-1][0] >= written:
            stack.pop()
        level = min(stack[-1][1] + 1, DEEPEST) if stack else TOP
        parent = stack[-1][0] if stack else shallowest - 1
        if written > parent + 1:
            text = " ".join(stringify(h["c"][2]).split())
            jumps.append(Jump(i, text, written, stack[-1][0] if stack else None, level))
        stack.append((written, level))
        levels.append(level)
    return levels, jumps


def normalise_headings(blocks: list, title: str) -> list:
    blocks = drop_title_repeat(blocks, title)
    levels = iter(plan(blocks)[0])

    def relevel(el):
        level = next(levels)
        return el if level == el["c"][0] else {"t": "Header", "c": [level, *el["c"][1:]]}
    return walk(blocks, {"Header": relevel})
