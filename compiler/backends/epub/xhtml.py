"""A chapter's sanitised HTML5 fragment -> an element tree that serialises to valid EPUB 3 XHTML.

The core's HTML is safe but only HTML5-shaped: raw HTML from posts may nest a `<div>` in a `<span>`,
put an `<li>` outside a list, use obsolete elements (`<center>`, `<tt>`) and attributes (`align`),
or carry ids that are not XML names. EPUBCheck validates content models, so every rule below maps
to a schema rule; nothing is rejected, elements are renamed or unwrapped so that no text is lost.

The fragment is parsed once with lxml's HTML parser (fast, C) and walked once, top-down, so each
element is judged against its already-corrected parent. Links and images are resolved by the
caller-supplied `Resolver` after the walk (a link may point forward in the document).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime
from typing import Callable

from lxml import etree

from compiler.backends.epub.links import xml_id

OPS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{OPS}}}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Characters XML 1.0 forbids (and C1 controls, which HTML forbids): dropped before parsing.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")

# pandoc's per-line anchors in highlighted code (`<span id="…--cb1-3"><a href="#…--cb1-3" aria-hidden="true">
# </a>`): of no use in a book and a tenth of a typical chapter's elements; removed before parsing.
_LINE_ID = re.compile(r'<span id="[^"<>]*--cb\d+-\d+"')
_LINE_ANCHOR = re.compile(r'<a href="#[^"<>]*--cb\d+-\d+" aria-hidden="true"></a>')

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
PHRASING = frozenset("a abbr b bdi bdo br cite code data del dfn em i img ins kbd mark q ruby s samp small "
                     "span strong sub sup time u var wbr".split())
TRANSPARENT = frozenset({"a", "ins", "del"})
# Elements whose children must be phrasing content.
PHRASING_ONLY = (PHRASING - TRANSPARENT) | HEADINGS | {"p", "pre", "summary", "rt", "rp", "rb"}
FLOW = PHRASING | HEADINGS | frozenset(
    "div section article aside nav header footer blockquote figure figcaption details summary ul ol li dl dt dd "
    "table caption colgroup col thead tbody tfoot tr td th hr p pre rt rp rb".split())
RENAMED = {"acronym": "abbr", "strike": "s", "tt": "code"}
DEMOTED = frozenset({"center", "hgroup", "map", "data", "rtc", "big", "font", "main", "address"})
UNWRAPPED = frozenset({"picture", "html", "body"})
REMOVED = frozenset({"area", "source", "track", "head", "title", "meta", "link", "style", "script"})
PARENTS = {
    "li": {"ul", "ol"}, "dt": {"dl"}, "dd": {"dl"}, "figcaption": {"figure"}, "summary": {"details"},
    "caption": {"table"}, "colgroup": {"table"}, "thead": {"table"}, "tbody": {"table"}, "tfoot": {"table"},
    "tr": {"table", "thead", "tbody", "tfoot"}, "td": {"tr"}, "th": {"tr"}, "col": {"colgroup"},
    "rt": {"ruby"}, "rp": {"ruby"}, "rb": {"ruby"},
}
VOID = frozenset({"br", "hr", "img", "col", "area", "wbr", "embed", "source", "track", "keygen"})
TABLE_PARTS = frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col"})
DL_PARTS = frozenset({"dt", "dd"})
RUBY_PARTS = frozenset({"rt", "rp", "rb"})
SECTIONING = frozenset({"section", "article", "aside", "nav"})
TABLE_RANK = {"caption": 0, "colgroup": 1, "thead": 2, "tbody": 3, "tr": 3, "tfoot": 4}

# Context flags passed down the walk.
P_CTX, IN_A, IN_DFN, IN_TIME, IN_HF, NO_HEAD, IN_CAPTION = 1, 2, 4, 8, 16, 32, 64

GLOBAL_ATTRS = frozenset({"id", "class", "title", "lang", "dir", "style", "aria-hidden", "aria-label", "role"})
TAG_ATTRS = {
    "a": {"href", "hreflang"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"}, "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "type", "reversed"}, "li": {"value"}, "time": {"datetime"}, "details": {"open"},
    "del": {"datetime"}, "ins": {"datetime"},     # (`cite` URLs are dropped: EPUBCheck takes them for resources)
}
_INT = re.compile(r"-?[0-9]+\Z")
_UINT = re.compile(r"[0-9]+\Z")
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?"
                   r"(Z|[+-]\d{2}:?\d{2})?)?)?)?\Z")
ROLES = {("a", "doc-noteref"), ("a", "doc-backlink"), ("aside", "doc-footnote")}


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
    """Parse and repair `html`. `taken`: the ids already used in the target document (updated)."""
    html = _LINE_ANCHOR.sub("", _LINE_ID.sub("<span", _NOT_XML.sub("", html)))
    page = etree.fromstring(f"<html><body><div>{html}</div></body></html>", _parser())
    source = page.find("body/div")
    root = etree.Element("div", nsmap={"epub": OPS})
    root.text = source.text
    for child in list(source):
        root.append(child)
    tree = Tree(root, taken if taken is not None else set(), [], [], Fixes())
    _flatten(root, html, tree.fixes)
    _Walker(tree).children(root, "div", 0)
    return tree


def _flatten(root, html: str, fixes: Fixes) -> None:
    """Before the walk, so that structure checks see final children: unwrap wrappers (`picture`),
    drop elements with no place in a book (`source`, `area`), and give back what a void element the
    parser did not know (`wbr`) swallowed. Each only when the text can contain it (a substring test)."""
    present = [tag for tag in _PREWALK if f"<{tag}" in html]
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
            _hoist(el)


@cache
def _parser() -> etree.HTMLParser:
    """lxml's HTML parser (plain elements: no lxml.html element classes, which cost time per node)."""
    return etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, default_doctype=False)


