"""Finding blog-engine syntax: the tag grammar (one regular expression), the known names, and
where code is (markdown-it), so that tags inside code are left alone."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Callable

from markdown_it import MarkdownIt

UNKNOWN = "CB119"     # warning: unknown engine syntax, removed
CONVERTED = "CB120"   # info: engine syntax converted (one summary per post)

# A quoted argument: "…" with backslash escapes or '…' (one line each), or a Hugo `raw string`.
# Atomic groups (?>…) so a failed match never re-splits a string it has read.
_QUOTED = r"""(?>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|`[^`]*`)"""

# Tag syntax, tried in this order at each position (one alternation, so matches never overlap):
#   escaped   {{</* name args */>}}  Hugo's escape: the site prints `{{< name args >}}` literally
#   shortcode {{< name args >}}, {{% name args %}}, closing {{< /name >}}, self-closing {{< name />}};
#             arguments may span lines but not contain braces or masked code (\x00); at most 2,000
#   tag       {% name args %} and {%- name args -%}: Liquid (Jekyll) and Hexo tag plugins; no `{%` inside
#   output    {{ expr }} on one line: Liquid output (only Liquid-looking expressions are taken: _LIQUIDISH)
_SYNTAX = re.compile(
    r"(?P<escaped>\{\{(?P<e_delim>[<%])/\*(?P<e_body>[^\x00]{0,2000}?)\*/[>%]\}\})"
    r"|(?P<shortcode>\{\{(?P<s_delim>[<%])\s*(?P<s_close>/)?\s*(?P<s_name>[\w.-]+(?:/[\w.-]+)*)"
    rf"(?P<s_args>(?:\s(?:{_QUOTED}|[^\"'`{{}}\x00]){{0,2000}}?)?)\s*(?P<s_self>/)?\s*[>%]\}}\}})"
    rf"|(?P<tag>\{{%-?\s*(?P<t_name>\w+)(?P<t_args>(?:{_QUOTED}|[^\"'`{{\x00]|\{{(?!%)){{0,2000}}?)\s*-?%\}})"
    r"|(?P<output>\{\{-?[ \t]*(?P<o_expr>[^{}\n\x00]*?)[ \t]*-?\}\})",
    re.DOTALL,
)
# Liquid output worth handling: a string literal, or a Liquid variable (`site.url`, `page.title`).
# Anything else (`{{closure}}`, `{{ value }}` of a Vue example) is the author's own text.
_LIQUIDISH = re.compile(r"""^(?:"[^"]*"|'[^']*'|(?:site|page|post|include|layout|paginator|jekyll|content|forloop)\b)""")
# `"/path" | relative_url` (or absolute_url, or prepend: site.baseurl): just the path.
_URL_FILTERED = re.compile(r"""^(["'])(?P<path>[^"']*)\1\s*(?:\|\s*(?:relative_url|absolute_url|prepend:\s*site\.(?:baseurl|url))\s*)+$""")
# An argument: optional `name=`, then a quoted string or a run of non-space characters.
_ARG = re.compile(rf"""(?:(?P<key>[A-Za-z_][\w-]*)=)?(?P<value>{_QUOTED}|[^\s"'`]+)""")
# Stray openers left once every tag is handled (unterminated tags).
_OPENER = re.compile(r"\{\{[<%]|\{%")
_ESCAPE_IN_CODE = re.compile(r"\{\{([<%])/\*(.*?)\*/([>%])\}\}", re.DOTALL)
_RAW_MARKER = re.compile(r"\{%-?\s*(end)?raw\s*-?%\}")
_DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+?)(?:\.(?:md|markdown|html))?$")
_MIRROR = {"<": ">", "%": "%"}
_CLASS = re.compile(r"^[A-Za-z][\w-]{0,30}$")

VERBATIM = {("liquid", "raw"), ("liquid", "comment"), ("liquid", "highlight"), ("liquid", "codeblock"),
            ("liquid", "code"), ("hugo", "highlight")}
ASIDES = {"note", "notice", "hint", "tip", "tips", "info", "warning", "warn", "caution", "important", "danger",
          "alert", "callout", "admonition", "aside", "attention", "error", "success", "details", "sidenote"}
