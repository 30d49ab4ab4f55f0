"""Front-matter titles written with Markdown or inline HTML (`**bold**`, backticks, `<em>`, `&`).

A title is read as one line of Markdown (by pandoc, with the post's flavour). The chapter heading
shows its formatting (`title_html`: a small allow-list of inline elements, sanitised); everything
else that shows a title (EPUB nav and NCX, PDF outline, HTML contents and `<title>`, metadata,
`toc`) gets its plain text (`title`): never literal `**` or backticks, never escaped twice. A tag
that is not formatting (`<tag>`) is text, as the author wrote it. A title that is not one line of
inline Markdown (`1. Intro` would be a list) is taken as plain text.
"""

from __future__ import annotations

import html
import re

import nh3

from compiler.compile import pandoc

MARKUP = re.compile(r"[*_`<&\\\[~^$]")
FORMATTING = {"em", "strong", "i", "b", "code", "sub", "sup", "mark", "small", "s", "u", "q", "abbr", "kbd", "cite"}
_TAG = re.compile(r"^<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>$")
_WRAP = {"Emph": "em", "Strong": "strong", "Strikeout": "s", "Superscript": "sup", "Subscript": "sub",
         "Underline": "u"}


def render_titles(titles: list[str], flavor: str) -> list[tuple[str, str]]:
    """(plain text, heading HTML) of each title; plain titles skip pandoc."""
    out = [(t, html.escape(t, quote=False)) for t in titles]
    marked = [i for i, t in enumerate(titles) if MARKUP.search(t)]
    if not marked:
        return out
    results = pandoc.read_many([titles[i] for i in marked], flavor)
    for i, result in zip(marked, results):
        blocks = (result.value or {}).get("blocks") if result.error is None else None
        if blocks and len(blocks) == 1 and blocks[0]["t"] in ("Para", "Plain"):
            try:
                out[i] = _render(blocks[0]["c"])
            except RecursionError:   # absurdly nested emphasis in a title: kept as written
                pass
    return out


def _render(inlines: list) -> tuple[str, str]:
    text: list[str] = []
    markup: list[str] = []

    def both(plain: str) -> None:
        text.append(plain)
        markup.append(html.escape(plain, quote=False))

    def walk(items: list) -> None:
        for el in items:
            t, c = el["t"], el.get("c")
            if t == "Str":
                both(c)
            elif t in ("Space", "SoftBreak", "LineBreak"):
                both(" ")
            elif t in _WRAP:
                markup.append(f"<{_WRAP[t]}>")
                walk(c)
                markup.append(f"</{_WRAP[t]}>")
            elif t == "Code":
                text.append(c[1])
                markup.append(f"<code>{html.escape(c[1], quote=False)}</code>")
            elif t == "Math":
                both(c[1])
            elif t == "Quoted":
                open_, close = ("“", "”") if c[0]["t"] == "DoubleQuote" else ("‘", "’")
                both(open_)
                walk(c[1])
                both(close)
            elif t in ("Span", "SmallCaps", "Cite"):
                walk(c[-1] if t == "Span" else (c if t == "SmallCaps" else c[1]))
            elif t in ("Link", "Image"):
                walk(c[1])
            elif t == "RawInline":
                tag = _TAG.match(c[1].strip())
                if c[0].lower() in ("html", "html5") and tag and tag[2].lower() in FORMATTING:
                    markup.append(f"<{tag[1]}{tag[2].lower()}>")
                else:
                    both(c[1])   # `<tag>` that is not formatting: text, as written
            # Note (a footnote in a title) and anything else: left out
    walk(inlines)
    plain = " ".join("".join(text).split())
    clean = nh3.clean("".join(markup), tags=FORMATTING, attributes={}, link_rel=None).strip()
    return plain, clean