class _Walker:
    def __init__(self, tree: Tree):
        self.tree = tree
        self.memo: dict[tuple[str, str, int], str] = {}     # (tag, parent, context) -> decision

    # --- structure ------------------------------------------------------------------------------

    def children(self, el, tag: str, ctx: int) -> None:
        """Walk the children of `el` (already final, named `tag`)."""
        self.visit(list(el), tag, _child_context(tag, ctx))   # a list: children may be removed

    def visit(self, elements: list, parent: str, ctx: int) -> None:
        """The hot loop: most elements are kept as they are, decided by one dictionary lookup."""
        memo = self.memo
        for child in elements:
            name = child.tag
            if name.__class__ is not str:       # a comment or processing instruction
                remove(child)
                continue
            new = memo.get((name, parent, ctx))
            if new is None:
                new = memo[(name, parent, ctx)] = _decide(name, parent, ctx)
            if new is not _SAME:
                self.change(child, name, new, parent, ctx)
                continue
            items = child.items()
            if items and (len(items) > 1 or items[0][0] != "class"):
                self.attributes(child, name, parent, items)
            if len(child):
                self.children(child, name, ctx)

    def _container(self, el, tag: str) -> str:
        """Lists, tables, details, figures and ruby have rules about their children: apply them."""
        if tag in ("ul", "ol"):
            _wrap_loose(el, "li")
        elif tag == "dl" and not _valid_dl(el):
            self._demote_group(el, DL_PARTS)
        elif tag == "table":
            if _valid_table(el):
                _order_table(el)
            else:
                self._demote_group(el, TABLE_PARTS)
        elif tag in ("details", "figure"):
            self._first_last(el, tag)
        elif tag == "ruby" and not _valid_ruby(el):
            self._demote_group(el, RUBY_PARTS, to="span")
        return el.tag

    def change(self, el, tag: str, new: str, parent: str, ctx: int) -> None:
        """Remove, unwrap, check or rename an element the decision table did not pass as it is."""
        if new in _ELEMENT_CHECKS:
            new = _ELEMENT_CHECKS[new](el, ctx)
        if new == "-":
            remove(el)
            return
        if new == "*":
            self.tree.fixes.note(f"<{tag}> unwrapped")
            self.visit(_unwrap(el), parent, ctx)
            return
        if new != tag:
            self.tree.fixes.note(f"<{tag}> as <{new}>")
            el.tag = tag = new
        if tag in VOID and (el.text or len(el)):
            self.visit(_hoist(el), parent, ctx)
        if tag in _CONTAINERS:                  # before its attributes: it may become a plain div
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
        first = bool(kids) and kids[0].tag == wanted and _blank(el.text)
        last = bool(kids) and kids[-1].tag == wanted and _blank(kids[-1].tail)
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
            check = _ATTR_CHECKS.get(name)
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
            _align_to_style(el)
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


# --- what an element must become where it stands ------------------------------------------------

_SAME = "="   # the decision "keep this element as it is"


