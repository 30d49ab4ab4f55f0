"""Raw-text elements left unclosed in a post's raw HTML (`<textarea>`, `<script>`, `<title>`…), and
comments (`<!--` with no `-->`: CommonMark makes it a raw block to the end of the post).

The HTML parser reads the content of a raw-text or escapable raw-text element (and of `<template>`)
up to its end tag; with no end tag, to the end of the chapter. Since the sanitiser leaves most of
them out with their content (CB140), an unclosed one would swallow the rest of the post, and
CommonMark already makes an unclosed `<textarea>`, `<script>` or `<style>` at a line start one raw
block running to the end of the post, so the DOCX lost it too. So, before any other transform:
an unclosed element's start tag is removed (CB152, at its line), its content is taken to end where
its Markdown block ends (the paragraph, or the first blank line of a raw block) and is left out as a
closed one's would be (kept for the unwrapped no-script fallbacks); the text after it is read again
as Markdown and stays where the author put it.
"""

from __future__ import annotations

import re
from typing import Callable

from compiler.compile.transforms.sanitize import UNWRAPPED
from compiler.load.sources import locator
from compiler.model.diagnostics import Diagnostic, diag

ELEMENTS = ("textarea", "title", "style", "xmp", "noembed", "noframes", "iframe", "script", "noscript",
            "plaintext", "template")
_OPEN = re.compile(r"<!--|<(%s)(?=[\s/>]|$)" % "|".join(ELEMENTS), re.I)
_BLANK = re.compile(r"\n[ \t]*\n")
MAX_FIXES = 1000    # each fix removes one start tag: bounded anyway, this only bounds the time


def _is_html(el: dict) -> bool:
    return el.get("t") in ("RawBlock", "RawInline") and el["c"][0].lower() in ("html", "html5", "html4")


def _pieces(value, out: list) -> list:
    """Every raw HTML element in document order, as (containing list, index, element)."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict) and _is_html(item):
                out.append((value, i, item))
            else:
                _pieces(item, out)
    elif isinstance(value, dict):
        content = value.get("c")
        if isinstance(content, (list, dict)):
            _pieces(content, out)
    return out


def first_unclosed(texts: list[str]) -> tuple[int, int, int, str] | None:
    """(piece, start of the start tag, its end, element) of the first raw-text element with no end
    tag in the raw HTML that follows it (`texts`: the raw pieces in document order), as the HTML
    tokenizer sees it: comments and the content of closed elements skipped."""
    stream = "".join(texts)
    pos = 0
    while m := _OPEN.search(stream, pos):
        if m[1] is None:   # a comment: markup inside it is no tag
            end = stream.find("-->", m.end())
            if end >= 0:
                pos = end + 3
                continue
            gt, tag = m.end() - 1, "!--"    # a comment never closed hides the rest of the post
        else:
            gt = stream.find(">", m.end())
            if gt < 0:
                return None
            tag = m[1].lower()
            close = re.compile(r"</%s(?=[\s/>]|$)" % tag, re.I).search(stream, gt + 1)
            if close:
                pos = close.end()
                continue
        offset = 0
        for k, text in enumerate(texts):
            if m.start() < offset + len(text):
                return k, m.start() - offset, min(gt + 1 - offset, len(text)), tag
            offset += len(text)
        return None
    return None


def _content_follows(post, line: int | None, tag: str) -> bool:
    """Whether text follows the start tag `tag` on its line or the next one (its content, then)."""
    lines = post.lines
    if not line or line > len(lines):
        return False
    text = lines[line - 1]
    at = text.find(tag)
    if at >= 0 and text[at + len(tag):].strip():
        return True
    return line < len(lines) and bool(lines[line].strip())


def close_unclosed(blocks: list, post, reread: Callable[[str], list]) -> tuple[list, list[Diagnostic]]:
    """`blocks` (pandoc's fresh AST of one post, changed in place) with every unclosed raw-text
    element's start tag removed, and one warning for each. `reread(markdown)` gives the blocks of a
    Markdown text (the rest of a raw block that had swallowed the post)."""
    problems: list[Diagnostic] = []
    where = locator(post)
    for _ in range(MAX_FIXES):
        pieces = _pieces(blocks, [])
        found = first_unclosed([el["c"][1] for _, _, el in pieces])
        if found is None:
            break
        k, start, end, tag = found
        container, index, el = pieces[k]
        fmt, raw = el["c"]
        before, after = raw[:start], raw[end:]
        keep = tag in UNWRAPPED
        line = where(raw[start:start + 1 + len(tag)])
        problems.append(diag("CB152", post.rel, line, "raw HTML comment <!-- is never closed: it is taken to end "
                             "with its paragraph; the text after it is kept" if tag == "!--" else
                             f"raw HTML <{tag}> is never closed: its tag is left out"
                             + ("" if keep else ", and its content up to the end of the paragraph")
                             + "; the text after it is kept"))
        if el["t"] == "RawInline":   # the content: the rest of the inline list (its paragraph or span)
            rest = [{"t": "RawInline", "c": [fmt, after]}] if keep and after else []
            container[index:] = ([{"t": "RawInline", "c": [fmt, before]}] if before else []) + rest + (
                container[index + 1:] if keep else [])
            continue
        gap = _BLANK.search(after)
        content, markdown = (after[:gap.start()], after[gap.end():]) if gap else (after, "")
        new = [{"t": "RawBlock", "c": [fmt, before]}] if before.strip() else []
        if keep and content.strip():
            new.append({"t": "RawBlock", "c": [fmt, content]})
        if markdown.strip():
            new += reread(markdown)
        following = container[index + 1:index + 2]
        if not after.strip() and not keep and following and following[0]["t"] in ("Para", "Plain") \
                and _content_follows(post, line, raw[start:end]):
            new_end = index + 2   # a reader that ended the raw block at the tag (pandoc's Markdown)
        else:
            new_end = index + 1
        container[index:new_end] = new
    return blocks, problems
