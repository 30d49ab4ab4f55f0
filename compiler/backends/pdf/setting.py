"""Small setting decisions print.css cannot take alone (WeasyPrint has no `:has()`, no
`text-wrap: balance`), made on a chapter's tree before rendering:

- a heading's last two words are tied (no single word alone on its last line);
- a lead-in paragraph ("…one by one:") is kept with the code block, table or list it introduces;
- table cells with little text are not hyphenated ("ver-sion"); cells of running text are;
- long lists of short items are set in columns;
- a paragraph holding a long unbreakable word (a URL, an identifier) is set ragged right instead of
  justified, where justification would stretch a line to a few words;
- the space before an inline element (`word <code>x</code>`) is a box of its own (`detach_spaces`).
  WeasyPrint (70) measures a run of text with its trailing space: when the run fits the line only
  without that space, it finds nothing fits and breaks after the run's first word or hyphenated
  syllable ("held by the / `borrowed` vari- / able when…"), and justification stretches that line
  across the measure. A run that ends with a word has no such space.
"""

from __future__ import annotations

import re

from compiler.support.htmltree import text_slots

NBSP = "\u00a0"
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_LONG_TOKEN = re.compile(r"\S{22,}")
SHORT_ITEM = 28          # characters: an item of a name list
MIN_COLUMN_ITEMS = 10    # a list this long with only short items is set in columns
PROSE_CELL = 60          # characters: a cell holding more text than this is running text


def tie_last_words(text: str, longest: int = 12) -> str:
    """`text` with its last space made non-breaking when the last word is short (a title of three
    words or more), so that word cannot stand alone on the last line."""
    words = text.rstrip().rsplit(" ", 2)
    if len(words) < 3 or len(words[-1]) > longest or len(words[-2]) > 2 * longest:
        return text
    head, _, last = text.rstrip().rpartition(" ")
    return f"{head}{NBSP}{last}" + text[len(text.rstrip()):]


def set_chapter(root) -> None:
    for heading in root.iter(*_HEADINGS):
        _tie_heading(heading)
    for element in root.iter("p"):
        _lead_in(element)
        _ragged(element)
    for cell in root.iter("td", "th"):
        if len(" ".join(cell.text_content().split())) > PROSE_CELL:
            _add_class(cell, "prose-cell")
    for listing in root.iter("ul", "ol"):
        _columns(listing)


_TRAILING = re.compile(r"[ \t\n\r\f]+$")     # collapsible white space (not a no-break space)
_CODE = {"pre", "code", "kbd", "samp", "script", "style"}
_BLOCK = {"p", "div", "pre", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot",
          "tr", "td", "th", "caption", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section",
          "aside", "header", "footer", "details", "summary", "nav", "article", "body", "html"}


def detach_spaces(root) -> None:
    """Each run of text that ends with a word and a space before more text of its block (an
    inline element follows, or its inline element ends) loses that space to a `<span class="sp">`
    after it: the same space, as a box of its own (see the module's docstring). Code is untouched."""
    from lxml import etree

    def space_after(parent, index: int) -> None:
        span = etree.Element("span", {"class": "sp"})
        span.text = " "
        parent.insert(index, span)

    stack = [root]
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str) or element.tag in _CODE:
            continue
        inline = element.tag not in _BLOCK
        if element.text and _TRAILING.search(element.text) and element.text.strip() and (len(element) or inline):
            element.text = _TRAILING.sub("", element.text)
            space_after(element, 0)
        for child in list(element):
            tail = child.tail
            if tail and _TRAILING.search(tail) and tail.strip() and (child.getnext() is not None or inline):
                child.tail = _TRAILING.sub("", tail)
                space_after(element, element.index(child) + 1)
            if isinstance(child.tag, str) and child.tag not in _CODE:
                stack.append(child)


def _add_class(element, name: str) -> None:
    element.set("class", f"{element.get('class') or ''} {name}".strip())


def _tie_heading(heading) -> None:
    """The last text node of the heading gets the tie (markup inside headings is kept)."""
    found = [(node, attr) for node, attr in text_slots(heading) if getattr(node, attr).strip()]
    if not found:
        return
    node, attr = found[-1]
    text = getattr(node, attr)
    if " " in text.strip():
        setattr(node, attr, tie_last_words(text))


def _lead_in(p) -> None:
    following = p.getnext()
    if following is None or not (p.text_content().rstrip().endswith(":")):
        return
    if following.tag in ("pre", "table", "ul", "ol", "dl", "figure") or (
            following.tag == "div" and ("sourceCode" in (following.get("class") or "")
                                        or following.find(".//table") is not None)):
        _add_class(p, "lead-in")


def _ragged(p) -> None:
    text = p.text_content()
    if _LONG_TOKEN.search(text):
        _add_class(p, "ragged")


def _columns(listing) -> None:
    items = [child for child in listing if child.tag == "li"]
    if len(items) < MIN_COLUMN_ITEMS:
        return
    if any(item.find(".//ul") is not None or item.find(".//ol") is not None or item.find(".//pre") is not None
           for item in items):
        return
    lengths = sorted(len(" ".join(i.text_content().split())) for i in items)
    typical = lengths[int(len(lengths) * 0.95) - 1 if len(lengths) >= 20 else -1]   # a few long names may wrap
    if typical > SHORT_ITEM or lengths[-1] > 2 * SHORT_ITEM:
        return
    _add_class(listing, "short-items-3" if lengths[-1] <= 16 else "short-items-2")
