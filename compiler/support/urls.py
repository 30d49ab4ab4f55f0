"""URLs and ids in chapter HTML, one way each: does a URL have a scheme (and which), make an id
unique, the ids of a fragment, percent-encode a URL for an HTML checker. (Whether a path is inside a folder: `compiler.support.paths`.)"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# A URL scheme (RFC 3986: a letter, then letters, digits, `+`, `.`, `-`) and its colon; group 1 is
# the scheme. Use `.match`: only at the start of the URL.
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URL_SAFE = "!$%&'()*+,-./:;=@~_"
_ID_ATTR = re.compile(r'\sid="([^"]+)"')


def has_scheme(url: str) -> bool:
    """`https://…`, `mailto:…`, `data:…`: True; a path, `#fragment` or `//host/…`: False."""
    return SCHEME.match(url) is not None


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case, or "" for a relative URL."""
    match = SCHEME.match(url)
    return match[1].lower() if match else ""


def unique_id(candidate: str, taken: set[str]) -> str:
    """`candidate`, or `candidate-2`, `-3`, … : the first not in `taken`, which it is added to."""
    ident, n = candidate, 1
    while ident in taken:
        n += 1
        ident = f"{candidate}-{n}"
    taken.add(ident)
    return ident


def element_ids(html: str) -> tuple[str, ...]:
    """The `id` attributes of an HTML fragment (as serialised by pandoc and nh3), in document order."""
    return tuple(_ID_ATTR.findall(html))


def encode_url(url: str) -> str:
    """`url` with the characters an HTML checker refuses (spaces, brackets outside the host, quotes,
    a stray `%`) percent-encoded; the host is left alone."""
    url = _BAD_PERCENT.sub("%25", url)
    try:
        parts = urlsplit(url)
    except ValueError:   # e.g. an unbalanced "[" in the host
        return quote(url, safe=_URL_SAFE)
    path = quote(parts.path, safe=_URL_SAFE)
    query = quote(parts.query, safe=_URL_SAFE + "?")
    fragment = quote(parts.fragment, safe=_URL_SAFE + "?")
    prefix = f"{parts.scheme}:" if parts.scheme else ""
    prefix += f"//{parts.netloc}" if parts.netloc or url[len(prefix):].startswith("//") else ""
    return prefix + path + (f"?{query}" if query or "?" in url.split("#", 1)[0] else "") + (f"#{fragment}" if fragment or "#" in url else "")
