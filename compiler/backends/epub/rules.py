"""The EPUB 3 content rules the XHTML repair applies, as data and small pure functions.

Each table or test mirrors a rule of EPUBCheck's XHTML schema (the HTML5 RELAX NG grammar and its
Schematron assertions): which elements may hold which, which need a particular parent, which
attribute values are valid. `decide` turns them into one answer per (element, parent, context).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Callable

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


# --- what an element must become where it stands ------------------------------------------------

SAME = "="   # the decision "keep this element as it is"


def decide(tag: str, parent: str, ctx: int) -> str:
    """The name the element needs here: `SAME`, a new name, "-" to remove it, "*" to unwrap it, or a
    name in `ELEMENT_CHECKS` whose attributes decide. Pure: the walker memoises it per document
    (a chapter has few distinct (tag, parent, context) triples and many elements)."""
    if tag in REMOVED or (tag == "hr" and ctx & P_CTX):
        return "-"
    if tag in UNWRAPPED:
        return "*"
    demote = "span" if ctx & P_CTX else "div"
    if tag in RUBY_PARTS and parent == "ruby":
        return SAME
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
    slow = tag != original or tag in ELEMENT_CHECKS or tag in CONTAINERS or tag in VOID
    return tag if slow else SAME


def _check_img(el, ctx: int) -> str:
    return "img" if el.get("src") else "-"


def _check_bdo(el, ctx: int) -> str:
    return "bdo" if el.get("dir") in ("ltr", "rtl") else "span"


def _check_time(el, ctx: int) -> str:
    return "time" if valid_time(el) else "span"


ELEMENT_CHECKS = {"img": _check_img, "bdo": _check_bdo, "time": _check_time}
CONTAINERS = frozenset({"ul", "ol", "dl", "table", "details", "figure", "ruby"})
PREWALK = tuple(sorted(UNWRAPPED | REMOVED | {"wbr", "embed", "keygen"}))


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
    return value if valid_date(value) else None


def _style(value: str, tag: str, parent: str) -> str | None:
    value = value.strip()
    return value if value and "\\" not in value and "url(" not in value.lower() else None


def _align(value: str, tag: str, parent: str) -> str | None:
    value = value.strip().lower()
    return value if value in ("left", "right", "center", "justify") else None


ATTR_CHECKS: dict[str, Callable[[str, str, str], str | None]] = {
    "role": _role, "lang": _lang, "hreflang": _lang, "dir": _dir, "aria-hidden": _aria_hidden,
    "aria-label": _nonempty, "width": _uint, "height": _uint, "colspan": _positive, "rowspan": _rowspan,
    "span": _positive, "start": _int, "value": _int, "reversed": _boolean("reversed"), "open": _boolean("open"),
    "type": _enum("1", "a", "A", "i", "I"), "scope": _enum("row", "col", "rowgroup", "colgroup"),
    "datetime": _datetime, "style": _style, "align": _align, "id": _nonempty,
}


def align_to_style(el) -> None:
    align = el.attrib.pop("align")
    style = el.get("style", "").rstrip().rstrip(";")
    el.set("style", f"{style}; text-align: {align}" if style else f"text-align: {align}")


# --- validity tests ----------------------------------------------------------------------------

def valid_date(text: str) -> bool:
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


def valid_time(el) -> bool:
    """`<time>` needs a valid datetime attribute, or text that is a valid date itself."""
    if el.get("datetime") is not None:
        return valid_date(el.get("datetime"))
    return len(el) == 0 and valid_date(el.text or "")


def valid_dl(el) -> bool:
    """`dl` holds groups of one or more `dt` followed by one or more `dd` (EPUBCheck's dl.inner)."""
    seq = "".join({"dt": "t", "dd": "d"}.get(c.tag, "x") for c in el if isinstance(c.tag, str))
    return re.fullmatch(r"(t+d+)*", seq) is not None and not stray_text(el)


def valid_ruby(el) -> bool:
    """Ruby bases followed by annotations (`rt`, or `rp rt rp`), repeated (EPUBCheck's ruby.inner)."""
    tokens = []
    if not blank(el.text):
        tokens.append("P")
    for c in el:
        tag = c.tag if isinstance(c.tag, str) else ""
        tokens.append({"rt": "t", "rp": "p", "rb": "P"}.get(tag, "P" if tag in PHRASING - {"ruby"} else "x"))
        if not blank(c.tail):
            tokens.append("P")
        if tag == "rp" and len(c):
            return False
    seq = re.sub(r"P+", "P", "".join(tokens))
    return re.fullmatch(r"(P(t+|p(tp)+))+", seq) is not None


_SPACE = " \t\n\r"      # XML's white space (str.strip() would also take U+00A0, which is text)


def blank(text: str | None) -> bool:
    return not text or not text.strip(_SPACE)


def stray_text(el) -> bool:
    if not blank(el.text):
        return True
    return any(not blank(c.tail) for c in el)


@cache
def child_context(tag: str, ctx: int) -> int:
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


def elements(el) -> list:
    return [c for c in el if isinstance(c.tag, str)]


def valid_table(el) -> bool:
    """Only table parts where the schema wants them, and no loose text between them."""
    if stray_text(el):
        return False
    for part in elements(el):
        if part.tag not in TABLE_RANK:
            return False
        rows = [part] if part.tag == "tr" else []
        if part.tag in ("thead", "tbody", "tfoot", "colgroup"):
            wanted = "col" if part.tag == "colgroup" else "tr"
            kids = elements(part)
            if stray_text(part) or any(k.tag != wanted for k in kids):
                return False
            rows = kids if wanted == "tr" else []
        for row in rows:
            if stray_text(row) or any(c.tag not in ("td", "th") for c in elements(row)):
                return False
    return True
