"""Chapter and part sections: the converted fragment with its title, links resolved to files,
images pointed at the embedded copies, and pandoc's endnotes turned into EPUB 3 footnotes.

`Placement` is the one map from the core's ids to EPUB files, computed once from
`book.chapter_of()`; both the text and the navigation use it, so they cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from lxml import etree

from compiler.backends.epub.links import clean_url, fragment_of, xml_id
from compiler.backends.epub.surgery import remove
from compiler.backends.epub.xhtml import EPUB_TYPE, OPS, Fixes, Tree, parse_fragment, serialise_content
from compiler.model.book import Chapter, byline
from compiler.support.urls import SCHEME as _SCHEME
from compiler.support.locales import long_date
from compiler.support import bidi

TEXT_DIR = "text"
_PAGE_SUFFIX = re.compile(r"\.(html?|md|markdown|php)$", re.I)
SECTION_TYPES = {"chapter": "chapter", "front": "frontmatter", "back": "backmatter"}


@dataclass(frozen=True)
class Placement:
    """Where every document and element id of the book lives in the EPUB."""
    files: dict[str, str]      # document key (chapter or part slug) -> file name inside text/
    owner: dict[str, str]      # the core's element id -> document key
    images: dict[str, str]     # asset href ("assets/…") -> path from text/ ("../images/…")

    def href(self, ident: str, current: str | None) -> str | None:
        """Link to a book id from the file `current` (inside text/), or None when it is not in the book."""
        key = self.owner.get(ident)
        if key is None:
            return None
        target = self.files[key]
        return f"#{xml_id(ident)}" if target == current else f"{target}#{xml_id(ident)}"

    def nav_href(self, ident: str, top: bool = False) -> str:
        """Link from the package folder (where nav.xhtml is); `top`: the document itself, no fragment."""
        target = f"{TEXT_DIR}/{self.files[self.owner[ident]]}"
        return target if top else f"{target}#{xml_id(ident)}"


@dataclass
class Report:
    """What one document lost or changed, for the chapter's diagnostics."""
    dropped_links: list[str] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)
    remote_images: list[str] = field(default_factory=list)
    images: int = 0
    images_without_alt: int = 0
    fixes: Fixes = field(default_factory=Fixes)


def chapter_section(chapter: Chapter, place: Placement, file: str, taken: set[str], report: Report,
                    language: str = "en") -> str:
    """The chapter as a `<section>`: h1 title (id = slug), its byline, its date, body, footnotes as asides."""
    ident = xml_id(chapter.slug)
    taken.add(ident)                            # before the body, so a raw id cannot take it
    tree = parse_fragment(chapter.html, taken)
    _resolve(tree, place, file, chapter.slug, report)
    _footnotes(tree.root)
    report.fixes.merge(tree.fixes)
    role = ' role="doc-chapter"' if chapter.kind == "chapter" else ""
    return (f'<section epub:type="{SECTION_TYPES[chapter.kind]}"{role} class="{chapter.kind}" '
            f'aria-labelledby="{ident}"{bidi.attributes(chapter.lang, xml=True)}><h1 id="{ident}">{chapter.title_html or escape(chapter.title, quote=False)}</h1>'
            + (f'<p class="byline">{escape(names, quote=False)}</p>' if (names := byline(chapter, language)) else "")
            + _date(chapter, language) + f"{serialise_content(tree.root)}</section>")


def _date(chapter: Chapter, language: str) -> str:
    """The chapter's date spelled out in the book's language, as in the PDF and the HTML."""
    if chapter.kind != "chapter" or not chapter.date:
        return ""
    iso = f"{chapter.date:%Y-%m-%d}"
    return f'<p class="chapter-date"><time datetime="{iso}">{escape(long_date(iso, language), quote=False)}</time></p>'


def part_section(title: str, slug: str, taken: set[str]) -> str:
    """A part's title page: a section holding only its heading."""
    ident = xml_id(slug)
    taken.add(ident)
    return (f'<section epub:type="part" role="doc-part" class="part" aria-labelledby="{ident}">'
            f'<h1 id="{ident}">{escape(title, quote=False)}</h1></section>')


def _resolve(tree: Tree, place: Placement, file: str, slug: str, report: Report) -> None:
    for link in tree.links:
        _link(link, tree, place, file, slug, report)
    for image in tree.images:
        _image(image, place, report)


