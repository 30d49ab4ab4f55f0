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
    """How posts can be addressed, and each chapter's id map.

    `keys`: the URLs the blog serves a post at (its permalinks, aliases, redirects) and its file's
    path; `weak`: its bare slug (a link `/slug`); `words`: the slugs a dated URL may end with, for
    blogs whose permalink rule is not known (`/any/prefix/2023/01/30/slug.html`). A key that two
    chapters share is ambiguous: `lookup` then names both, and picks neither."""
    keys: dict[str, list[str]] = field(default_factory=dict)
    weak: dict[str, list[str]] = field(default_factory=dict)
    words: dict[str, list[tuple[str, tuple[int, int, int] | None]]] = field(default_factory=dict)
    slugs: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)
    idmaps: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    pages: dict[str, str] = field(default_factory=dict)        # chapter -> its canonical path on the blog
    suspects: dict[str, int] | None = None   # without site_url: site -> absolute links to posts of the book
    remote_images: dict[str, str | None] = field(default_factory=dict)   # (network: true) URL -> why refused

    def add(self, slug: str, names: list[str], idmap: dict[str, str], weak: tuple[str, ...] = (),
            words: tuple[str, ...] = (), date=None, label: str | None = None) -> None:
        self.slugs.add(slug)
        self.labels[slug] = label or slug
        self.idmaps[slug] = idmap
        self.ids.update(idmap.values())
        self.ids.add(slug)
        for table, items in ((self.keys, names), (self.weak, weak)):
            for name in items:
                found = table.setdefault(route_key(name), [])
                if slug not in found:
                    found.append(slug)
        day = (date.year, date.month, date.day) if date is not None else None
        for word in dict.fromkeys(w.lower() for w in words if w):
            self.words.setdefault(word, []).append((slug, day))

    def find(self, path: str) -> str | None:
        return self.lookup(path)[0]

    def lookup(self, path: str) -> tuple[str | None, tuple[str, ...]]:
        """The chapter `path` addresses, or (None, the chapters it could be) when it is ambiguous."""
        key = route_key(path)
        segments = key.split("/")
        tries = [self.keys.get(key)]
        if len(segments) == 1:
            tries.append(self.weak.get(key))
        for found in tries:
            if found:
                return (found[0], ()) if len(found) == 1 else (None, tuple(found))
        last, before = segments[-1], segments[:-1]
        day = _date_before(before)
        if day:   # a dated URL: the post of that slug and date (or an undated one), never another date's
            entries = self.words.get(last, [])
            found = list(dict.fromkeys(s for s, d in entries if d and d[:len(day)] == day)) \
                or list(dict.fromkeys(s for s, d in entries if d is None))
            if not found:
                return None, ()
            return (found[0], ()) if len(found) == 1 else (None, tuple(found))
        if before and all(_DATEISH.match(s) or s in _FOLDERS for s in before):
            found = self.keys.get(last) or self.weak.get(last) or []
            if found:
                return (found[0], ()) if len(found) == 1 else (None, tuple(found))
        return None, ()


def _date_before(segments: list[str]) -> tuple[int, ...]:
    """The date (year, month, day; or a prefix of it) that the URL's last folders spell, if any."""
    tail = []
    for s in reversed(segments[-3:]):
        if not re.fullmatch(r"\d{1,4}", s):
            break
        tail.insert(0, s)
    while tail and len(tail[0]) != 4:
        tail.pop(0)
    if not tail:
        return ()
    return tuple(int(x) for x in tail)


@dataclass(frozen=True)
class LinkContext:
    slug: str
    post_dir: Path           # resolved folder of the post
    root: Path               # resolved book folder
    routes: Routes
    site_url: str | None
    network: bool
    checked: dict = field(default_factory=dict, compare=False, repr=False)   # remote image -> problem (the build's)
    log: list | None = None   # when a list: every link and image resolved, with its answer (compile/memos.py)

    @property
    def page(self) -> str | None:
        """The post's own address on the blog (site-relative), when its permalink is known."""
        return self.routes.pages.get(self.slug)

    @property
    def suspects(self) -> dict | None:
        return self.routes.suspects


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
        if scheme in ("http", "https"):
            return _absolute(raw, ctx)
        return LinkOutcome(raw)
    if raw.startswith("/"):
        kept = on_site(ctx.site_url, raw) if ctx.site_url else None
        inside = _in_book(_without_base(raw, ctx.site_url), ctx, kept) or _in_book(raw, ctx, kept)
        if inside is not None:
            return inside
        if ctx.site_url:
            return LinkOutcome(kept)
        return LinkOutcome(None, "CB110", f"site-relative link {raw} is not a post in this book and the manifest "
                                          "has no site_url: kept as plain text (set site_url to keep it as a link)")
    return _relative(raw, ctx)