def _decide(tag: str, parent: str, ctx: int) -> str:
    """The name the element needs here: `_SAME`, a new name, "-" to remove it, "*" to unwrap it, or a
    name in `_ELEMENT_CHECKS` whose attributes decide. Pure: the walker memoises it per document
    (a chapter has few distinct (tag, parent, context) triples and many elements)."""
    if tag in REMOVED or (tag == "hr" and ctx & P_CTX):
        return "-"
    if tag in UNWRAPPED:
        return "*"
    demote = "span" if ctx & P_CTX else "div"
    if tag in RUBY_PARTS and parent == "ruby":
        return _SAME
    original, tag = tag, RENAMED.get(tag, tag)
    if tag in DEMOTED or tag not in FLOW:
        return demote
    if ctx & P_CTX and tag not in PHRASING:
        return "span"
    if tag in PARENTS and parent not in PARENTS[tag]:
        return demote
    if (ctx & IN_A and tag in ("a", "details")) or (ctx & IN_DFN and tag == "dfn") or (ctx & IN_TIME and tag == "time"):
        return demote
    if ctx & IN_HF and tag in ("header", "footer"):
        return "div"
    if ctx & NO_HEAD and (tag in HEADINGS or tag in SECTIONING or tag in ("header", "footer")):
        return "p" if tag in HEADINGS else "div"
    if ctx & IN_CAPTION and tag == "table":
        return "div"
    slow = tag != original or tag in _ELEMENT_CHECKS or tag in _CONTAINERS or tag in VOID
    return tag if slow else _SAME


def _check_img(el, ctx: int) -> str:
    return "img" if el.get("src") else "-"


def _check_bdo(el, ctx: int) -> str:
    return "bdo" if el.get("dir") in ("ltr", "rtl") else "span"


def _check_time(el, ctx: int) -> str:
    return "time" if _valid_time(el) else "span"


_ELEMENT_CHECKS = {"img": _check_img, "bdo": _check_bdo, "time": _check_time}
_CONTAINERS = frozenset({"ul", "ol", "dl", "table", "details", "figure", "ruby"})
_PREWALK = tuple(sorted(UNWRAPPED | REMOVED | {"wbr", "embed", "keygen"}))


# --- attribute checks: return the value to keep, or None to drop the attribute ---------------------

def _role(value: str, tag: str, parent: str) -> str | None:
    return value if (tag, value) in ROLES else None


def _lang(value: str, tag: str, parent: str) -> str | None:
    return value if value == "" or _LANG.match(value) else None


def _dir(value: str, tag: str, parent: str) -> str | None:
    value = value.lower()
    return value if value in ("ltr", "rtl", "auto") else None


def _aria_hidden(value: str, tag: str, parent: str) -> str | None:
    value = value.lower()
    return value if value in ("true", "false") else None


def _nonempty(value: str, tag: str, parent: str) -> str | None:
    return value if value.strip() else None


def _uint(value: str, tag: str, parent: str) -> str | None:
    value = value.strip()
    return value if _UINT.match(value) else None


def _positive(value: str, tag: str, parent: str) -> str | None:
    value = value.strip()
    return value if _UINT.match(value) and 0 < int(value) <= 1000 else None


def _rowspan(value: str, tag: str, parent: str) -> str | None:
    value = value.strip()
    return value if _UINT.match(value) and int(value) <= 65534 else None


def _int(value: str, tag: str, parent: str) -> str | None:
    value = value.strip()
    return value if _INT.match(value) and (tag != "li" or parent == "ol") else None


def _boolean(name: str):
    return lambda value, tag, parent: name


def _enum(*values: str):
    return lambda value, tag, parent: value if value in values else None


def _datetime(value: str, tag: str, parent: str) -> str | None:
    value = value.strip(_SPACE)
    return value if _valid_date(value) else None


def _style(value: str, tag: str, parent: str) -> str | None:
    value = value.strip()
    return value if value and "\\" not in value and "url(" not in value.lower() else None


def _align(value: str, tag: str, parent: str) -> str | None:
    value = value.strip().lower()
    return value if value in ("left", "right", "center", "justify") else None


_ATTR_CHECKS: dict[str, Callable[[str, str, str], str | None]] = {
    "role": _role, "lang": _lang, "hreflang": _lang, "dir": _dir, "aria-hidden": _aria_hidden,
    "aria-label": _nonempty, "width": _uint, "height": _uint, "colspan": _positive, "rowspan": _rowspan,
    "span": _positive, "start": _int, "value": _int, "reversed": _boolean("reversed"), "open": _boolean("open"),
    "type": _enum("1", "a", "A", "i", "I"), "scope": _enum("row", "col", "rowgroup", "colgroup"),
    "datetime": _datetime, "style": _style, "align": _align, "id": _nonempty,
}


def _align_to_style(el) -> None:
    align = el.attrib.pop("align")
    style = el.get("style", "").rstrip().rstrip(";")
    el.set("style", f"{style}; text-align: {align}" if style else f"text-align: {align}")


# --- validity tests ----------------------------------------------------------------------------

def _valid_date(text: str) -> bool:
    m = _DATE.match(text)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(g) if g else None for g in m.groups()[:6])
    try:
        if day is not None:
            date(year, month, day)
        elif month is not None and not 1 <= month <= 12:
            return False
        if hour is not None:
            datetime(2000, 1, 1, hour, minute, second or 0)
    except ValueError:
        return False
    return year > 0


