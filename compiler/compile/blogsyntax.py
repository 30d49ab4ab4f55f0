"""Blog-engine syntax in posts (Jekyll Liquid, Hexo tag plugins, Hugo shortcodes), turned into what
it means before pandoc reads the post.

A static-site generator expands `{% highlight %}`, `{{< figure >}}` or `{% post_url %}` when it
builds the site; printed as written they would be literal braces in the book. Each known construct
becomes Markdown (or the raw `<figure>` the sanitiser keeps); each unknown one is removed, keeping
the text between a paired tag's opening and closing, and reported with file and line (CB119).

Code is left alone: fenced and indented code blocks (found by markdown-it, a CommonMark parser,
so code inside lists and block quotes counts too) and inline code spans, because posts about
templates and Rust backtraces (`{{closure}}`) show these characters on purpose. The one change
made inside code undoes the engines' own escapes, which exist so that the site prints the syntax
literally: balanced `{% raw %}`/`{% endraw %}` markers are dropped and `{{</* x */>}}` becomes
`{{< x >}}`.

A one-line tag becomes a one-line result, so the body keeps its line count; the exceptions are a
tag sharing its line with text it must be split from (a code fence, an aside) and a figure with a
caption, which needs a few lines of raw HTML around its Markdown image.
"""

from __future__ import annotations

import bisect
import functools
import posixpath
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from markdown_it import MarkdownIt

from compiler.model.diagnostics import Diagnostic, Severity

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


def preprocess(text: str, rel: str, body_line: int) -> tuple[str, list[Diagnostic]]:
    """Return the body with engine syntax rewritten to Markdown/HTML, and diagnostics (file:line).

    `body_line` is the file line of the body's first line, for messages.
    """
    if "{{" not in text and "{%" not in text:
        return text, []
    return _Rewrite(text, rel, body_line).run()


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


# --- rewriting ---------------------------------------------------------------------------------