# Embedded media and code sites become a link: name -> (URL pattern, default link text).
EMBEDS = {
    "youtube": ("https://www.youtube.com/watch?v={id}", "Video on YouTube"),
    "vimeo": ("https://vimeo.com/{id}", "Video on Vimeo"),
    "gist": ("https://gist.github.com/{id}", "Gist"),
    "tweet": ("https://x.com/{user}/status/{id}", "Post on X"),
    "x": ("https://x.com/{user}/status/{id}", "Post on X"),
    "twitter": ("https://x.com/{user}/status/{id}", "Post on X"),
    "instagram": ("https://www.instagram.com/p/{id}/", "Post on Instagram"),
    "jsfiddle": ("https://jsfiddle.net/{id}/", "JSFiddle"),
}


@dataclass(frozen=True)
class Tag:
    """One piece of engine syntax in the body (offsets into the body text)."""
    engine: str            # hugo | liquid | output | escaped
    name: str              # lower case, without the closing `/` or `end`
    args: str              # argument text (output: the expression; escaped: the inner text)
    start: int
    end: int
    closing: bool = False
    self_closing: bool = False


@dataclass(frozen=True)
class Verbatim:
    """A tag pair whose content is not engine syntax: raw, comment, highlight, codeblock."""
    open: Tag
    close: Tag

    @property
    def start(self) -> int:
        return self.open.start

    @property
    def end(self) -> int:
        return self.close.end


@dataclass(frozen=True)
class Opened:
    """A handler's answer for an opening tag: its replacement, and what its closing tag becomes."""
    text: str
    close: Callable[[Tag], str]


@dataclass(frozen=True)
class Args:
    positional: tuple[str, ...]
    named: dict

    def get(self, *keys: str, index: int | None = None) -> str | None:
        for key in keys:
            if self.named.get(key):
                return self.named[key]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        return None


# --- finding code and tags -------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _commonmark() -> MarkdownIt:
    return MarkdownIt("commonmark")


def block_code(text: str) -> list[tuple[int, int]]:
    """Offsets of fenced and indented code blocks, as a CommonMark parser sees them."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    found = []
    for token in _commonmark().parse(text):
        if token.type in ("fence", "code_block") and token.map:
            first, last = token.map
            found.append((starts[first], starts[last] if last < len(starts) else len(text)))
    return found


def inline_code(text: str, blocks: list[tuple[int, int]], tags: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Offsets of inline code spans: a run of n backticks up to the next run of exactly n in the
    same paragraph (CommonMark). Backticks inside blocks (code, verbatim pairs) or tags do not
    count; blank lines and blocks end a paragraph."""
    opaque = sorted(blocks + tags)
    runs = [m.span() for m in re.finditer(r"`+", text) if not _within(m.start(), opaque)]
    breaks = sorted([m.start() for m in re.finditer(r"\n[ \t]*\n", text)] + [s for s, _ in blocks])
    later: dict[int, int] = {}
    following: list[int | None] = [None] * len(runs)
    for k in range(len(runs) - 1, -1, -1):
        size = runs[k][1] - runs[k][0]
        following[k] = later.get(size)
        later[size] = k
    spans, k = [], 0
    while k < len(runs):
        start, end = runs[k]
        j = following[k]
        escaped = start > 0 and text[start - 1] == "\\"
        if j is not None and not escaped and not _crosses(breaks, end, runs[j][0]):
            spans.append((start, runs[j][1]))
            k = j + 1
        else:
            k += 1
    return spans


