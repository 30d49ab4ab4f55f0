"""Lint rules over posts: what an editor would flag before the book goes out.

Each rule is a small function returning Diagnostics with the post's file and line.
"""

from __future__ import annotations

import functools
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
_ASCII_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


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
    straight = probe.translate(_ASCII_QUOTES)   # pandoc's smart quotes, where the file has straight ones
    plain = re.search(r"\w{2,}", text)          # a word without the quotes or markup around it
    needles = list(dict.fromkeys(n for n in (probe, straight, words[0] if words else "", plain[0] if plain else "") if n))
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
            hint = (" (or, if the headings after it belong under it, make them one level deeper)"
                    if nxt is not None and nxt["c"][0] == block["c"][0] else "")
            found.append(diag("CB101", post.rel, line or None, f"section \u201c{text}\u201d is empty; write it or remove "
                              f"the heading{hint}"))
    return found


_DEFINITION = re.compile(r"^ {0,3}\[(\^[^\]]+|[^\]^][^\]]*)\]:")
_SETEXT_RULE = re.compile(r"^ {0,3}(=+|-+)\s*$")


def definitions_only(post: Post, line: int | None, end: int | None) -> bool:
    """The source lines after the heading on `line` (up to the line `end`, excluded) hold footnote
    definitions (`[^1]: …`) or link reference definitions (`[x]: https://…`) and nothing else:
    the section looks empty once pandoc has moved or used them, but it is not."""
    if line is None:
        return False
    lines = post.lines[line:(end - 1) if end else len(post.lines)]
    if lines and _SETEXT_RULE.match(lines[0]):
        lines = lines[1:]
    seen = False
    for text in lines:
        if not text.strip():
            continue
        if _DEFINITION.match(text):
            seen = True
        elif not (seen and (text.startswith(("    ", "\t")) or text[:1].isspace())):
            return False
    return seen


def drop_definition_headings(post: Post, blocks: list) -> list:
    """Headings over a section that only holds footnote or link reference definitions ("## Notes",
    "## Footnotes", "## References"): the definitions leave the text (footnotes are placed by each
    format: at the end of the chapter, or at the foot of the page), so the heading would stand
    alone over nothing. It is dropped in every format, and the section is not reported as empty."""
    heads = [(i, block) for i, block in enumerate(blocks) if block["t"] == "Header"]
    if not heads:
        return blocks
    found, after = [], 0
    for i, block in heads:
        text = " ".join(stringify(block["c"][2]).split())
        line = locate_heading(post, text, after)
        found.append((i, block, line))
        after = (line or after) + 1
    drop = set()
    for n, (i, block, line) in enumerate(found):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if nxt is not None and not (nxt["t"] == "Header" and nxt["c"][0] <= block["c"][0]):
            continue
        end = found[n + 1][2] if n + 1 < len(found) else None
        if definitions_only(post, line, end):
            drop.add(i)
    return [b for i, b in enumerate(blocks) if i not in drop] if drop else blocks


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


_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
_ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth", "last", "next", "final", "alpha", "beta", "rc", "preview", "nightly", "stable",
             "pre-release", "prerelease", "h1", "h2", "q1", "q2", "q3", "q4"}
_TITLE_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)


def _mark(word: str) -> str:
    """A title word as a series template sees it: numbers, versions, years, months and ordinals become
    `#` (they are what changes from one post of a recurring series to the next); plurals and
    possessives are folded (hero, heroes, hero's)."""
    word = word.lower().replace("’", "'")
    word = re.sub(r"'s$", "", word)
    if any(ch.isdigit() for ch in word) or word in _MONTHS or word in _ORDINALS:
        return "#"
    if re.fullmatch(r"[ivxlc]+", word) and len(word) <= 4 and word not in {"i", "c", "l"}:
        return "#"   # a Roman numeral: Part II
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


@functools.lru_cache(maxsize=8192)
def title_template(title: str) -> tuple[str, ...]:
    """The words of a title with what a recurring series varies (numbers, dates, months, ordinals)
    masked: "Announcing Rust 1.50.0" and "Announcing Rust 1.51.0" share ("announcing", "rust", "#")."""
    return tuple(_mark(w) for w in _TITLE_WORD.findall(title))


def recurring(title_a: str, title_b: str) -> bool:
    """Two titles of one recurring series: the same title, or the same words once numbers, versions,
    dates, months and ordinals are left out ("Announcing Rust 1.50.0" / "Announcing Rust 1.51.0",
    "July's hero" / "June's heroes"), or the same series name before a colon ("Update: Meeting 12
    March" / "Update: A call for testing"; "Update" / "Update: A call for testing")."""
    a, b = title_template(title_a), title_template(title_b)
    if [w for w in a if w != "#"] == [w for w in b if w != "#"]:
        return True
    name_a, colon_a, _ = title_a.partition(":")
    name_b, colon_b, _ = title_b.partition(":")
    return bool(colon_a or colon_b) and len(name_a.split()) >= 2 and \
        title_template(name_a) == title_template(name_b)