def same_site(url: str, site_url: str) -> bool:
    """`url` is on the blog: same host (with or without `www.`), http or https, under its base path."""
    a, b = urlsplit(url), urlsplit(site_url)
    host = (a.hostname or "").lower().removeprefix("www.")
    if host != (b.hostname or "").lower().removeprefix("www.") or a.port != b.port:
        return False
    base = b.path or "/"
    return (a.path or "/").lower().startswith(base.lower()) or (a.path or "/") + "/" == base


def _without_base(path: str, site_url: str | None) -> str:
    """A site-relative path without the site's own base path (`/blog/2020/x` on https://a.test/blog/)."""
    base = urlsplit(site_url).path.rstrip("/") if site_url else ""
    if base and path.lower().startswith(base.lower() + "/"):
        return path[len(base):]
    return path


def _absolute(raw: str, ctx: LinkContext) -> LinkOutcome:
    parts = urlsplit(raw)
    path = (parts.path or "/") + ("#" + parts.fragment if parts.fragment else "")
    if ctx.site_url and same_site(raw, ctx.site_url):
        inside = _in_book(_without_base(path, ctx.site_url), ctx, raw) or _in_book(path, ctx, raw)
        if inside is not None:
            return inside
    elif not ctx.site_url and ctx.suspects is not None and parts.hostname and parts.path.strip("/").count("/"):
        slug, _ = ctx.routes.lookup(parts.path)
        if slug is not None:
            site = f"https://{parts.hostname.lower()}/"
            ctx.suspects[site] = ctx.suspects.get(site, 0) + 1
    return LinkOutcome(raw)


def _relative(raw: str, ctx: LinkContext) -> LinkOutcome:
    path, _, frag = raw.partition("#")
    try:
        target = confine(ctx.root, unquote(path.split("?")[0]), ctx.post_dir)
        slug = ctx.routes.find(relative(ctx.root, target))
    except OutsideBook:
        slug = None
    if slug is not None:
        return _anchor(slug, frag, ctx, raw)
    kept = on_site(ctx.site_url, re.sub(r"^(\.\./)+", "", raw)) if ctx.site_url and raw.startswith("../") else None
    if ctx.page:   # relative to the post's own address on the blog
        inside = _in_book(posixpath.normpath(urljoin(ctx.page, path)) + ("#" + frag if frag else ""), ctx,
                          kept or (urljoin(on_site(ctx.site_url, ctx.page), raw) if ctx.site_url else None))
        if inside is not None:
            return inside
    # "../../2015/05/15/Slug.html" style permalinks
    inside = _in_book(posixpath.normpath("/" + re.sub(r"^(\.\.?/)+", "", path)) + ("#" + frag if frag else ""), ctx, kept)
    if inside is not None:
        return inside
    if kept:  # climbs from a post's permalink to the site root
        return LinkOutcome(kept)
    return LinkOutcome(None, "CB110", f"relative link {raw} is not a post in this book: kept as plain text"
                       + ("" if ctx.site_url else " (set site_url to link to the blog)"))


def on_site(site_url: str, path: str) -> str:
    """`path` on the blog: under site_url's own path (`/blog/`) unless it already starts with it."""
    base = urlsplit(site_url).path or "/"
    if path.startswith("/") and path.startswith(base):
        return urljoin(site_url, path)
    return site_url + path.lstrip("/")


def _in_book(path: str, ctx: LinkContext, kept: str | None) -> LinkOutcome | None:
    """The in-book link for a site path, None if it is not a post of the book; an ambiguous path
    keeps its link to the blog (`kept`) with a warning naming the posts."""
    slug, candidates = ctx.routes.lookup(unquote(path.split("#", 1)[0]))
    if slug is None and candidates:
        names = [ctx.routes.labels.get(c, c) for c in candidates]
        return LinkOutcome(kept, "CB128", f"link {_short(path)} could be {len(names)} posts of this book: "
                           f"{', '.join(names[:-1])} and {names[-1]}; kept as it was (link to the post's full "
                           "address or its .md file to say which)")
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
