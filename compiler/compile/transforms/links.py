"""Links and images: site-relative links to posts in the book become in-book links (`#id`).

Other site-relative links become absolute against `site_url`, or plain text (with a warning) when
the book has none. Images are resolved inside the book folder and recorded as assets; anything
outside, missing or remote (without network permission) is reported and left out.
"""

from __future__ import annotations

import posixpath
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from compiler.support.paths import OutsideBook, confine, relative
from compiler.support.urls import has_scheme

SAFE_LINK_SCHEMES = {"http", "https", "mailto", "tel", "ftp"}
_DATEISH = re.compile(r"^\d{1,4}$")
_FOLDERS = {"posts", "post", "blog", "articles", "article", "writing", "p", "entries", "notes"}
_SUFFIXES = (".html", ".htm", ".md", ".markdown", ".php")


def route_key(path: str) -> str:
    """Normalise a URL path or file path for lookup: no leading/trailing slash, suffix or index."""
    key = path.split("#", 1)[0].split("?", 1)[0].strip().lower()
    key = re.sub(r"/index(\.html?|\.md)?$", "", key)
    for suffix in _SUFFIXES:
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    return key.strip("/")


@dataclass
class Routes:
    """How posts can be addressed: route keys -> chapter slug, and each chapter's id map."""
    keys: dict[str, str] = field(default_factory=dict)
    slugs: set[str] = field(default_factory=set)
    idmaps: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    def add(self, slug: str, names: list[str], idmap: dict[str, str]) -> None:
        self.slugs.add(slug)
        self.idmaps[slug] = idmap
        self.ids.update(idmap.values())
        self.ids.add(slug)
        for name in names:
            self.keys.setdefault(route_key(name), slug)

    def find(self, path: str) -> str | None:
        key = route_key(path)
        if key in self.keys:
            return self.keys[key]
        segments = key.split("/")
        if len(segments) > 1 and all(_DATEISH.match(s) or s in _FOLDERS for s in segments[:-1]):
            return self.keys.get(segments[-1])
        return None


@dataclass(frozen=True)
class LinkContext:
    slug: str
    post_dir: Path           # resolved folder of the post
    root: Path               # resolved book folder
    routes: Routes
    site_url: str | None
    network: bool


@dataclass(frozen=True)
class LinkOutcome:
    """What became of one link target: the new URL (None: unlink it) and a problem, if any."""
    url: str | None
    code: str | None = None
    message: str | None = None


def resolve_link(url: str, ctx: LinkContext) -> LinkOutcome:
    raw = url.strip()
    if not raw:
        return LinkOutcome(raw)
    if raw.startswith("#"):
        return _anchor(ctx.slug, raw[1:], ctx, raw)
    if raw.startswith("//"):
        raw = "https:" + raw
    scheme = urlsplit(raw).scheme.lower() if has_scheme(raw) else ""
    if scheme:
        if scheme not in SAFE_LINK_SCHEMES:
            return LinkOutcome(None, "CB112", f"link with unsafe scheme {scheme}: removed ({_short(raw)})")
        if ctx.site_url and raw.lower().startswith(ctx.site_url.lower()):
            inside = _in_book("/" + raw[len(ctx.site_url):], ctx)
            if inside is not None:
                return inside
        return LinkOutcome(raw)
    if raw.startswith("/"):
        inside = _in_book(raw, ctx)
        if inside is not None:
            return inside
        if ctx.site_url:
            return LinkOutcome(on_site(ctx.site_url, raw))
        return LinkOutcome(None, "CB110", f"site-relative link {raw} is not a post in this book and the manifest "
                                          "has no site_url: kept as plain text (set site_url to keep it as a link)")
    return _relative(raw, ctx)


def _relative(raw: str, ctx: LinkContext) -> LinkOutcome:
    path, _, frag = raw.partition("#")
    try:
        target = confine(ctx.root, path.split("?")[0], ctx.post_dir)
        slug = ctx.routes.find(relative(ctx.root, target))
    except OutsideBook:
        slug = None
    if slug is None:  # "../../2015/05/15/Slug.html" style permalinks
        slug = ctx.routes.find(posixpath.normpath("/" + re.sub(r"^(\.\.?/)+", "", path)))
    if slug is not None:
        return _anchor(slug, frag, ctx, raw)
    if ctx.site_url and raw.startswith("../"):  # climbs from a post's permalink to the site root
        return LinkOutcome(on_site(ctx.site_url, re.sub(r"^(\.\./)+", "", raw)))
    return LinkOutcome(None, "CB110", f"relative link {raw} is not a post in this book: kept as plain text"
                       + ("" if ctx.site_url else " (set site_url to link to the blog)"))