def _link(el, tree: Tree, place: Placement, file: str, slug: str, report: Report) -> None:
    href = el.get("href")
    frag = fragment_of(href)
    if frag is not None:
        target = _anchor(frag, tree, place, file, slug)
    else:
        target = clean_url(href) or _site_path(href, tree, place, file)
    if target is None:
        report.dropped_links.append(href)
        del el.attrib["href"]
        el.attrib.pop("hreflang", None)
        return
    el.set("href", target)
    if "footnote-ref" in (el.get("class") or "").split():
        with_epub_type(el, "noteref")


def _anchor(frag: str, tree: Tree, place: Placement, file: str, slug: str) -> str | None:
    """`#frag` from raw HTML or the core: a book id, an id in this document, or the chapter-scoped id
    the core gave a heading or div the author named `frag` (`<slug>--frag`)."""
    if not frag:
        return None
    for ident in (frag, f"{slug}--{frag}"):
        target = place.href(ident, file) or (f"#{xml_id(ident)}" if xml_id(ident) in tree.ids else None)
        if target is not None:
            return target
    return None


def _site_path(href: str, tree: Tree, place: Placement, file: str) -> str | None:
    """A relative or site-relative link in raw HTML (the core resolves Markdown links, not raw HTML
    ones): when its last path segment names a chapter (`/slug`, `../2016/05/16/slug.html`), link there."""
    if _SCHEME.match(href):
        return None
    path, _, frag = href.partition("#")
    segments = [s for s in path.split("?")[0].split("/") if s and s not in (".", "..")]
    if segments and _PAGE_SUFFIX.sub("", segments[-1]) == "index":
        segments.pop()
    name = _PAGE_SUFFIX.sub("", segments[-1]) if segments else ""
    if not name or place.owner.get(name) != name:
        return None
    return _anchor(frag, tree, place, file, name) if frag else place.href(name, file)


def _image(el, place: Placement, report: Report) -> None:
    src = el.get("src")
    alt = el.get("alt", "")
    if src in place.images:
        el.set("src", place.images[src])
        report.images += 1
        report.images_without_alt += not alt.strip()
        return
    url = clean_url(src) if src.lower().startswith(("http:", "https:", "//")) else None
    if url is not None:
        report.remote_images.append(src)
        _replace_image(el, url, alt or url)
    else:
        report.missing_images.append(src)
        _replace_image(el, None, alt)


def _replace_image(el, url: str | None, text: str) -> None:
    """A remote image becomes a link to it; a missing one its alt text (nothing is fetched)."""
    inside_link = any(True for _ in el.iterancestors("a"))
    if not text:
        remove(el)
        return
    new = etree.Element("a" if url and not inside_link else "span")
    new.set("class", "remote-image" if url else "missing-image")
    if url and not inside_link:
        new.set("href", url)
    new.text = text
    new.tail = el.tail
    el.getparent().replace(el, new)


def _footnotes(root) -> None:
    """pandoc's `<section class="footnotes"><ol><li id=…>` -> one `<aside epub:type="footnote">` per note."""
    for section in list(root.iter("section")):
        if "footnotes" not in (section.get("class") or "").split():
            continue
        for ol in [c for c in section if c.tag == "ol"]:
            for number, li in enumerate([c for c in ol if c.tag == "li"], start=1):
                ol.addprevious(_aside(li, number))
            section.remove(ol)


def with_epub_type(el, value: str):
    """Give a parsed element an `epub:type`. The parsed tree has no `epub` namespace declaration, so
    the element is replaced by a copy that declares it (lxml would otherwise invent a prefix)."""
    new = etree.Element(el.tag, nsmap={"epub": OPS})
    for name, val in el.items():
        new.set(name, val)
    new.set(EPUB_TYPE, value)
    new.text, new.tail = el.text, el.tail
    for child in list(el):
        new.append(child)
    el.getparent().replace(el, new)
    return new


def _aside(li, number: int):
    aside = etree.Element("aside", nsmap={"epub": OPS})
    if li.get("id"):
        aside.set("id", li.get("id"))
    aside.set("class", "footnote")
    aside.set(EPUB_TYPE, "footnote")
    aside.set("role", "doc-footnote")
    aside.text = li.text
    for child in list(li):
        aside.append(child)
    label = etree.Element("span")
    label.set("class", "footnote-number")
    label.text = f"{number}. "
    first = aside[0] if len(aside) and not (aside.text or "").strip() else None
    holder = first if first is not None and first.tag == "p" else aside
    label.tail, holder.text = holder.text, None
    holder.insert(0, label)
    return aside
