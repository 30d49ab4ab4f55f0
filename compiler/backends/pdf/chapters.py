"""A chapter's HTML made ready for print: footnotes moved to their reference (`float: footnote`),
link notes, bookmark classes on headings, links that lead nowhere in a PDF unlinked, and nesting
capped (WeasyPrint recurses once per level)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import lxml.html
from lxml import etree

from compiler.backends.pdf.codelines import set_code_lines
from compiler.backends.pdf.outline import TocEntry
from compiler.backends.pdf.setting import detach_spaces, set_chapter
from compiler.model.book import Chapter
from compiler.support.htmltree import remove_keep_tail
from compiler.support.urls import SCHEME as _SCHEME

MAX_DEPTH = 48

_BLOCKS = {"p", "div", "pre", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody",
           "tfoot", "tr", "td", "th", "caption", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6",
           "hr", "section", "aside", "header", "footer", "details", "summary", "nav", "article"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_EXTERNAL = re.compile(r"^(https?|ftp)://", re.I)
_LONG_WORD = re.compile(r"\S{24,}")


@dataclass
class ChapterNotes:
    """Numbering state of one chapter: footnotes and link notes share one sequence."""
    count: int = 0
    by_url: dict[str, int] = field(default_factory=dict)
    by_note: dict[str, int] = field(default_factory=dict)


@dataclass
class BookIds:
    """Ids across the whole document: the core's (unique by construction, with their chapter) and
    those already used, so that ids from posts' raw HTML can be made unique too."""
    owner: dict[str, str]
    known: set[str]
    used: set[str] = field(default_factory=set)


def prepare_chapter(chapter: Chapter, marks: dict[str, TocEntry], ids: BookIds, link_notes: bool) -> tuple[str, int]:
    """The chapter's HTML made ready for print, and how many over-deep elements were flattened."""
    if not chapter.html.strip():
        return "", 0
    root = lxml.html.fragment_fromstring(chapter.html, create_parent="div")
    flattened = _cap_depth(root, MAX_DEPTH)
    _unique_ids(root, chapter.slug, ids)
    _drop_code_line_anchors(root)
    set_code_lines(root)
    set_chapter(root)
    _footnotes_and_link_notes(root, link_notes)
    _fix_links(root, ids.known)
    _mark_headings(root, marks)
    _mark_long_words(root)
    detach_spaces(root)
    html = etree.tostring(root, method="html", encoding="unicode")
    return html[html.index(">") + 1: html.rindex("<")], flattened


def _cap_depth(root, limit: int) -> int:
    """Replace elements nested deeper than `limit` by their text (WeasyPrint recurses per level)."""
    flattened = 0
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if depth + 1 < limit:
                stack.append((child, depth + 1))
                continue
            text = child.text_content()
            for sub in list(child):
                child.remove(sub)
            child.text = text
            flattened += 1
    return flattened


def _unique_ids(root, slug: str, ids: BookIds) -> None:
    """Raw HTML in posts may repeat an id another chapter uses: rename it within its chapter (and
    the chapter's links to it), or WeasyPrint would send every link to the first one."""
    renamed: dict[str, str] = {}
    for element in root.iter():
        ident = element.get("id") if isinstance(element.tag, str) else None
        if not ident:
            continue
        if ident in ids.used or ids.owner.get(ident, slug) != slug:
            new, n = f"{slug}--{ident}", 2
            while new in ids.used or new in ids.owner:
                new, n = f"{slug}--{ident}-{n}", n + 1
            renamed.setdefault(ident, new)
            element.set("id", new)
            ids.known.add(new)
            ident = new
        ids.used.add(ident)
    for anchor in root.iter("a"):
        href = anchor.get("href") or ""
        if href.startswith("#") and href[1:] in renamed:
            anchor.set("href", "#" + renamed[href[1:]])


def _drop_code_line_anchors(root) -> None:
    """pandoc's empty per-line anchors in code blocks would become thousands of useless links."""
    for anchor in root.xpath(".//pre//a[@aria-hidden='true'][not(node())]"):
        remove_keep_tail(anchor)


