"""Heading levels made consistent across posts written with different habits.

The chapter title (front matter) is level 1 in every format. The post's own shallowest heading
becomes level 2, whatever the author used; the distinct levels below it are closed up (a jump
from ## to #### becomes 2 → 3). A first heading that repeats the title is dropped.
"""

from __future__ import annotations

import re

from compiler.compile.transforms import stringify


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


def level_map(blocks: list) -> dict[int, int]:
    """Source level -> rendered level (2, 3, …) for the headings of one post."""
    levels = sorted({b["c"][0] for b in _headers(blocks)})
    return {level: min(rank + 2, 6) for rank, level in enumerate(levels)}


def normalise_headings(blocks: list, title: str) -> list:
    blocks = drop_title_repeat(blocks, title)
    mapping = level_map(blocks)
    return [_relevel(b, mapping) for b in blocks]


def _relevel(block: dict, mapping: dict[int, int]) -> dict:
    if block["t"] == "Header":
        level = mapping[block["c"][0]]
        return block if level == block["c"][0] else {"t": "Header", "c": [level, *block["c"][1:]]}
    if block["t"] == "Div":
        attr, inner = block["c"]
        return {"t": "Div", "c": [attr, [_relevel(b, mapping) for b in inner]]}
    return block


def _headers(blocks: list):
    for block in blocks:
        if block["t"] == "Header":
            yield block
        elif block["t"] == "Div":
            yield from _headers(block["c"][1])
