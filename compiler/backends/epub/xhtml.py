"""A chapter's sanitised HTML5 fragment -> an element tree that serialises to valid EPUB 3 XHTML.

The core's HTML is safe but only HTML5-shaped: raw HTML from posts may nest a `<div>` in a `<span>`,
put an `<li>` outside a list, use obsolete elements (`<center>`, `<tt>`) and attributes (`align`),
or carry ids that are not XML names. EPUBCheck validates content models, so every rule below maps
to a schema rule; nothing is rejected, elements are renamed or unwrapped so that no text is lost.

The fragment is parsed once with lxml's HTML parser (fast, C) and walked once, top-down, so each
element is judged against its already-corrected parent (the rules are in `rules`, the tree edits
in `surgery`). Links and images are collected and resolved by `content` after the walk (a link may
point forward in the document).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from lxml import etree

from compiler.backends.epub.links import xml_id
from compiler.backends.epub.rules import (
    ATTR_CHECKS,
    CONTAINERS,
    DL_PARTS,
    ELEMENT_CHECKS,
    GLOBAL_ATTRS,
    PREWALK,
    REMOVED,
    RUBY_PARTS,
    SAME,
    TABLE_PARTS,
    TAG_ATTRS,
    UNWRAPPED,
    VOID,
    align_to_style,
    blank,
    child_context,
    decide,
    valid_dl,
    valid_ruby,
    valid_table,
)
from compiler.backends.epub.surgery import (
    hoist,
    order_table,
    remove,
    unwrap,
    wrap_loose,
)

OPS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{OPS}}}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Characters XML 1.0 forbids (and C1 controls, which HTML forbids): dropped before parsing.
# Bytes XML 1.0 forbids (C0 controls but tab, LF, CR; and DEL), dropped before parsing; C1 controls
# and U+FFFE/U+FFFF (two- and three-byte sequences in UTF-8) too, when the text can contain them.
_C0 = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(14, 32)) + b"\x7f"
_C1 = re.compile(rb"\xc2[\x80-\x9f]|\xef\xbf[\xbe\xbf]")

# pandoc's per-line anchors in highlighted code (`<span id="…--cb1-3"><a href="#…--cb1-3" aria-hidden="true">
# </a>`): of no use in a book and a tenth of a typical chapter's elements; removed before parsing.
_LINE = re.compile(rb'<span id="[^"<>]*--cb\d+-\d+"><a href="#[^"<>]*--cb\d+-\d+" aria-hidden="true"></a>')


@dataclass
class Fixes:
    """What the walk changed, for one diagnostic per chapter (the author may want to fix the source)."""
    renamed: dict[str, int] = field(default_factory=dict)

    def note(self, what: str, count: int = 1) -> None:
        self.renamed[what] = self.renamed.get(what, 0) + count

    def merge(self, other: "Fixes") -> None:
        for what, count in other.renamed.items():
            self.note(what, count)


@dataclass
class Tree:
    """A converted fragment: its root (children are the content), the ids it defines, links to resolve."""
    root: etree._Element
    ids: set[str]
    links: list[etree._Element]
    images: list[etree._Element]
    fixes: Fixes


def parse_fragment(html: str, taken: set[str] | None = None) -> Tree:
    """Parse and repair `html`. `taken`: the ids already used in the target document (updated).
    The root is a plain `<div>`: `serialise_content` gives its content without it."""
    data = html.encode("utf-8").translate(None, _C0)
    if b"\xc2" in data or b"\xef\xbf" in data:
        data = _C1.sub(b"", data)
    data = _LINE.sub(b"<span>", data)
    root = etree.fromstring(b"<html><body><div>" + data + b"</div></body></html>", _parser()).find("body/div")
    tree = Tree(root, taken if taken is not None else set(), [], [], Fixes())
    _flatten(root, data, tree.fixes)
    _Walker(tree).children(root, "div", 0)
    return tree


def _flatten(root, data: bytes, fixes: Fixes) -> None:
    """Before the walk, so that structure checks see final children: unwrap wrappers (`picture`),
    drop elements with no place in a book (`source`, `area`), and give back what a void element the
    parser did not know (`wbr`) swallowed. Each only when the text can contain it (a substring test)."""
    present = [tag for tag in PREWALK if b"<" + tag.encode() in data]
    if not present:
        return
    unwrap = [t for t in present if t in UNWRAPPED]
    if unwrap:
        fixes.note(f"<{'>, <'.join(unwrap)}> unwrapped")
        etree.strip_tags(root, *unwrap)
    drop = [t for t in present if t in REMOVED]
    if drop:
        etree.strip_elements(root, *drop, with_tail=False)
    for tag in (t for t in present if t in VOID):
        for el in reversed(root.xpath(f"//{tag}[node()]")):
            hoist(el)


# A `pre` holding only `code` and `span` elements with at most a class (pandoc's highlighted code,
# a quarter of a technical blog's elements) is valid as it is; checked in C, it need not be walked.
_plain_code = etree.XPath("not(descendant::*[not(self::span or self::code)] or descendant::*/@*[name() != 'class'])")


@cache
def _parser() -> etree.HTMLParser:
    """lxml's HTML parser (plain elements: no lxml.html element classes, which cost time per node)."""
    return etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, default_doctype=False,
                            encoding="utf-8")