class _Rewrite:
    """One body: finds code and tags, then rebuilds the text piece by piece (local, short-lived)."""

    def __init__(self, text: str, rel: str, body_line: int):
        self.text, self.rel, self.body_line = text, rel, body_line
        self.out: list[str] = []
        self.problems: list[Diagnostic] = []
        self.converted: Counter = Counter()
        self.first_line: int | None = None
        self.closers: dict[int, Callable[[Tag], str]] = {}   # closing tag index -> its replacement
        self.closed: set[int] = set()                        # closing tag indexes that have an opener
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return self.body_line + bisect.bisect_left(self.newlines, offset)

    def run(self) -> tuple[str, list[Diagnostic]]:
        pairs, never_closed, blocks = find_verbatim(self.text)
        unclosed = {t.start for t in never_closed}
        regions = [(v.start, v.end) for v in pairs]
        units = sorted(pairs + find_tags(_mask(self.text, sorted(blocks + regions))), key=lambda u: u.start)
        spans = inline_code(self.text, sorted(blocks + regions), [(u.start, u.end) for u in units])
        units = [u for u in units if not _within(u.start, spans)]
        singles = [u for u in units if isinstance(u, Tag)]
        pairs = pair(singles)
        index = {id(t): i for i, t in enumerate(singles)}
        events = sorted([(s, e, None) for s, e in blocks + spans] + [(u.start, u.end, u) for u in units],
                        key=lambda ev: ev[0])
        pos = 0
        for start, end, unit in events:
            self.out.append(self.text[pos:start])
            if unit is None:
                self.out.append(unescape_code(self.text[start:end]))
            elif isinstance(unit, Verbatim):
                self.out.append(self.verbatim(unit))
            elif unit.start in unclosed:
                self.out.append(self.unknown(unit, " (it is never closed)"))
            else:
                i = index[id(unit)]
                self.out.append(self.tag(unit, i, pairs.get(i)))
            pos = end
        self.out.append(self.text[pos:])
        self.report_strays(_mask(self.text, sorted(blocks + spans + [(u.start, u.end) for u in units])))
        if self.converted:
            what = ", ".join(f"{n} {name}" for name, n in sorted(self.converted.items()))
            self.problems.append(Diagnostic(CONVERTED, Severity.INFO, self.rel, self.first_line,
                                            f"engine syntax converted: {what}"))
        return "".join(self.out), self.problems

    # --- bookkeeping

    def done(self, what: str, tag: Tag) -> None:
        self.converted[what] += 1
        if self.first_line is None:
            self.first_line = self.line(tag.start)

    def unknown(self, tag: Tag, note: str = "") -> str:
        self.problems.append(Diagnostic(UNKNOWN, Severity.WARNING, self.rel, self.line(tag.start),
                                        f"{_describe(tag)} removed{note}; write what it meant in Markdown"))
        return ""

    def report_strays(self, masked: str) -> None:
        for m in _OPENER.finditer(masked):
            self.problems.append(Diagnostic(UNKNOWN, Severity.WARNING, self.rel, self.line(m.start()),
                                            f"unterminated engine tag {m.group(0)!r}: left as text; close it or remove it"))

    def around(self, tag) -> tuple[str, str]:
        """The text before the tag on its first line and after it on its last line (original body)."""
        start = self.text.rfind("\n", 0, tag.start) + 1
        end = self.text.find("\n", tag.end)
        return self.text[start:tag.start], self.text[tag.end:end if end >= 0 else len(self.text)]

    def alone(self, tag) -> bool:
        before, after = self.around(tag)
        return not before.strip() and not after.strip()

    def own_line(self, tag, block: str) -> str:
        """`block` on lines of its own: a newline is added where the tag shares its line with text."""
        before, after = self.around(tag)
        return ("\n" if before.strip() else "") + block + ("\n" if after.strip() else "")

    # --- dispatch

    def tag(self, tag: Tag, i: int, closer: int | None) -> str:
        if tag.engine == "escaped":
            self.done("escaped shortcode", tag)
            return _inline_code_span("{{" + tag.name + tag.args + _MIRROR[tag.name] + "}}")
        if tag.engine == "output":
            return self.output(tag)
        if tag.closing:
            close = self.closers.pop(i, None)
            return close(tag) if close else ("" if i in self.closed else self.unknown(tag, " (it closes nothing)"))
        if closer is not None:
            self.closed.add(closer)
        handler = (HUGO if tag.engine == "hugo" else LIQUID).get(tag.name)
        result = handler(self, tag, parse_args(tag.args), closer is not None) if handler else None
        if result is None:
            return self.unknown(tag, " (its inner text is kept)" if closer is not None else "")
        self.done(tag.name, tag)
        if isinstance(result, Opened):
            self.closers[closer] = result.close
            result = result.text
        return self.keep_lines(tag, result)

    def keep_lines(self, tag: Tag, result: str) -> str:
        """A tag spread over several lines, alone on them: pad its result with blank lines."""
        missing = self.text.count("\n", tag.start, tag.end) - result.count("\n")
        return result + "\n" * missing if missing > 0 and self.alone(tag) else result

    def output(self, tag: Tag) -> str:
        expr = tag.args.strip()
        if re.fullmatch(r"site\.(baseurl|url|github\.url)", expr):
            self.done("site url", tag)
            return ""
        m = _URL_FILTERED.match(expr)
        if m:
            self.done("url filter", tag)
            return m["path"]
        return self.unknown(tag)

    def verbatim(self, unit: Verbatim) -> str:
        tag, content = unit.open, self.text[unit.open.end:unit.close.start]
        self.done(tag.name, tag)
        if tag.name == "raw":
            return content
        if tag.name == "comment":
            return "\n" * self.text.count("\n", unit.start, unit.end)
        return self.fence(unit, content, *_code_language(tag, parse_args(tag.args)))

    def fence(self, unit: Verbatim, content: str, lang: str | None, numbered: bool) -> str:
        """A highlight/codeblock pair as a fenced code block (indentation of the tag kept)."""
        ticks = "`" * max(3, max((len(r) for r in re.findall(r"`+", content)), default=0) + 1)
        info = f"{{.{lang} .numberLines}}" if numbered and lang else (lang or "")
        before, _ = self.around(unit.open)
        head = ("\n" if before.strip() else "") + ticks + info + ("" if content.startswith("\n") else "\n")
        last = content[content.rfind("\n") + 1:]
        _, after = self.around(unit.close)
        tail = ("\n" if last.strip() or "\n" not in content else "") + ticks + ("\n" if after.strip() else "")
        return head + content + tail


