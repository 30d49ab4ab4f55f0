"""Tree surgery for the XHTML repair: remove, unwrap, hoist and wrap elements without losing text.

lxml keeps the text after an element in that element's `tail`, so moving or removing an element
must hand its tail to a neighbour; these helpers do that in one place.
"""

from __future__ import annotations

from lxml import etree

from compiler.backends.epub.rules import TABLE_RANK, blank, elements
from compiler.support.htmltree import remove_keep_tail


remove = remove_keep_tail  # remove an element and its content, keeping the text after it


def unwrap(el) -> list:
    """Replace `el` by its content; return the element children that took its place."""
    parent = el.getparent()
    index = parent.index(el)
    kids = list(el)
    prev = el.getprevious()
    if el.text:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.text
        else:
            parent.text = (parent.text or "") + el.text
    for offset, kid in enumerate(kids):
        parent.insert(index + offset, kid)
    if el.tail:
        last = kids[-1] if kids else prev
        if last is not None:
            last.tail = (last.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
    return kids


def hoist(el) -> list:
    """A void element the HTML parser took for a container (libxml2 does not know `wbr`) swallowed
    what followed it: put that content back after it; return the element children moved."""
    kids = list(el)
    text, tail = el.text, el.tail
    el.text, el.tail = None, text
    prev = el
    for kid in kids:
        prev.addnext(kid)                   # the kid's tail moves with it
        prev = kid
    if tail:
        prev.tail = (prev.tail or "") + tail
    return kids


def wrap_loose(el, wrapper: str) -> None:
    """Put loose text and foreign children of a list into `wrapper` (li) elements of their own."""
    if not blank(el.text):
        item = etree.Element(wrapper)
        item.text, el.text = el.text, None
        el.insert(0, item)
    for child in list(el):
        if not isinstance(child.tag, str):
            continue
        if child.tag != wrapper:
            item = etree.Element(wrapper)
            child.addprevious(item)
            item.append(child)          # its tail moves with it, into the new item
        elif not blank(child.tail):
            item = etree.Element(wrapper)
            item.text, child.tail = child.tail, None
            child.addnext(item)


def order_table(el) -> None:
    """caption, colgroup*, thead, tbody* or tr*, tfoot: in that order; one caption, thead and tfoot."""
    seen: set[str] = set()
    captions = [c for c in elements(el) if c.tag == "caption"]
    for extra in captions[1:]:                  # one caption: the others join it (and are walked in it)
        extra.tag = "div"
        captions[0].append(extra)
    for child in elements(el):
        if child.tag in ("thead", "tfoot") and child.tag in seen:
            child.tag = "tbody"
        seen.add(child.tag)
    kids = elements(el)
    ordered = sorted(kids, key=lambda c: TABLE_RANK[c.tag])
    if ordered != kids:
        for child in ordered:
            el.append(child)
    if "tr" in seen and "tbody" in seen:
        body = None
        for child in list(el):
            if child.tag == "tr":
                if body is None:
                    body = etree.Element("tbody")
                    child.addprevious(body)
                body.append(child)
            elif isinstance(child.tag, str):
                body = None