def _within(pos: int, spans: list[tuple[int, int]]) -> bool:
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _crosses(breaks: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_left(breaks, start)
    return i < len(breaks) and breaks[i] < end


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with every character of `spans` but newlines replaced by \\x00."""
    parts, pos = [], 0
    for start, end in spans:
        parts.append(text[pos:start])
        parts.append(re.sub(r"[^\n]", "\x00", text[start:end]))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _to_tag(m: re.Match) -> Tag | None:
    if m["escaped"]:
        return Tag("escaped", m["e_delim"], m["e_body"], m.start(), m.end())
    if m["shortcode"]:
        return Tag("hugo", m["s_name"].lower(), m["s_args"].strip(), m.start(), m.end(),
                   closing=bool(m["s_close"]), self_closing=bool(m["s_self"]))
    if m["tag"]:
        name = m["t_name"].lower()
        closing = name.startswith("end") and len(name) > 3
        return Tag("liquid", name[3:] if closing else name, m["t_args"].strip(), m.start(), m.end(), closing)
    if _LIQUIDISH.match(m["o_expr"]):
        return Tag("output", "", m["o_expr"], m.start(), m.end())
    return None


def find_tags(masked: str) -> list[Tag]:
    return [t for t in map(_to_tag, _SYNTAX.finditer(masked)) if t is not None]


def _closer(tag: Tag) -> re.Pattern:
    """The closing tag of a verbatim pair: {% endname %} or {{< /name >}}."""
    if tag.engine == "liquid":
        return re.compile(r"\{%-?\s*end" + re.escape(tag.name) + r"\s*-?%\}", re.I)
    return re.compile(r"\{\{[<%]\s*/\s*" + re.escape(tag.name) + r"\s*[>%]\}\}", re.I)


def find_verbatim(text: str) -> tuple[list[Verbatim], list[Tag], list[tuple[int, int]]]:
    """Verbatim pairs (raw, comment, highlight, codeblock), their never-closed openers, and the code
    blocks outside them.

    The engine reads these pairs before any Markdown, so their content is not Markdown: a fence
    line inside a `{% highlight %}` must not open a code block that swallows the closing tag. Each
    pair found is blanked out (every character but newlines becomes `x`) and the code blocks are
    found again when the pair overlapped one.
    """
    work, blocks, pairs, unclosed, pos = text, block_code(text), [], [], 0
    masked, hopeless = _mask(text, blocks), set()      # hopeless: names with no closer after `pos`
    while True:
        opener = next((t for m in _SYNTAX.finditer(masked, pos) if (t := _to_tag(m))
                       and (t.engine, t.name) in VERBATIM and not t.closing), None)
        if opener is None:
            return pairs, unclosed, blocks
        end = None if (opener.engine, opener.name) in hopeless else _closer(opener).search(work, opener.end)
        if end is None:
            hopeless.add((opener.engine, opener.name))
            unclosed.append(opener)
            pos = opener.end
            continue
        close = Tag(opener.engine, opener.name, "", end.start(), end.end(), closing=True)
        pairs.append(Verbatim(opener, close))
        work = work[:opener.start] + re.sub(r"[^\n]", "x", work[opener.start:close.end]) + work[close.end:]
        if any(s < close.end and opener.start < e for s, e in blocks):
            blocks = block_code(work)
            masked = _mask(work, blocks)
        else:
            masked = masked[:opener.start] + work[opener.start:close.end] + masked[close.end:]
        pos = close.end


def pair(tags: list[Tag]) -> dict[int, int]:
    """Opening index -> closing index, for tags with a matching closer (nesting respected)."""
    open_by: dict[tuple[str, str], list[int]] = {}
    pairs = {}
    for i, tag in enumerate(tags):
        key = (tag.engine, tag.name)
        if tag.closing:
            if open_by.get(key):
                pairs[open_by[key].pop()] = i
        elif tag.engine in ("hugo", "liquid") and not tag.self_closing:
            open_by.setdefault(key, []).append(i)
    return pairs


def parse_args(text: str) -> Args:
    positional, named = [], {}
    for m in _ARG.finditer(text):
        value = _unquote(m["value"])
        if m["key"]:
            named[m["key"].lower()] = value
        else:
            positional.append(value)
    return Args(tuple(positional), named)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        inner = value[1:-1]
        return re.sub(r"\\(.)", r"\1", inner) if value[0] == '"' else inner
    return value


def unescape_code(code: str) -> str:
    """Inside code, undo the engines' escapes (the site shows the literal syntax)."""
    code = _ESCAPE_IN_CODE.sub(lambda m: "{{" + m[1] + m[2] + m[3] + "}}", code)
    markers = _RAW_MARKER.findall(code)
    if markers and markers.count("end") * 2 == len(markers):
        code = _RAW_MARKER.sub("", code)
    return code