def _footnotes_and_link_notes(root, link_notes: bool) -> None:
    in_section = "section[contains(concat(' ', @class, ' '), ' footnotes ')]"
    sections = root.xpath(f".//{in_section}")
    notes = {li.get("id"): li for s in sections for li in s.xpath("./ol/li[@id]")}
    anchors = root.xpath(f".//a[not(ancestor::{in_section})]")
    state = ChapterNotes()
    for anchor in anchors:
        classes = (anchor.get("class") or "").split()
        if "footnote-ref" in classes:
            _inline_footnote(anchor, notes, state, link_notes)
        elif link_notes and _wants_link_note(anchor):
            _add_link_note(anchor, state)
    for section in sections:
        if not section.xpath("./ol/li"):
            remove_keep_tail(section)


def _inline_footnote(anchor, notes: dict, state: ChapterNotes, link_notes: bool) -> None:
    """Move the endnote the reference points at to the reference point, as a `float: footnote`."""
    target = (anchor.get("href") or "").lstrip("#")
    li = notes.pop(target, None)
    if li is None:
        if target in state.by_note:
            _replace_keep_tail(anchor, _sup(state.by_note[target]))
        return
    state.count += 1
    state.by_note[target] = state.count
    note = lxml.html.Element("span", {"class": "footnote", "id": target, "data-n": str(state.count)})
    for back in li.xpath(".//a[contains(concat(' ', @class, ' '), ' footnote-back ')]"):
        remove_keep_tail(back)
    note.text = li.text
    for child in list(li):
        note.append(child)
    li.getparent().remove(li)
    for element in note.iterdescendants():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.set("class", f"fn-{element.tag} {element.get('class') or ''}".strip())
            element.tag = "span"
        elif element.tag == "a" and link_notes and _wants_link_note(element):
            url = lxml.html.Element("span", {"class": "link-url"})
            url.text = f" <{element.get('href')}>"
            element.addnext(url)
    _replace_keep_tail(anchor, note)


def _wants_link_note(anchor) -> bool:
    href = (anchor.get("href") or "").strip()
    if not _EXTERNAL.match(href):
        return False
    if any(a.tag in _HEADINGS or a.tag == "pre" for a in anchor.iterancestors()):
        return False
    text = " ".join(anchor.text_content().split()).rstrip("/")
    bare = re.sub(r"^(https?|ftp)://(www\.)?", "", href, flags=re.I).rstrip("/")
    return text not in (href.rstrip("/"), bare)


def _add_link_note(anchor, state: ChapterNotes) -> None:
    href = anchor.get("href").strip()
    if href in state.by_url:
        mark = _sup(state.by_url[href])
    else:
        state.count += 1
        state.by_url[href] = state.count
        mark = lxml.html.Element("span", {"class": "footnote link-note", "data-n": str(state.count)})
        link = etree.SubElement(mark, "a", {"href": href})
        link.text = href
    mark.tail, anchor.tail = anchor.tail, None
    anchor.addnext(mark)


def _sup(number: int):
    sup = lxml.html.Element("sup", {"class": "note-again"})
    sup.text = str(number)
    return sup


def _fix_links(root, known_ids: set[str]) -> None:
    """Unlink what would lead nowhere in a PDF: unknown anchors and relative file links."""
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href:
            continue
        if href.startswith("#"):
            if href[1:] not in known_ids and unquote(href[1:]) not in known_ids:
                del anchor.attrib["href"]
        elif not _SCHEME.match(href) and not href.startswith("//"):
            del anchor.attrib["href"]


def _mark_headings(root, marks: dict[str, TocEntry]) -> None:
    for heading in root.iter(*_HEADINGS):
        entry = marks.get(heading.get("id") or "")
        if entry is not None:
            heading.set("class", f"{heading.get('class') or ''} bm-{entry.level}".strip())
            heading.set("data-toc", entry.text)


def _mark_long_words(root) -> None:
    """Cells with very long words may break anywhere; others keep their words whole (which also
    keeps short columns from being squeezed to a letter's width)."""
    for cell in root.iter("td", "th"):
        if _LONG_WORD.search(cell.text_content()):
            cell.set("class", f"{cell.get('class') or ''} long-words".strip())


def _replace_keep_tail(old, new) -> None:
    new.tail = old.tail
    old.getparent().replace(old, new)