# --- handlers: (rewrite, tag, args, paired) -> replacement, or None for "unknown" -------------------

def _figure(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    src = args.get("src", index=0)
    if not src:
        return None
    caption, title = args.get("caption"), args.get("title")
    alt = args.get("alt") or _plain(caption or title or "")
    image = f"![{_md_text(alt)}]({_md_url(src)})"
    if args.get("link"):
        image = f"[{image}]({_md_url(args.get('link'))})"
    before, after = rw.around(tag)
    if not (caption or title or args.get("attr")) or before.strip() or after.strip():
        return image
    return "\n".join(before + line if i else line for i, line in enumerate(
        ["<figure>", "", image, f"<figcaption>{_caption_html(title, caption, args)}</figcaption></figure>"]))


def _embed(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    pattern, label = EMBEDS[tag.name]
    ident = args.get("id", index=0)
    user = args.get("user", "username")
    if tag.name == "gist" and len(args.positional) >= 2 and re.fullmatch(r"[0-9a-f]{6,}", args.positional[1]):
        user, ident = args.positional[0], args.positional[1]     # Hugo: {{< gist user id [file] >}}
    if tag.name == "gist" and user and ident and "/" not in ident:
        ident = f"{user}/{ident}"
    if not ident or not re.fullmatch(r"[\w-]+(/[\w-]+)?", ident):
        return None
    url = pattern.format(id=ident, user=user if user and re.fullmatch(r"\w+", user) else "i")
    return f"[{_md_text(args.get('title') or label)}]({url})"


def _iframe(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    url = args.get("src", "url", index=0)
    return f"<{url}>" if url and re.match(r"https?://\S+$", url) else None


def _hugo_ref(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """A Hugo ref/relref: a path the core resolves to an in-book link (content-relative paths are
    made relative to the post, since the book folder is the site folder)."""
    target = args.get("path", index=0)
    if not target:
        return None
    path, sep, frag = target.partition("#")
    if path.startswith("/") and rw.rel.startswith("content/"):
        path = posixpath.relpath("content" + path.rstrip("/"), posixpath.dirname(rw.rel))
    return _md_dest(rw, tag, path + sep + frag)


def _post_url(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """`{% post_url 2020-01-31-slug %}`: the post's date permalink, which the core maps to the chapter."""
    name = posixpath.basename(args.get(index=0) or "")
    m = _DATED_NAME.match(name)
    return _md_dest(rw, tag, f"/{m[1]}/{m[2]}/{m[3]}/{m[4]}") if m else None


def _link(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Jekyll `{% link path %}` (a site path) or Hexo `{% link text url [external] [title] %}`."""
    words = args.positional
    url_at = next((i for i, w in enumerate(words) if re.match(r"(https?:)?//|/|#", w)), None)
    if len(words) >= 2 and url_at:
        return f"[{_md_text(' '.join(words[:url_at]))}]({_md_url(words[url_at])})"
    if len(words) == 1:
        m = _DATED_NAME.match(posixpath.basename(words[0]))
        path = f"/{m[1]}/{m[2]}/{m[3]}/{m[4]}" if m else "/" + re.sub(r"\.(md|markdown)$", "", words[0].lstrip("/"))
        return _md_dest(rw, tag, path)
    return None


def _post_link(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Hexo `{% post_link slug [title] %}` / `{% post_path slug %}`: a link by slug."""
    slug = args.get(index=0)
    if not slug:
        return None
    if tag.name == "post_path":
        return _md_dest(rw, tag, "/" + slug)
    text = " ".join(w for w in args.positional[1:] if w not in ("true", "false")) or slug.replace("-", " ")
    return f"[{_md_text(text)}]({_md_url('/' + slug)})"


def _asset(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Hexo post assets (`source/_posts/<post>/<file>`): asset_img, asset_path, asset_link."""
    words = list(args.positional)
    at = next((i for i, w in enumerate(words) if "." in w or "/" in w), None)
    if at is None:
        return None
    stem = posixpath.splitext(posixpath.basename(rw.rel))[0]
    path = f"{stem}/{words[at]}"
    text = " ".join(w for w in words[at + 1:] if not w.isdigit())
    if tag.name == "asset_path":
        return path
    if tag.name == "asset_link":
        return f"[{_md_text(text or words[at])}]({_md_url(path)})"
    return f"![{_md_text(text)}]({_md_url(path)})"


def _img(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Hexo `{% img [class] /path/to/image [width] [height] ['"title text" "alt text"'] %}`."""
    words = list(args.positional)
    at = next((i for i, w in enumerate(words) if "/" in w or "." in w), None)
    if at is None:
        return None
    rest = " ".join(w for w in words[at + 1:] if not w.isdigit())
    quoted = re.findall(r'"([^"]*)"', rest)
    title, alt = (quoted + quoted[:1])[:2] if quoted else (rest, rest)
    title_part = f' "{title}"' if title and '"' not in title else ""
    return f"![{_md_text(alt)}]({_md_url(words[at])}{title_part})"


def _aside_open(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> Opened | None:
    """A note/admonition pair: a fenced div `::: {.note .kind}` … `:::` (pandoc reads it as a Div)."""
    if not paired:
        return None
    words = [w for w in args.positional if w != "no-icon"]
    kind = args.get("type", "class", "style") or (words.pop(0) if words and _CLASS.match(words[0]) else None)
    title = args.get("title", "summary", "header", "heading") or " ".join(words)
    classes = ["note"] + [c for c in dict.fromkeys([tag.name, kind]) if c and c != "note" and _CLASS.match(c)
                          and c not in ("notice", "admonition", "callout", "alert", "hint", "aside")]
    head = "::: {" + " ".join("." + c for c in classes) + "}" + (f"\n**{title}**\n" if title else "")
    return Opened(rw.own_line(tag, head), lambda end: rw.own_line(end, ":::"))


def _include(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Jekyll theme includes with a clear meaning: callouts (`{% include note.html content="…" %}`)
    become asides, `figure`/`image` includes a figure; any other include is unknown."""
    name = posixpath.splitext(posixpath.basename(args.get(index=0) or ""))[0].lower()
    if name in ("figure", "image"):
        src = args.get("image_path", "image", "src", "url", "file")
        caption = args.get("caption", "description")
        named = {"src": src, "alt": args.get("alt"), "caption": caption, "title": args.get("title")}
        return _figure(rw, tag, Args((), {k: v for k, v in named.items() if v}), paired) if src else None
    content = args.get("content", "text")
    if name not in ASIDES or not content:
        return None
    kind = f" .{name}" if name != "note" else ""
    title = args.get("title")
    return rw.own_line(tag, "::: {.note" + kind + "}\n" + (f"**{title}**\n\n" if title else "") + content + "\n:::")


def _blockquote(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> Opened | None:
    """Hexo `{% blockquote [author[, source]] [link] %}…{% endblockquote %}`: a Markdown block quote
    (inner lines get `> ` when the closing tag is reached), with the attribution as its last line."""
    if not paired:
        return None
    words = [w for w in args.positional if not re.match(r"https?://", w)]
    attribution = "— " + " ".join(words) if words else ""
    mark = len(rw.out) + 1          # where the quoted text starts in the output

    def close(end: Tag) -> str:
        inner = "".join(rw.out[mark:])
        del rw.out[mark:]
        rw.out.append(_quote_lines(inner))
        return ">\n> " + attribution if attribution else ""
    return Opened("", close)


def _quote_lines(inner: str) -> str:
    lines = inner.split("\n")
    body = [("> " + line if line.strip() else ">") for line in lines[1:-1]]
    return "\n".join([lines[0], *body, lines[-1]]) if len(lines) > 1 else inner


def _code_language(tag: Tag, args: Args) -> tuple[str | None, bool]:
    """Language and line numbering of `{% highlight ruby linenos %}`, `{{< highlight go "linenos=table" >}}`
    or Hexo `{% codeblock [title] lang:ruby %}`."""
    if tag.name in ("codeblock", "code"):
        lang = next((w[5:] for w in args.positional if w.startswith("lang:")), None)
        return (lang if lang and _CLASS.match(lang) else None), "line_number:true" in args.positional
    lang = args.get(index=0)
    options = " ".join(args.positional[1:]) + " " + " ".join(f"{k}={v}" for k, v in args.named.items())
    numbered = bool(re.search(r"\blinenos(?!\s*=\s*false)", options))
    return (lang if lang and _CLASS.match(lang) else None), numbered


HUGO = {"figure": _figure, "ref": _hugo_ref, "relref": _hugo_ref,
        **{name: _embed for name in EMBEDS}, **{name: _aside_open for name in ASIDES}}
LIQUID = {"post_url": _post_url, "link": _link, "include": _include, "post_link": _post_link,
          "post_path": _post_link, "asset_img": _asset, "asset_path": _asset, "asset_link": _asset,
          "img": _img, "iframe": _iframe, "blockquote": _blockquote, "pullquote": _blockquote,
          "note": _aside_open, **{name: _embed for name in ("youtube", "vimeo", "gist", "jsfiddle")}}


# --- small Markdown helpers ----------------------------------------------------------------------

def _md_text(text: str) -> str:
    """Text for inside `[…]`: brackets and backslashes escaped."""
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(text.split()))


def _md_url(url: str) -> str:
    """A link destination; `<…>` when it has spaces or parentheses."""
    url = url.strip()
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def _md_dest(rw: _Rewrite, tag: Tag, url: str) -> str:
    """A URL standing where the tag stood: bracketed if it sits in a link destination and needs it."""
    before, _ = rw.around(tag)
    return _md_url(url) if before.endswith("](") or re.search(r"^\s*\[[^\]]+\]:\s*$", before) else url


def _inline_code_span(code: str) -> str:
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", code)), default=0) + 1)
    return f"{ticks} {code} {ticks}" if code.startswith("`") or code.endswith("`") else f"{ticks}{code}{ticks}"


def _plain(markdown: str) -> str:
    """Markdown or HTML caption as plain text, for an image's alt text."""
    return re.sub(r"<[^>]+>|[*_`]|\[([^\]]*)\]\([^)]*\)", lambda m: m[1] or "", markdown)


def _caption_html(title: str | None, caption: str | None, args: Args) -> str:
    """The figure's caption as HTML (Hugo runs captions through Markdown, so do we)."""
    render = _commonmark().renderInline
    parts = [f"<strong>{render(title)}</strong>"] if title else []
    if caption:
        parts.append(render(caption))
    attr = args.get("attr")
    if attr:
        link = args.get("attrlink")
        parts.append(f'<a href="{_attr(link)}">{render(attr)}</a>' if link else render(attr))
    return " ".join(parts)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _describe(tag: Tag) -> str:
    if tag.engine == "hugo":
        return f"Hugo shortcode {{{{< {'/' if tag.closing else ''}{tag.name} >}}}} not understood:"
    if tag.engine == "liquid":
        return f"template tag {{% {'end' if tag.closing else ''}{tag.name} %}} not understood:"
    return f"Liquid output {{{{ {tag.args.strip()} }}}} not understood:"