def _valid_time(el) -> bool:
    """`<time>` needs a valid datetime attribute, or text that is a valid date itself."""
    if el.get("datetime") is not None:
        return _valid_date(el.get("datetime"))
    return len(el) == 0 and _valid_date(el.text or "")


def _valid_dl(el) -> bool:
    """`dl` holds groups of one or more `dt` followed by one or more `dd` (EPUBCheck's dl.inner)."""
    seq = "".join({"dt": "t", "dd": "d"}.get(c.tag, "x") for c in el if isinstance(c.tag, str))
    return re.fullmatch(r"(t+d+)*", seq) is not None and not _stray_text(el)


def _valid_ruby(el) -> bool:
    """Ruby bases followed by annotations (`rt`, or `rp rt rp`), repeated (EPUBCheck's ruby.inner)."""
    tokens = []
    if not _blank(el.text):
        tokens.append("P")
    for c in el:
        tag = c.tag if isinstance(c.tag, str) else ""
        tokens.append({"rt": "t", "rp": "p", "rb": "P"}.get(tag, "P" if tag in PHRASING - {"ruby"} else "x"))
        if not _blank(c.tail):
            tokens.append("P")
        if tag == "rp" and len(c):
            return False
    seq = re.sub(r"P+", "P", "".join(tokens))
    return re.fullmatch(r"(P(t+|p(tp)+))+", seq) is not None


_SPACE = " \t\n\r"      # XML's white space (str.strip() would also take U+00A0, which is text)


def _blank(text: str | None) -> bool:
    return not text or not text.strip(_SPACE)


def _stray_text(el) -> bool:
    if not _blank(el.text):
        return True
    return any(not _blank(c.tail) for c in el)


@cache
def _child_context(tag: str, ctx: int) -> int:
    if tag in PHRASING_ONLY:
        ctx |= P_CTX
    elif tag not in TRANSPARENT:
        ctx &= ~P_CTX
    if tag == "a":
        ctx |= IN_A
    elif tag == "dfn":
        ctx |= IN_DFN
    elif tag == "time":
        ctx |= IN_TIME
    elif tag in ("header", "footer"):
        ctx |= IN_HF
    elif tag in ("th", "dt"):
        ctx |= NO_HEAD
    elif tag == "caption":
        ctx |= IN_CAPTION
    return ctx


# --- tree surgery ------------------------------------------------------------------------------

def remove(el) -> None:
    """Remove `el` and its content, keeping the text that follows it."""
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _unwrap(el) -> list:
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


def _hoist(el) -> list:
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


def _wrap_loose(el, wrapper: str) -> None:
    """Put loose text and foreign children of a list into `wrapper` (li) elements of their own."""
    if not _blank(el.text):
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
        elif not _blank(child.tail):
            item = etree.Element(wrapper)
            item.text, child.tail = child.tail, None
            child.addnext(item)


def _elements(el) -> list:
    return [c for c in el if isinstance(c.tag, str)]


def _valid_table(el) -> bool:
    """Only table parts where the schema wants them, and no loose text between them."""
    if _stray_text(el):
        return False
    for part in _elements(el):
        if part.tag not in TABLE_RANK:
            return False
        rows = [part] if part.tag == "tr" else []
        if part.tag in ("thead", "tbody", "tfoot", "colgroup"):
            wanted = "col" if part.tag == "colgroup" else "tr"
            kids = _elements(part)
            if _stray_text(part) or any(k.tag != wanted for k in kids):
                return False
            rows = kids if wanted == "tr" else []
        for row in rows:
            if _stray_text(row) or any(c.tag not in ("td", "th") for c in _elements(row)):
                return False
    return True


def _order_table(el) -> None:
    """caption, colgroup*, thead, tbody* or tr*, tfoot: in that order; one caption, thead and tfoot."""
    seen: set[str] = set()
    captions = [c for c in _elements(el) if c.tag == "caption"]
    for extra in captions[1:]:                  # one caption: the others join it (and are walked in it)
        extra.tag = "div"
        captions[0].append(extra)
    for child in _elements(el):
        if child.tag in ("thead", "tfoot") and child.tag in seen:
            child.tag = "tbody"
        seen.add(child.tag)
    kids = _elements(el)
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


def serialise(el) -> str:
    """XML serialisation of a section (`<br/>`, escaped text). The `epub` prefix is declared on the
    document's `<html>` by the template, so lxml's repeat of it on the section is left out."""
    return etree.tostring(el, encoding="unicode", method="xml").replace(_EPUB_DECLARATION, "", 1)


_EPUB_DECLARATION = f' xmlns:epub="{OPS}"'
