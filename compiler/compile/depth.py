"""Limits on one post's structure: its nesting depth (its size is checked when it is read: load/sources.py, CB151).

Every output nests HTML elements as the post nests its lists, quotes and emphasis. Past some
depth each tool gives up in its own way (WeasyPrint flattens or hits Python's recursion limit,
XML parsers stop at 256 levels, e-readers drop the innermost text), so a post nested deeper than
NESTING_LIMIT levels is refused with its file and line: every word reaches every output, or the
book is not built. The depth is measured without recursion, on pandoc's AST.
"""

from __future__ import annotations

import re

NESTING_LIMIT = 32   # levels: a list level counts 2 (list and item), a block quote 4 (its margins
                     # squeeze the printed line: 8 nested quotes fill an A5 page), anything else 1

# AST node type -> element levels it adds (and which of its contents hold more nodes)
_TWO = {"BulletList", "OrderedList", "DefinitionList", "Table"}
_INLINE_OR_BLOCK_CONTAINERS = {"BlockQuote", "Div", "Emph", "Strong", "Underline", "Strikeout", "Superscript",
                               "Subscript", "SmallCaps", "Span", "Link", "Quoted", "Note", "Cite", "Figure",
                               "Header", "Para", "Plain", "LineBlock"}


def _depth_of(node: dict) -> int:
    t = node.get("t")
    if t == "BlockQuote":
        return 4
    if t in _TWO:
        return 2
    return 1 if t in _INLINE_OR_BLOCK_CONTAINERS else 0


def too_deep(blocks: list, limit: int = NESTING_LIMIT) -> tuple[int, str] | None:
    """(depth, first words) of the first place nested deeper than `limit`, or None. Iterative."""
    stack: list[tuple[object, int]] = [(blocks, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if "t" in value:
                depth += _depth_of(value)
                if depth > limit:
                    return depth, _first_words(value)
                content = value.get("c")
                if content is not None:
                    stack.append((content, depth))
            else:
                stack.extend((v, depth) for v in reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend((v, depth) for v in reversed(value))
    return None


def _first_words(node) -> str:
    """The first Str of a node (to find its line in the file)."""
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("t") in ("Str", "Code", "CodeBlock", "RawInline", "RawBlock"):
                c = value.get("c")
                text = c if isinstance(c, str) else (c[-1] if isinstance(c, list) and c and isinstance(c[-1], str) else "")
                if text.strip():
                    return text.strip().split("\n")[0][:60]
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return ""


_STRUCTURE = re.compile(r"^(?:[ \t]*(?:>|[-*+]|\d{1,9}[.)])(?=[ \t]|$))+")


def deepest_line(body_lines: list[str], first_line: int, limit: int = NESTING_LIMIT) -> int | None:
    """For a post too deep to parse at all: the first file line whose leading quote and list markers
    (and indentation, two spaces a list level) go past the limit, else the line that goes deepest."""
    best, best_line = -1, None
    for i, line in enumerate(body_lines):
        if not line.strip():
            continue
        lead = _STRUCTURE.match(line)
        marks = lead.group(0) if lead else ""
        quotes = marks.count(">")
        lists = len(re.findall(r"[-*+]|\d+[.)]", marks)) + (len(line) - len(line.lstrip(" \t"))) // 2
        depth = 4 * quotes + 2 * lists + 1
        if depth > limit:
            return first_line + i
        if depth > best:
            best, best_line = depth, first_line + i
    return best_line


def message(depth: int | None = None, limit: int = NESTING_LIMIT) -> str:
    got = f"{depth} levels" if depth else "hundreds of levels"
    return (f"nesting too deep (limit {limit}): lists, quotes or emphasis nested {got} here; no output could show "
            "the innermost text, so the book is not built. Flatten it")