def _body_words(text: str) -> list[str]:
    return [m.group(0).lower() for m in _WORD.finditer(text)]


def _shingles(words: list[str], size: int = 5) -> frozenset[int]:
    return frozenset(hash(tuple(words[i:i + size])) for i in range(max(1, len(words) - size + 1)))


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


NEAR_IDENTICAL = 0.75    # share of five-word runs two bodies have in common to count as one text


def similar_posts(posts: list[tuple[Post, list[str]]]) -> list[Diagnostic]:
    """Posts that look like versions of one text: near-identical titles, or mostly the same headings.

    Recurring posts of a series (titles that differ only by numbers, versions, dates, months or
    ordinals: "Announcing Rust 1.50.0" / "1.51.0") share headings by design: they are reported only
    when their bodies are near-identical too. Each post is reported at most once, naming its closest
    match."""
    titles = [(_tokens(p.title), frozenset(h.casefold() for h in heads)) for p, heads in posts]
    ordered = [_title_words(p.title) for p, _ in posts]
    numbers = [frozenset(w for w in words if any(ch.isdigit() for ch in w)) for words, _ in titles]
    index: dict[str, list[int]] = {}
    for i, (words, heads) in enumerate(titles):
        for key in {*("w:" + w for w in words), *("h:" + h for h in heads)}:
            index.setdefault(key, []).append(i)
    candidates = {pair for ids in index.values() if len(ids) <= 50 for pair in combinations(ids, 2)}
    shingles: dict[int, frozenset[int]] = {}

    def body(i: int) -> frozenset[int]:
        if i not in shingles:
            shingles[i] = _shingles(_body_words(posts[i][0].body))
        return shingles[i]

    pairs = []   # (score, i, j, why)
    for i, j in sorted(candidates):   # most pairs fail both tests: the cheap checks first
        (ta, ha), (tb, hb) = titles[i], titles[j]
        head_score, heads_like = 0.0, False
        if len(ha) >= 3 and len(hb) >= 3:
            shared = len(ha & hb)
            head_score = shared / (len(ha) + len(hb) - shared)
            heads_like = head_score >= 0.5
        title_like = (len(ta) >= 3 and len(tb) >= 3 and numbers[i] == numbers[j]
                      and abs(len(ordered[i]) - len(ordered[j])) <= 1 and _one_title(ordered[i], ordered[j]))
        if not (title_like or heads_like):
            continue
        a, b = posts[i][0], posts[j][0]
        title_score = len(ta & tb) / len(ta | tb) if ta | tb else 0.0
        if recurring(a.title, b.title) or not title_like:
            # a recurring series, or posts sharing only a template of headings: one text only when
            # the bodies are near-identical too
            same = _jaccard(body(i), body(j))
            if same < NEAR_IDENTICAL:
                continue
            pairs.append((1.0 + same, i, j, "near-identical text"))
            continue
        pairs.append((max(title_score, head_score if heads_like else 0.0), i, j, "similar titles"))
    best: dict[int, tuple[float, int, str]] = {}
    for score, i, j, why in pairs:
        for me, other in ((i, j), (j, i)):
            if me not in best or (score, -other) > (best[me][0], -best[me][1]):
                best[me] = (score, other, why)
    found, named = [], set()
    for me in sorted(best, reverse=True):   # the later post of a pair carries the warning
        _, other, why = best[me]
        if (other, me) in named:
            continue
        named.add((me, other))
        a, b = posts[other][0], posts[me][0]
        found.append(diag("CB109", b.rel, b.meta_line("title"),
                          f"\u201c{b.title}\u201d and \u201c{a.title}\u201d ({a.rel}) look like versions of one text "
                          f"({why}); keep one, or exclude the other"))
    return found


def _title_words(title: str) -> list[str]:
    return [w for w in (m.group(0).lower().strip(".") for m in _WORD.finditer(title)) if w and w not in _STOP]


def _one_title(a: list[str], b: list[str]) -> bool:
    """Titles that read as one title: the same words, or the shorter one's words in the same order
    with one word more ("Working with Product Managers" / "Working Effectively With Product Managers")."""
    small, big = sorted((a, b), key=len)
    if small == big:
        return True
    if len(big) - len(small) != 1:
        return False
    return any(big[:k] + big[k + 1:] == small for k in range(len(big)))
