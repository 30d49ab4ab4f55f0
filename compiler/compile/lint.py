"""Lint rules over posts: what an editor would flag before the book goes out.

Each rule is a small function returning Diagnostics with the post's file and line.
"""

from __future__ import annotations

import re
from itertools import combinations

from compiler.model.diagnostics import Diagnostic, diag
from compiler.load.sources import Post
from compiler.compile.transforms import stringify, walk
from compiler.compile.transforms.headings import drop_title_repeat, headers, plan

_WORD = re.compile(r"[\w.]+", re.UNICODE)
_STOP = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "how", "why", "what", "is", "are",
         "my", "your", "our", "at", "by", "from", "as", "be", "it", "this", "that", "i", "you", "we"}
_SKIP_TEXT = {"CodeBlock", "RawBlock", "HorizontalRule"}


_ATX = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_RAW_HEADING = re.compile(r"<h[1-6][\s>]", re.IGNORECASE)


def _heading_lines(post: Post, after: int):
    """(line number, text) of the body's lines that look like headings, at or after `after`."""
    lines = post.lines
    for i in range(max(after, post.body_line) - 1, len(lines)):
        line = lines[i]
        if (_ATX.match(line) or _RAW_HEADING.search(line)
                or (line.strip() and i + 1 < len(lines) and _SETEXT.match(lines[i + 1]))):
            yield i + 1, line


def locate_heading(post: Post, text: str, after: int = 0) -> int | None:
    """The line of a heading with this text (ATX `#`, setext or raw HTML), at or after line `after`:
    a heading line holding its first words, else its first word (markup such as `code` splits the
    text), else any line holding them."""
    words = text.split()
    probe = " ".join(words[:6]) if words else text
    plain = re.search(r"\w{2,}", text)          # a word without the quotes or markup around it
    needles = list(dict.fromkeys(n for n in (probe, words[0] if words else "", plain[0] if plain else "") if n))
    for needle in needles:
        line = next((n for n, line in _heading_lines(post, after) if needle in line), None)
        if line is not None:
            return line
    for needle in needles:
        line = post.locate(needle, after)
        if line is not None:
            return line
    return None


def empty_sections(post: Post, blocks: list) -> list[Diagnostic]:
    """A heading followed directly by a heading of the same or a higher level, or by nothing."""
    found, after = [], 0
    for i, block in enumerate(blocks):
        if block["t"] != "Header":
            continue
        text = " ".join(stringify(block["c"][2]).split())
        line = locate_heading(post, text, after) or after
        after = (line or after) + 1
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if nxt is None or (nxt["t"] == "Header" and nxt["c"][0] <= block["c"][0]):
            found.append(diag("CB101", post.rel, line or None, f"section \u201c{text}\u201d is empty; write it or remove the heading"))
    return found


def editorial_notes(post: Post, blocks: list, patterns: list[str]) -> list[Diagnostic]:
    """Notes to self left in the prose (TODO, TK, "Expand each of these"); code is not searched."""
    compiled = [re.compile(p) for p in patterns]
    found, after = [], 0
    for block in blocks:
        if block["t"] in _SKIP_TEXT:
            continue
        text = " ".join(stringify(block).split())
        for rx in compiled:
            match = rx.search(text)
            if match:
                line = post.locate(match.group(0), after)
                after = line or after
                found.append(diag("CB102", post.rel, line, f"editorial note left in the text: \u201c{_excerpt(text, match)}\u201d"))
    return found


def heading_jumps(post: Post, blocks: list, title: str | None = None) -> list[Diagnostic]:
    """A heading more than one level deeper than the one it sits under (## then ####), or a post
    that opens deeper than its own top level (### before its first ##), as written; at any depth
    (quotes, lists, divs). The book closes each gap (`normalise_headings`); the author is told."""
    blocks = drop_title_repeat(blocks, post.title if title is None else title)
    jumps = {j.index: j for j in plan(blocks)[1]}
    found, after = [], 0
    for i, head in enumerate(headers(blocks)):
        text = head.text
        line = post.locate(text, after) if head.raw else locate_heading(post, text, after)
        after = (line or after) + 1
        j = jumps.get(i)
        if j is None:
            continue
        where = (f"jumps from level {j.under} to {j.written}" if j.under is not None else
                 f"is level {j.written} but comes before any heading of the post's top level")
        found.append(diag("CB106", post.rel, line, f"heading \u201c{text}\u201d {where}; the book shows it at "
                          f"level {j.level} (the chapter title is level 1): check the structure"))
    return found


