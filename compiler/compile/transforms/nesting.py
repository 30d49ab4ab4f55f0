"""Raw HTML left open or misnested (`<i>` around paragraphs, `<b>x<div>…</div></b>`), made valid.

An HTML5 parser (nh3, in sanitize) keeps the author's text in place but re-opens a formatting
element around the blocks that follow it: `<p><i>open</i></p><i><p>more</p></i>`, which no
validator accepts (a `p` may not be inside an `i`). Such a fragment is parsed again by libxml2,
which closes the inline element before the block (the formatting stays on the text it opened,
the text after it keeps its place, outside), and an inline element still wrapping blocks is
pushed down into them. The result is valid HTML and converts to well-formed XHTML. Fragments
without such nesting (one linear scan of the tags) are not touched.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# Phrasing elements that may not hold blocks (`a` may, in flow content only: it is pushed down too).
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s", "samp",
          "small", "span", "strong", "sub", "sup", "time", "u", "var", "font", "big", "tt", "strike", "label"}
BLOCK = {"address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset", "figure",
         "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "menu", "nav", "ol", "p",
         "pre", "section", "table", "ul", "figcaption", "summary", "dd", "dt", "li", "caption", "hgroup", "search"}
_TAGS = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>")
_WRAPPABLE = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dt", "dd", "li", "figcaption", "summary", "caption"}


def needs_fixing(html: str) -> bool:
    """A block element opened inside an open inline element (one linear scan of the tags)."""
    open_inline: list[str] = []
    for m in _TAGS.finditer(html):
        closing, tag = m[1], m[2].lower()
        if tag in INLINE:
            if closing:
                if tag in open_inline:
                    while open_inline and open_inline.pop() != tag:
                        pass
            elif not m[3]:
                open_inline.append(tag)
        elif tag in BLOCK and not closing and open_inline:
            return True
    return False


def fix_nesting(html: str) -> str:
    """`html` with every inline element that wraps blocks pushed down into them."""
    if not needs_fixing(html):
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")   # libxml2 closes most of them
    for el in reversed(list(root.iter(*INLINE))):   # innermost first
        if any(isinstance(c.tag, str) and c.tag in BLOCK for c in el):
            _push_down(el)
        elif not len(el) and not (el.text or "").strip() and not el.attrib:   # an inline left empty by it
            el.drop_tag()
    out = etree.tostring(root, method="html", encoding="unicode")
    return out[out.index(">") + 1: out.rindex("<")]


def _clone(el):
    copy = etree.Element(el.tag, {k: v for k, v in el.attrib.items() if k != "id"})
    return copy


def _push_down(el) -> None:
    parent = el.getparent()
    pieces: list = []
    run = None
    if el.text and el.text.strip():
        run = _clone(el)
        run.set("id", el.get("id")) if el.get("id") else None
        run.text = el.text
        pieces.append(run)
    elif el.text:
        pieces.append(el.text)
    for child in list(el):
        tail, child.tail = child.tail, None
        if isinstance(child.tag, str) and child.tag in BLOCK:
            run = None
            if child.tag in _WRAPPABLE and (child.text or len(child)):
                inner = _clone(el)
                inner.text, child.text = child.text, None
                for grandchild in list(child):
                    inner.append(grandchild)
                child.append(inner)
            pieces.append(child)
        else:
            if run is None:
                run = _clone(el)
                pieces.append(run)
            run.append(child)
        if tail:
            if tail.strip():
                if run is None:
                    run = _clone(el)
                    pieces.append(run)
                if len(run):
                    run[-1].tail = (run[-1].tail or "") + tail
                else:
                    run.text = (run.text or "") + tail
            else:
                pieces.append(tail)
                run = None
    index = parent.index(el)
    el_tail = el.tail
    previous = el.getprevious()
    parent.remove(el)
    for piece in pieces:
        if isinstance(piece, str):   # whitespace or text between blocks: a tail
            target = parent[index - 1] if index > 0 else None
            if target is None:
                parent.text = (parent.text or "") + piece
            else:
                target.tail = (target.tail or "") + piece
            continue
        parent.insert(index, piece)
        index += 1
    if el_tail:
        if index > 0:
            parent[index - 1].tail = (parent[index - 1].tail or "") + el_tail
        else:
            parent.text = (parent.text or "") + el_tail
    del previous
