"""A chapter's HTML fragment made fit for its page: links, images and attributes.

The core hands over sanitised HTML whose in-book links are `#id`. On a page of its own a chapter
must link `other-page.html#id`; raw HTML from posts may also carry what a published page must not:
links to ids the core never scoped, relative URLs into the old blog, remote images (a request
leaving the page), obsolete elements and attribute values the HTML checker rejects. Each is fixed
here, in one pass over the start tags, and reported once per chapter.

The fragment is nh3's serialisation (html5ever): attribute values are always double-quoted with
`"` and `&` escaped, so a start tag can be matched exactly by a regular expression.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from compiler.backends.html.plan import Plan
from compiler.model.book import Chapter
from compiler.support.urls import encode_url, unique_id

_TAG = re.compile(r'<(/?)((?:a|img|td|th|col|pre|ol|time|del|ins|blockquote|q|acronym|center|strike|tt|h[1-6])'
                  r'(?=[\s/>])|[a-zA-Z][a-zA-Z0-9]*(?=[^>]*?\s(?:id|lang|dir|value)="))'
                  r'((?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*)\s*/?>')
_ATTR = re.compile(r'([^\s"\'>/=]+)(?:="([^"]*)")?')
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_TABLE = re.compile(r"<table\b|</table>")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_PIXELS = re.compile(r"^\s*(\d+)(?:\.\d+)?\s*(?:px)?\s*$", re.I)
_INT = re.compile(r"^\s*-?\d+\s*$")
_DATETIME = re.compile(r"^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?$")
WEB_SCHEMES = ("http", "https", "mailto", "tel", "ftp")
RENAMED = {"acronym": "abbr", "center": "div", "strike": "s", "tt": "code"}
INTERESTING = frozenset({"a", "img", "td", "th", "col", "pre", "ol", "li", "time", "del", "ins", "blockquote", "q",
                         *RENAMED})


@dataclass(frozen=True)
class PageContext:
    """What rewriting one chapter needs to know about the page it lands on."""
    plan: Plan
    file: str                       # this page's file ("" in single mode)
    chapter: Chapter
    original: str | None            # the post's URL on the blog, to resolve its relative links
    images: dict[str, str]          # book asset href -> src to use on this page
    network: bool                   # remote images may be shown


@dataclass
class Findings:
    """What had to be changed, for one diagnostic per kind and chapter (mutable while rewriting)."""
    anchors: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


@dataclass
class _State:
    page: PageContext
    ids: set[str]
    found: Findings
    in_link: int = 0
    level: int = 1                  # last heading level on the page (the chapter title is 1)
    renamed: dict[str, str] = field(default_factory=dict)   # heading end tag -> its new name


def rewrite(fragment: str, page: PageContext, ids: set[str]) -> tuple[str, Findings]:
    """The fragment ready for `page`. `ids` holds the ids already on the page (updated)."""
    state = _State(page, ids, Findings())
    out = _TAG.sub(lambda m: _tag(m, state), fragment)
    return wrap_tables(out), state.found


def wrap_tables(fragment: str) -> str:
    """Give each outermost table a scrolling box, so a wide table never widens a phone's page."""
    pieces, depth, last = [], 0, 0
    for m in _TABLE.finditer(fragment):
        if m[0] == "<table":
            if depth == 0:
                pieces += [fragment[last:m.start()], '<div class="table-wrap" tabindex="0">']
                last = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                pieces += [fragment[last:m.end()], "</div>"]
                last = m.end()
    if depth:  # unbalanced (cannot happen after nh3): leave the rest as it was
        pieces.append("</div>")
    pieces.append(fragment[last:])
    return "".join(pieces)


def _tag(m: re.Match, state: _State) -> str:
    closing, name, raw = m[1], m[2].lower(), m[3]
    if closing:
        if name == "a":
            state.in_link = max(0, state.in_link - 1)
        if name in state.renamed:
            return f"</{state.renamed.pop(name)}>"
        return f"</{RENAMED[name]}>" if name in RENAMED else m[0]
    if name in _HEADINGS:
        name = _heading_level(name, state)
    if name not in INTERESTING and not state.renamed and ' id="' not in raw and ' lang="' not in raw and ' dir="' not in raw:
        return m[0]
    attrs = {k.lower(): (html.unescape(v) if v is not None else None) for k, v in _ATTR.findall(raw)}
    if name == "img":
        replacement = _image(attrs, state)
        if replacement is not None:
            return replacement
    elif name == "a":
        state.in_link += 1
        _link(attrs, state)
        if attrs.get("aria-hidden") == "true" and "href" in attrs:
            attrs["tabindex"] = "-1"    # pandoc's code-line anchors: hidden, so not focusable either
    _common(name, attrs, state)
    if name in RENAMED:
        if name == "center":
            attrs["class"] = " ".join(filter(None, [attrs.get("class"), "center"]))
        name = RENAMED[name]
    return _serialise(name, attrs)


def _heading_level(name: str, state: _State) -> str:
    """Close up a skipped heading level (h2 then h4 becomes h2 then h3): the outline stays whole."""
    level = min(int(name[1]), state.level + 1)
    state.level = level
    if f"h{level}" != name:
        state.renamed[name] = f"h{level}"
    return f"h{level}"


def _serialise(name: str, attrs: dict[str, str | None]) -> str:
    parts = [name] + [k if v is None else f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items()]
    return "<" + " ".join(parts) + ">"


# --- links --------------------------------------------------------------------------------------

