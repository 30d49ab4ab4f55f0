"""Raw HTML and attributes from posts cannot smuggle scripts into any output.

Two layers: the AST walk drops `on*` attributes and non-HTML raw blocks and reports what it finds;
then every rendered HTML fragment goes through nh3 (ammonia) with an allow-list of tags,
attributes and URL schemes, which removes scripts, handlers and dangerous URLs whatever syntax
carried them, and balances unclosed tags.
"""

from __future__ import annotations

import re

import nh3

_DANGER = re.compile(r"<\s*(script|iframe|object|embed|style|link|base|meta|form|frame|frameset|svg|math)\b"
                     r"|\bon[a-z]+\s*=|javascript:|vbscript:|data:text/html", re.I)

TAGS = set(nh3.ALLOWED_TAGS) | {
    "section", "article", "aside", "header", "footer", "figure", "figcaption", "details", "summary", "mark",
    "kbd", "samp", "var", "sup", "sub", "del", "ins", "s", "u", "small", "abbr", "time", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "pre", "code",
    "span", "div", "hr", "br", "img", "a", "blockquote", "q", "cite", "ol", "ul", "li", "h1", "h2", "h3",
    "h4", "h5", "h6", "p", "em", "strong", "b", "i", "picture", "nav",
}
TAGS -= {"script", "style", "iframe", "object", "embed", "form", "input", "button", "textarea", "select", "svg"}
ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir", "role", "aria-hidden", "aria-label", "aria-labelledby",
          "aria-describedby", "style"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span", "width"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "time": {"datetime"},
    "abbr": {"title"},
    "details": {"open"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "ftp"}

# Elements whose content the HTML parser reads as text, not markup (raw text and escapable raw text
# elements, plus the obsolete ones parsed the same way). Left to nh3's "strip the tag, keep the
# content", their markup would print as text ("<img alt=...>"). The fallbacks a book should show
# are unwrapped before the parse, so their content is parsed as HTML and goes through the usual
# rules (images resolved and copied, links checked); the others are dropped with their content.
UNWRAPPED = ("noscript", "noembed", "noframes", "plaintext")
DROPPED = ("script", "style", "template", "iframe", "textarea", "title", "xmp")
RAW_TEXT_ELEMENTS = ("script", "style", "template", "iframe", "textarea", "title", "xmp", "plaintext",
                     "noscript", "noembed", "noframes")
_UNWRAP = re.compile(r"</?(?:%s)\b[^>]*>" % "|".join(UNWRAPPED), re.I)
_DROPS = re.compile(r"<(%s)\b" % "|".join(t for t in DROPPED if t not in ("script", "style")), re.I)
STYLE_PROPERTIES = {"text-align", "width", "vertical-align", "font-style", "font-weight", "text-decoration"}


def is_dangerous(raw: str) -> bool:
    return bool(_DANGER.search(raw))


def clean_attr(attr: list) -> tuple[list, list[str]]:
    """Drop event handlers and styles carrying URLs from a pandoc Attr; return it and what was dropped."""
    ident, classes, kvs = attr
    kept, dropped = [], []
    for key, value in kvs:
        k = key.lower()
        if k.startswith("on") or k in ("srcdoc", "formaction", "xlink:href") or (
                k in ("href", "src", "style") and is_dangerous(value + ">") or "url(" in value.lower()):
            dropped.append(key)
        else:
            kept.append([key, value])
    return ([ident, classes, kept] if dropped else attr), dropped


def dropped_content(raw: str) -> str | None:
    """The first element of `raw` whose content the sanitiser drops (it would print as markup), if any."""
    found = _DROPS.search(raw)
    return found[1].lower() if found else None


def clean_html(html: str) -> str:
    """The allow-list pass over rendered HTML (nh3, i.e. ammonia); no-script fallbacks unwrapped first."""
    return nh3.clean(
        _UNWRAP.sub("", html), tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None,
        strip_comments=True, clean_content_tags=set(DROPPED),
        generic_attribute_prefixes={"data-"},
        filter_style_properties=STYLE_PROPERTIES,
    )