_RAW_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_RAW_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_RAW_ALT = re.compile(r"""\balt\s*=\s*(?:"\s*[^"\s][^"]*"|'\s*[^'\s][^']*'|[^\s>"']+)""", re.IGNORECASE)


def images_without_alt(post: Post, blocks: list) -> list[Diagnostic]:
    """Images with no text alternative (`![](pic.png)`, `<img src=…>` with no or an empty alt): a
    reader who cannot see them gets nothing, and the EPUB cannot claim WCAG conformance."""
    found: list[Diagnostic] = []
    after = 0

    def report(src: str, needles: tuple[str, ...], raw: bool = False) -> None:
        nonlocal after
        line = next((n for n in (post.locate(needle, after) for needle in needles if needle) if n), None)
        after = line + 1 if line else after
        shown = src if len(src) <= 60 else src[:57] + "\u2026"
        how = f'<img alt="what it shows" src="{shown}">' if raw else f"![what it shows]({shown})"
        found.append(diag("CB124", post.rel, line, f"image {shown} has no alt text: describe it (`{how}`) for "
                          f"readers who cannot see it; until then the EPUB does not claim WCAG conformance"))

    def image(el):
        if not stringify(el["c"][1]).strip():
            src = el["c"][2][0]
            report(src, (f"![]({src}", f"]({src}", src) if src else ("![]",))

    def raw(el):
        fmt, text = el["c"]
        if fmt.lower() in ("html", "html5", "html4"):
            for tag in _RAW_IMG.findall(text):
                if not _RAW_ALT.search(tag):
                    src = _RAW_SRC.search(tag)
                    src = next((g for g in src.groups() if g is not None), "") if src else ""
                    report(src, (tag.split("\n")[0], src), raw=True)

    walk(blocks, {"Image": image, "RawBlock": raw, "RawInline": raw})
    return found


def _excerpt(text: str, match: re.Match) -> str:
    start, end = max(0, match.start() - 20), min(len(text), match.end() + 40)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _tokens(text: str) -> frozenset[str]:
    return frozenset(w for w in (m.group(0).lower().strip(".") for m in _WORD.finditer(text)) if w and w not in _STOP)


def similar_posts(posts: list[tuple[Post, list[str]]]) -> list[Diagnostic]:
    """Pairs of posts that look like versions of one text: near-identical titles or shared headings."""
    found = []
    titles = [(_tokens(p.title), frozenset(h.casefold() for h in heads)) for p, heads in posts]
    index: dict[str, list[int]] = {}
    for i, (words, heads) in enumerate(titles):
        for key in {*("w:" + w for w in words), *("h:" + h for h in heads)}:
            index.setdefault(key, []).append(i)
    candidates = {pair for ids in index.values() if len(ids) <= 50 for pair in combinations(ids, 2)}
    for i, j in sorted(candidates):
        (ta, ha), (tb, hb) = titles[i], titles[j]
        small, big = sorted((ta, tb), key=len)
        numbers_differ = {w for w in ta if any(ch.isdigit() for ch in w)} != {w for w in tb if any(ch.isdigit() for ch in w)}
        title_like = not numbers_differ and len(small) >= 3 and (small <= big or len(ta & tb) / len(ta | tb) >= 0.75)
        heads_like = min(len(ha), len(hb)) >= 3 and len(ha & hb) / len(ha | hb) >= 0.5
        if title_like or heads_like:
            a, b = posts[i][0], posts[j][0]
            why = "similar titles" if title_like else "mostly the same headings"
            found.append(diag("CB109", b.rel, b.meta_line("title"),
                              f"\u201c{b.title}\u201d and \u201c{a.title}\u201d ({a.rel}) look like versions of one text "
                              f"({why}); keep one, or exclude the other"))
    return found