def _link(attrs: dict, state: _State) -> None:
    if "href" not in attrs:
        return
    href = _href(attrs["href"] or "", state)
    if href is None:
        del attrs["href"]
        attrs.pop("hreflang", None)
    else:
        attrs["href"] = href


def _href(url: str, state: _State) -> str | None:
    page = state.page
    url = url.strip()
    if url.startswith("#"):
        return _anchor(url[1:], state)
    scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    if scheme in WEB_SCHEMES:
        return encode_url(url)
    if url.startswith("//"):
        return encode_url("https:" + url)
    if url in page.images and page.file:
        return url
    if page.original and not scheme:
        return encode_url(urljoin(page.original, url))
    state.found.links.append(url)
    return None


def _anchor(fragment: str, state: _State) -> str | None:
    page = state.page
    ident = unquote(fragment)
    if not ident:
        return "#"
    for candidate in (ident, f"{page.chapter.slug}--{ident}"):
        if candidate in page.plan.page_of:
            return page.plan.link(candidate, page.file)
    state.found.anchors.append(ident)
    return None


# --- images -------------------------------------------------------------------------------------

def _image(attrs: dict, state: _State) -> str | None:
    """None to keep the image (its src set for this page), else the markup that replaces it."""
    page = state.page
    src = (attrs.get("src") or "").strip()
    if src in page.images:
        attrs["src"] = page.images[src]
        return None
    scheme = urlsplit(src).scheme.lower() if ":" in src else ""
    absolute = encode_url("https:" + src if src.startswith("//") else src) if scheme in ("http", "https") or src.startswith("//") else None
    if absolute and page.network:
        attrs["src"] = absolute
        return None
    if absolute is None and page.original and not scheme and src:
        absolute = encode_url(urljoin(page.original, src))
    state.found.images.append(src)
    label = html.escape((attrs.get("alt") or "").strip() or _file_name(src) or "image")
    if absolute and not state.in_link:
        return f'<a class="remote-image" href="{html.escape(absolute)}">{label}</a>'
    return f'<span class="missing-image">{label}</span>'


def _file_name(src: str) -> str:
    return unquote(urlsplit(src).path.rstrip("/").rsplit("/", 1)[-1])


# --- attributes the HTML checker would refuse -----------------------------------------------------

def _common(name: str, attrs: dict, state: _State) -> None:
    if "id" in attrs:
        _unique_id(attrs, state.ids)
    for key, ok in (("lang", _LANG.match), ("hreflang", _LANG.match),
                    ("dir", lambda v: v in ("ltr", "rtl", "auto"))):
        if key in attrs and attrs[key] and not ok(attrs[key]):
            del attrs[key]
    if "aria-hidden" in attrs and attrs["aria-hidden"] not in ("true", "false"):
        del attrs["aria-hidden"]
    fix = _FIXES.get(name)
    if fix:
        fix(attrs)


def _unique_id(attrs: dict, ids: set[str]) -> None:
    ident = re.sub(r"\s+", "-", (attrs["id"] or "").strip())
    if not ident:
        del attrs["id"]
        return
    attrs["id"] = unique_id(ident, ids)


def _add_style(attrs: dict, declaration: str) -> None:
    style = (attrs.get("style") or "").strip().rstrip(";")
    attrs["style"] = f"{style};{declaration}" if style else declaration


def _cell(attrs: dict) -> None:
    align = (attrs.pop("align", None) or "").strip().lower()
    if align in ("left", "right", "center", "justify"):
        _add_style(attrs, f"text-align:{align}")
    _integer(attrs, "colspan", 1)
    _integer(attrs, "rowspan", 0)
    if attrs.get("scope") not in (None, "row", "col", "rowgroup", "colgroup"):
        del attrs["scope"]


def _col(attrs: dict) -> None:
    width = attrs.pop("width", None)
    if width and (m := _PIXELS.match(width)):
        _add_style(attrs, f"width:{m[1]}px")
    _integer(attrs, "span", 1)


def _img(attrs: dict) -> None:
    for key in ("width", "height"):
        value = attrs.get(key)
        if value is None:
            continue
        m = _PIXELS.match(value)
        if m:
            attrs[key] = m[1]
        else:
            del attrs[key]


def _pre(attrs: dict) -> None:
    attrs.setdefault("tabindex", "0")   # a scrolling code block must be reachable by keyboard


def _ol(attrs: dict) -> None:
    _integer(attrs, "start", None)
    if attrs.get("type") not in (None, "1", "a", "A", "i", "I"):
        del attrs["type"]


def _dated(attrs: dict) -> None:
    if attrs.get("datetime") is not None and not _DATETIME.match(attrs["datetime"].strip()):
        del attrs["datetime"]
    _cite(attrs)


def _cite(attrs: dict) -> None:
    if attrs.get("cite") is not None:
        attrs["cite"] = encode_url(attrs["cite"].strip())


def _integer(attrs: dict, key: str, minimum: int | None) -> None:
    value = attrs.get(key)
    if value is None:
        return
    if not _INT.match(value) or (minimum is not None and int(value) < minimum):
        del attrs[key]
    else:
        attrs[key] = str(int(value))


_FIXES = {
    "td": _cell, "th": _cell, "col": _col, "img": _img, "pre": _pre, "ol": _ol,
    "li": lambda a: _integer(a, "value", None), "time": _dated, "del": _dated, "ins": _dated,
    "blockquote": _cite, "q": _cite,
}