class _Walker:
    def __init__(self, tree: Tree):
        self.tree = tree
        self.memo: dict[tuple[str, int], dict[str, str]] = {}   # (parent, context) -> {tag: decision}

    # --- structure ------------------------------------------------------------------------------

    def children(self, el, tag: str, ctx: int) -> None:
        """Walk the children of `el` (already final, named `tag`)."""
        if tag == "pre" and _plain_code(el):
            return                              # highlighted code: nothing in it can need a repair
        self.visit(list(el), tag, child_context(tag, ctx))   # a list: children may be removed

    def visit(self, elements: list, parent: str, ctx: int) -> None:
        """The hot loop: most elements are kept as they are, decided by one dictionary lookup."""
        memo = self.memo.get((parent, ctx))
        if memo is None:
            memo = self.memo[(parent, ctx)] = {}
        for child in elements:
            name = child.tag
            if name.__class__ is not str:       # a comment or processing instruction
                remove(child)
                continue
            new = memo.get(name)
            if new is None:
                new = memo[name] = decide(name, parent, ctx)
            if new is not SAME:
                self.change(child, name, new, parent, ctx)
                continue
            keys = child.keys()
            if keys and (len(keys) > 1 or keys[0] != "class"):
                self.attributes(child, name, parent, child.items())
            if len(child):
                self.children(child, name, ctx)

    def _container(self, el, tag: str) -> str:
        """Lists, tables, details, figures and ruby have rules about their children: apply them."""
        if tag in ("ul", "ol"):
            wrap_loose(el, "li")
        elif tag == "dl" and not valid_dl(el):
            self._demote_group(el, DL_PARTS)
        elif tag == "table":
            if valid_table(el):
                order_table(el)
            else:
                self._demote_group(el, TABLE_PARTS)
        elif tag in ("details", "figure"):
            self._first_last(el, tag)
        elif tag == "ruby" and not valid_ruby(el):
            self._demote_group(el, RUBY_PARTS, to="span")
        return el.tag

    def change(self, el, tag: str, new: str, parent: str, ctx: int) -> None:
        """Remove, unwrap, check or rename an element the decision table did not pass as it is."""
        if new in ELEMENT_CHECKS:
            new = ELEMENT_CHECKS[new](el, ctx)
        if new == "-":
            remove(el)
            return
        if new == "*":
            self.tree.fixes.note(f"<{tag}> unwrapped")
            self.visit(unwrap(el), parent, ctx)
            return
        if new != tag:
            self.tree.fixes.note(f"<{tag}> as <{new}>")
            el.tag = tag = new
        if tag in VOID and (el.text or len(el)):
            self.visit(hoist(el), parent, ctx)
        if tag in CONTAINERS:                  # before its attributes: it may become a plain div
            tag = self._container(el, tag)
        items = el.items()
        if items:
            self.attributes(el, tag, parent, items)
        if len(el):
            self.children(el, tag, ctx)

    def _demote_group(self, el, parts: frozenset[str], to: str = "div") -> None:
        """Rename a table, list or ruby that cannot be made valid, and its own parts (not nested ones),
        to plain containers: the text stays, the structure goes."""
        self.tree.fixes.note(f"<{el.tag}> flattened")
        el.tag = to
        stack = [el]
        while stack:
            for child in stack.pop():
                if isinstance(child.tag, str) and child.tag in parts:
                    child.tag = to
                    stack.append(child)

    def _first_last(self, el, tag: str) -> None:
        """`summary` must open a `details`; one `figcaption` may open or close a `figure` (no text
        before an opening one, none after a closing one)."""
        kids = [c for c in el if isinstance(c.tag, str)]
        wanted = "summary" if tag == "details" else "figcaption"
        first = bool(kids) and kids[0].tag == wanted and blank(el.text)
        last = bool(kids) and kids[-1].tag == wanted and blank(kids[-1].tail)
        keep = kids[0] if first else (kids[-1] if last and tag == "figure" else None)
        if tag == "details" and not first:
            self.tree.fixes.note("<details> without <summary>")
            el.tag = "div"
        for kid in kids:
            if kid.tag == wanted and kid is not keep:
                kid.tag = "div"

    # --- attributes ----------------------------------------------------------------------------

    def attributes(self, el, tag: str, parent: str, items: list[tuple[str, str]]) -> None:
        """Keep the attributes valid on this element with valid values; note links, images and ids."""
        allowed = TAG_ATTRS.get(tag, ())
        attrib = el.attrib
        align = None
        for name, value in items:
            if name == "class":
                continue
            if name not in GLOBAL_ATTRS and name not in allowed:
                del attrib[name]
                continue
            check = ATTR_CHECKS.get(name)
            if check is not None:
                keep = check(value, tag, parent)
                if keep is None:
                    del attrib[name]
                    continue
                if keep != value:
                    attrib[name] = value = keep
            if name == "id":
                self._id(el, value)
            elif name == "href":
                self.tree.links.append(el)
            elif name == "lang":
                el.set(XML_LANG, value)
            elif name == "align":
                align = value
        if align is not None:
            align_to_style(el)
        if tag == "img":
            self.tree.images.append(el)
            if "alt" not in attrib:
                el.set("alt", "")
        elif tag == "a" and "hreflang" in attrib and "href" not in attrib:
            del attrib["hreflang"]

    def _id(self, el, ident: str) -> None:
        safe = xml_id(ident)
        if safe in self.tree.ids:          # duplicate: the first element keeps the id
            del el.attrib["id"]
            self.tree.fixes.note("duplicate id")
            return
        self.tree.ids.add(safe)
        if safe != ident:
            el.set("id", safe)


def serialise(el) -> str:
    """XML serialisation of an element (`<br/>`, escaped text)."""
    return etree.tostring(el, encoding="unicode", method="xml")


def serialise_content(root) -> str:
    """The content of `parse_fragment`'s root `<div>` (which has no attributes), without the div."""
    text = serialise(root)
    return "" if text == "<div/>" else text[5:-6]