def on_site(site_url: str, path: str) -> str:
    """`path` on the blog: under site_url's own path (`/blog/`) unless it already starts with it."""
    base = urlsplit(site_url).path or "/"
    if path.startswith("/") and path.startswith(base):
        return urljoin(site_url, path)
    return site_url + path.lstrip("/")


def _in_book(path: str, ctx: LinkContext) -> LinkOutcome | None:
    slug = ctx.routes.find(path)
    if slug is None:
        return None
    frag = path.split("#", 1)[1] if "#" in path else ""
    return _anchor(slug, frag, ctx, path)


def loose(ident: str) -> str:
    """An id with only its letters and digits: matches kramdown/Hugo ids to pandoc's."""
    return re.sub(r"[\W_]+", "", unquote(ident).lower())


def _anchor(slug: str, frag: str, ctx: LinkContext, raw: str) -> LinkOutcome:
    if not frag:
        return LinkOutcome(f"#{slug}")
    idmap = ctx.routes.idmaps.get(slug, {})
    new = idmap.get(frag) or idmap.get(unquote(frag))
    if new is None and frag in ctx.routes.ids:
        new = frag
    if new is None:
        new = next((v for k, v in idmap.items() if loose(k) == loose(frag)), None)
    if new is None and re.search(r"[\W_]$", unquote(frag)) and loose(frag):
        # a blog engine dropped the heading's emoji (`#debugging-initiatives-` for "Debugging
        # Initiatives (🦀)") where pandoc spells them (`debugging-initiatives-crab`): the one id it starts
        found = [v for k, v in idmap.items() if loose(k).startswith(loose(frag))]
        new = found[0] if len(found) == 1 else None
    if new is None:
        return LinkOutcome(f"#{slug}", "CB107", f"link {raw}: no heading #{frag} in chapter {slug}; linking to the chapter")
    return LinkOutcome(f"#{new}")


@dataclass(frozen=True)
class ImageOutcome:
    href: str | None          # new src (None: drop the image, keep its alt text)
    source: Path | None = None
    code: str | None = None
    message: str | None = None


def resolve_image(url: str, ctx: LinkContext) -> ImageOutcome:
    raw = url.strip()
    scheme = urlsplit(raw).scheme.lower() if has_scheme(raw) else ""
    if raw.startswith("//"):
        raw, scheme = "https:" + raw, "https"
    if scheme in ("http", "https"):
        if ctx.network:
            return ImageOutcome(raw)
        return ImageOutcome(None, None, "CB117", f"remote image {_short(raw)} not fetched (the manifest does not "
                                                 "allow network access): linked instead")
    if scheme:
        return ImageOutcome(None, None, "CB116", f"image {_short(raw)}: scheme {scheme}: is not allowed; left out")
    path = unquote(raw.split("#")[0].split("?")[0])
    if path.startswith("../") and _escapes(ctx, path):
        # relative to the post's address on the site (`/2016/04/19/MIR.html` + `../../../images/a.svg`),
        # not to its file: the site-relative `/images/a.svg`, looked up as such (never outside the book)
        path = "/" + re.sub(r"^(\.\./)+", "", path)
    # site-relative: Hugo's static/, Hexo's source/, else the site root (Jekyll)
    candidates = [f"{d}{path.lstrip('/')}" for d in ("static/", "source/", "")] if path.startswith("/") else [path]
    for candidate in candidates:
        base = ctx.root if path.startswith("/") else ctx.post_dir
        try:
            found = confine(ctx.root, candidate, base)
        except OutsideBook:
            return ImageOutcome(None, None, "CB116", f"image {raw} is outside the book folder: left out")
        if found.is_file():
            return ImageOutcome("assets/" + relative(ctx.root, found), found)
    return ImageOutcome(None, None, "CB116", f"image {raw} not found: left out (its alt text is kept)")


def _escapes(ctx: LinkContext, path: str) -> bool:
    """A relative path that climbs out of the book folder from the post's folder."""
    target = os.path.normpath(os.path.join(str(ctx.post_dir), path))
    root = str(ctx.root)
    return not (target == root or target.startswith(root.rstrip(os.sep) + os.sep))


def _short(url: str) -> str:
    return url if len(url) <= 60 else url[:57] + "…"
