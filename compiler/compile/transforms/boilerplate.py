"""Remove per-post boilerplate (a series blockquote, a "read the other posts" paragraph) by rule."""

from __future__ import annotations

import re

from compiler.compile.transforms import stringify

_KINDS = {"blockquote": "BlockQuote", "paragraph": "Para", "div": "Div", "heading": "Header"}


def matches(block: dict, rule) -> bool:
    if rule.kind != "any" and block["t"] != _KINDS[rule.kind]:
        return False
    text = " ".join(stringify(block).split())
    if rule.starts_with is not None and not text.startswith(rule.starts_with):
        return False
    if rule.contains is not None and rule.contains not in text:
        return False
    if rule.matches is not None and not re.search(rule.matches, text):
        return False
    return True


def remove_boilerplate(blocks: list, rules) -> tuple[list, set[int]]:
    """Top-level blocks that match no rule, and the indices of the rules that matched something."""
    used: set[int] = set()
    kept = []
    for block in blocks:
        hit = next((i for i, rule in enumerate(rules) if matches(block, rule)), None)
        if hit is None:
            kept.append(block)
        else:
            used.add(hit)
    return kept, used
