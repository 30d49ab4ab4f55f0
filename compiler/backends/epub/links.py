"""Ids and URLs that EPUBCheck accepts.

An id in XHTML must be an XML name without colons; the core's ids are usually ASCII already, but a
slug may start with a digit and a heading id may hold any letter. `xml_id` maps every id to a safe
ASCII name the same way wherever it appears (the element and every link to it), so links keep
working. `clean_url` percent-encodes what the URL Standard does not allow (EPUBCheck RSC-020) and
refuses what cannot be a working external link.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from compiler.support.urls import SCHEME as _SCHEME

LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp"})
_SAFE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_ID_CHAR = re.compile(r"[^A-Za-z0-9_.-]")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_URL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$&'()*+,-./:;=?@_~")
_HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")


def xml_id(ident: str) -> str:
    """`ident` as an ASCII XML name: unchanged when already safe, else other characters as `_xHEX_`."""
    if _SAFE_ID.match(ident):
        return ident
    safe = _ID_CHAR.sub(lambda m: f"_x{ord(m[0]):x}_", ident)
    return safe if safe[:1].isalpha() or safe[:1] == "_" else "_" + safe


def fragment_of(href: str) -> str | None:
    """The element id an in-document link (`#id`, possibly percent-encoded) points at."""
    if not href.startswith("#"):
        return None
    return unquote(href[1:])


def clean_url(raw: str) -> str | None:
    """An external URL EPUBCheck accepts, or None when it cannot work as a link from a book."""
    url = re.sub(r"[\t\n\r]", "", raw.strip())
    if url.startswith("//"):
        url = "https:" + url
    match = _SCHEME.match(url)
    if not match or match[1].lower() not in LINK_SCHEMES:
        return None
    scheme = match[1].lower()
    rest = url[match.end():]
    if scheme in ("http", "https", "ftp"):
        return _hierarchical(scheme, rest)
    encoded = _encode(rest)
    return f"{scheme}:{encoded}" if encoded.strip() else None


def _hierarchical(scheme: str, rest: str) -> str | None:
    rest = rest.replace("\\", "/")  # as browsers read it in http(s) URLs
    if not rest.startswith("//"):
        return None
    netloc = urlsplit("x:" + rest).netloc
    host = _host(netloc)
    if host is None:
        return None
    return f"{scheme}://{host}{_encode(rest[2 + len(netloc):])}"


def _host(netloc: str) -> str | None:
    """Validate (and IDNA-encode) the host; keep user info and port in encoded form."""
    userinfo, _, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        if not re.fullmatch(r"[0-9A-Fa-f:.]+", host):
            return None
        name, port = f"[{host}]", port.removeprefix(":")
    else:
        name, _, port = hostport.partition(":")
        name = _idna(name.rstrip("."))
        if name is None:
            return None
    if port and not (port.isascii() and port.isdigit() and int(port) < 65536):
        return None
    prefix = _encode(userinfo, extra="") + "@" if userinfo else ""
    return prefix + name + (f":{port}" if port else "")


def _idna(name: str) -> str | None:
    if not name:
        return None
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return None
    labels = ascii_name.split(".")
    return ascii_name.lower() if all(_HOST_LABEL.match(label) for label in labels) else None


def _encode(text: str, extra: str = "#") -> str:
    """Percent-encode every character the URL Standard does not allow; keep valid `%XX` escapes and
    the first `#` (the fragment delimiter)."""
    out: list[str] = []
    seen_hash = "#" not in extra
    i = 0
    while i < len(text):
        c = text[i]
        if c in _URL_CHARS:
            out.append(c)
        elif c == "%" and _HEX2.match(text, i + 1):
            out.append(c)
        elif c == "#" and not seen_hash:
            seen_hash = True
            out.append(c)
        else:
            out.append("".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass")))
        i += 1
    return "".join(out)
