"""The URLs each engine serves a post at, and slugs as each engine makes them (compiler.compile.permalinks)."""


from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin

from compiler.load.sources import Post
from compiler.support.paths import relative

from compiler.compile.permalinks.site import ELEVENTY_MARKERS, JEKYLL_STYLES, Site, _JEKYLL_DATE, _PLACEHOLDER, _ZOLA_DATE, _read_text, _text


# --- slugs as the engines make them ----------------------------------------------------------------

def urlize(text: str, lower: bool = True) -> str:
    """Hugo's `urlize` (helpers.PathSpec.UnicodeSanitize, then lower case): letters, digits, marks and
    `._-~+#@/\\` are kept, spaces become one hyphen, every other character is dropped."""
    out: list[str] = []
    pending = was_hyphen = False
    for i, ch in enumerate(text):
        allowed = ch in "./\\_#+~-@" or ch.isalpha() or ch.isdigit() or unicodedata.category(ch).startswith("M")
        allowed = allowed or (ch == "%" and re.match(r"[0-9A-Fa-f]{2}", text[i + 1:i + 3]) is not None)
        if allowed:
            was_hyphen = ch == "-"
            if pending and not was_hyphen:
                out.append("-")
            pending = False
            out.append(ch)
        elif out and not was_hyphen and ch.isspace():
            pending = True
    result = "".join(out)
    return result.lower() if lower else result


def zola_slug(text: str) -> str:
    """Zola's `slugify.paths = "on"` (the slug crate): ASCII, lower case, runs of anything else one `-`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def jekyll_slug(text: str, mode: str = "default", cased: bool = False) -> str:
    """Jekyll's Utils.slugify: `default` keeps letters and digits, `pretty` also `._~!$&'()+,;=@`."""
    keep = r"[^\w._~!$&'()+,;=@]+" if mode == "pretty" else r"[^\w]+"
    slug = re.sub(keep, "-", text).replace("_", "-" if mode != "pretty" else "_").strip("-")
    return slug if cased else slug.lower()


# --- permalinks ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Permalinks:
    canonical: str | None             # the post's address on the blog (site-relative), if known
    others: tuple[str, ...] = ()      # aliases, redirects, the file's own path


def permalinks(post: Post, site: Site) -> Permalinks:
    """Every site-relative URL the blog serves `post` at, its canonical one first."""
    rel = relative(site.root, post.path) if _inside(site.root, post.path) else post.rel
    try:
        canonical, extra = _RULES[site.engine](post, rel, site)
    except (ValueError, TypeError, KeyError):
        canonical, extra = None, []
    canonical = _clean(canonical) if canonical else None
    others = [_clean(urljoin(canonical or "/", a) if not a.startswith("/") else a) for a in extra if a]
    return Permalinks(canonical, tuple(dict.fromkeys(o for o in others if o and o != canonical)))


def _inside(root: Path, path: Path) -> bool:
    return path == root or root in path.parents


def _clean(path: str) -> str:
    path = "/" + path.strip().lstrip("/")
    return re.sub(r"/{2,}", "/", path)


def _date_fields(when: datetime | None) -> dict[str, str]:
    if when is None:
        return {}
    iso = when.isocalendar()
    return {"year": f"{when:%Y}", "month": f"{when:%m}", "day": f"{when:%d}", "i_month": str(when.month),
            "i_day": str(when.day), "short_year": f"{when:%y}", "hour": f"{when:%H}", "minute": f"{when:%M}",
            "second": f"{when:%S}", "y_day": f"{when:%j}", "yearday": str(int(f"{when:%j}")),
            "week": f"{iso[1]:02d}", "short_day": f"{when:%a}", "long_day": f"{when:%A}",
            "monthname": f"{when:%B}", "weekday": str(when.isoweekday() % 7), "weekdayname": f"{when:%A}",
            "short_month": f"{when:%b}", "long_month": f"{when:%B}"}


def fill(pattern: str, fields: dict[str, str | None]) -> str:
    """`pattern` with its `:name` placeholders filled; ValueError when one it needs has no value
    (an undated post in a dated pattern), so no URL is guessed."""
    def one(m: re.Match) -> str:
        name = m[1]
        # `:title:output_ext`: the longest known name wins (`:y_day` before `:y`)
        while name and name not in fields:
            name = name[:-1]
        if not name:
            return m[0]
        value = fields[name]
        if value is None:
            raise ValueError(f"no value for :{name}")
        return value + m[1][len(name):]
    return _PLACEHOLDER.sub(one, pattern)


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float))]
    return []


# Jekyll ---------------------------------------------------------------------------------------------

def _jekyll(post: Post, rel: str, site: Site) -> tuple[str | None, list[str]]:
    c, meta = site.config, post.meta
    extra = _list(meta.get("redirect_from"))
    parts = PurePosixPath(rel).parts
    stem = PurePosixPath(rel).stem
    collections_dir = str(c.get("collections_dir") or "").strip("/")
    inner = parts[len(PurePosixPath(collections_dir).parts):] if collections_dir and rel.startswith(collections_dir + "/") else parts
    own = _text(meta.get("permalink")) if isinstance(meta.get("permalink"), str) else None
    if "_posts" in inner or site.engine == "plain":
        if site.engine == "plain":   # the folders under the posts folder play Jekyll's categories
            folder = PurePosixPath(rel).parent
            base = PurePosixPath(site.posts_folder or ".")
            above = [p for p in (folder.relative_to(base) if folder.is_relative_to(base) else folder).parts if p != "."]
        else:
            above = list(inner[:inner.index("_posts")])
        name = _JEKYLL_DATE.sub("", stem)
        cats = [*above]
        front = meta.get("categories")
        cats += front.split() if isinstance(front, str) else _list(front)
        cats += _list(meta.get("category"))
        categories = "/".join(dict.fromkeys(str(x).lower() for x in cats))
        slug_source = str(meta.get("slug") or name)
        fields: dict[str, str | None] = {
            **{k: None for k in ("year", "month", "day", "i_month", "i_day", "short_year", "y_day", "week", "short_day")},
            **_date_fields(post.date),
            "title": jekyll_slug(slug_source, "pretty", cased=True), "slug": jekyll_slug(slug_source),
            "categories": categories, "output_ext": ".html", "name": jekyll_slug(stem),
        }
        style = site.permalink or (None if site.engine == "plain" else _defaults_permalink(c, rel, "posts")) \
            or (None if site.engine == "plain" else c.get("permalink") or "date")
        if own:
            return fill(own, fields), extra
        if style is None:
            return None, extra
        pattern = JEKYLL_STYLES.get(str(style), str(style))
        if not pattern.endswith(("/", ":output_ext")) and not re.search(r"\.\w+$", pattern):
            pattern += ":output_ext"   # Jekyll adds the extension to patterns without a trailing slash
        return fill(pattern, fields), extra
    collections = c.get("collections") if isinstance(c.get("collections"), dict) else {}
    top = inner[0] if inner else ""
    if top.startswith("_") and top[1:] in collections:
        name = top[1:]
        options = collections[name] if isinstance(collections[name], dict) else {}
        path = "/".join(inner[1:])
        path = path[: -len(PurePosixPath(path).suffix)] if PurePosixPath(path).suffix else path
        fields = {**_date_fields(post.date), "collection": name, "path": path, "name": jekyll_slug(stem),
                  "title": jekyll_slug(str(meta.get("slug") or stem), "pretty", cased=True),
                  "slug": jekyll_slug(str(meta.get("slug") or stem)), "output_ext": ".html", "categories": ""}
        if own:
            return fill(own, fields), extra
        if not options.get("output"):
            return None, extra
        pattern = _defaults_permalink(c, rel, name) or options.get("permalink") or "/:collection/:path:output_ext"
        pattern = JEKYLL_STYLES.get(str(pattern), str(pattern))
        return fill(pattern, fields), extra
    if top.startswith("_"):
        return None, extra     # drafts, includes: not served
    if own:
        return own, extra
    page = rel[: -len(PurePosixPath(rel).suffix)] if PurePosixPath(rel).suffix else rel
    if page == "index" or page.endswith("/index"):
        return page[: -len("index")] or "/", extra
    return page + (".html" if not str(c.get("permalink", "")).endswith("/") else "/"), extra


def _defaults_permalink(c: dict, rel: str, kind: str) -> str | None:
    """`defaults: [{scope: {path, type}, values: {permalink}}]` of _config.yml (the last match wins)."""
    found = None
    for item in c.get("defaults") or []:
        if not isinstance(item, dict) or not isinstance(item.get("values"), dict):
            continue
        scope = item.get("scope") if isinstance(item.get("scope"), dict) else {}
        path, kind_ = str(scope.get("path") or ""), scope.get("type")
        if (not path or rel == path or rel.startswith(path.rstrip("/") + "/")) and (kind_ in (None, kind)):
            found = item["values"].get("permalink") or found
    return found


# Hugo -----------------------------------------------------------------------------------------------

def _hugo(post: Post, rel: str, site: Site) -> tuple[str | None, list[str]]:
    c, meta = site.config, post.meta
    content = str(c.get("contentDir") or "content").strip("/")
    lower = not c.get("disablePathToLower")
    path = PurePosixPath(rel)
    inner = path.relative_to(content) if rel.startswith(content + "/") else path
    bundle = inner.stem == "index"
    folder = inner.parent.parent if bundle else inner.parent
    filename = inner.parent.name if bundle else inner.stem
    sections = [p for p in folder.parts if p != "."]
    section = sections[0] if sections else ""
    title = str(post.meta.get("title") or post.title)
    slug = _text(meta.get("slug")) if isinstance(meta.get("slug"), str) else None
    fields: dict[str, str | None] = {
        **{k: None for k in ("year", "month", "day", "monthname", "yearday", "weekday", "weekdayname")},
        **_date_fields(post.date),
        "title": urlize(title), "slug": urlize(slug, lower=False) if slug else urlize(title),
        "slugorfilename": urlize(slug, lower=False) if slug else filename, "filename": filename,
        "contentbasename": filename, "section": section, "sections": "/".join(sections),
    }
    extra = _list(meta.get("aliases"))
    url = _text(meta.get("url")) if isinstance(meta.get("url"), str) else None
    if url:
        return (url.lower() if lower else url), extra
    pattern = site.permalink or _hugo_pattern(c.get("permalinks"), sections)
    ugly = bool(c.get("uglyURLs"))
    if pattern:
        out = fill(pattern, fields)
    else:
        last = urlize(slug, lower=False) if slug else filename
        out = "/" + "/".join([*sections, last]) + (".html" if ugly else "/")
    return (out.lower() if lower else out), extra


def _hugo_pattern(table, sections: list[str]) -> str | None:
    if not isinstance(table, dict) or not sections:
        return None
    if isinstance(table.get("page"), dict):   # Hugo ≥ 0.120: [permalinks.page]
        table = table["page"]
    for n in range(len(sections), 0, -1):
        key = "/".join(sections[:n])
        for spelling in (key, "/" + key, key + "/"):
            if isinstance(table.get(spelling), str):
                return table[spelling]
    return None


# Zola -----------------------------------------------------------------------------------------------

def _zola(post: Post, rel: str, site: Site) -> tuple[str | None, list[str]]:
    meta = post.meta
    path = PurePosixPath(rel)
    inner = path.relative_to("content") if rel.startswith("content/") else path
    extra = _list(meta.get("aliases"))
    if inner.name == "_index.md":
        return None, extra
    given = _text(meta.get("path")) if isinstance(meta.get("path"), str) else None
    if given:
        return "/" + given.strip("/") + ("/" if not given.endswith(".html") else ""), extra
    bundle = inner.stem == "index"
    folder = inner.parent.parent if bundle else inner.parent
    name = inner.parent.name if bundle else inner.stem
    slugify = ((site.config.get("slugify") or {}) if isinstance(site.config.get("slugify"), dict) else {}).get("paths", "on")
    raw = str(meta.get("slug") or _ZOLA_DATE.sub("", name))
    slug = zola_slug(raw) if slugify == "on" else raw
    sections = [p for p in folder.parts if p != "."]
    return "/" + "/".join([*sections, slug]) + "/", extra


# Eleventy -------------------------------------------------------------------------------------------

def _eleventy(post: Post, rel: str, site: Site) -> tuple[str | None, list[str]]:
    own = post.meta.get("permalink")
    if own is False:
        return None, []
    if isinstance(own, str):
        if "{{" in own or "{%" in own:
            return None, []    # a template: its value is only known to Eleventy
        return own, []
    source = _eleventy_input(site)
    path = PurePosixPath(rel)
    if source and rel.startswith(source + "/"):
        path = path.relative_to(source)
    stem = str(path.with_suffix(""))
    if path.stem == "index":
        stem = str(path.parent) if str(path.parent) != "." else ""
    return "/" + stem + ("/" if stem else ""), []


def _eleventy_input(site: Site) -> str | None:
    for name in ELEVENTY_MARKERS:
        text = _read_text(site.root, name)
        found = re.search(r"""\binput\s*:\s*["']([^"']+)["']""", text)
        if found:
            return found[1].strip("./").strip("/") or None
    return None


def _plain(post: Post, rel: str, site: Site) -> tuple[str | None, list[str]]:
    extra = _list(post.meta.get("aliases")) + _list(post.meta.get("redirect_from"))
    own = post.meta.get("permalink") if isinstance(post.meta.get("permalink"), str) else None
    if own and "{{" not in own:
        return own, extra
    if site.permalink:
        return _jekyll(post, rel, site)[0], extra
    return None, extra


_RULES = {"jekyll": _jekyll, "hugo": _hugo, "zola": _zola, "eleventy": _eleventy, "plain": _plain}


def site_path(url_path: str) -> str:
    """A URL path as compared with permalinks: unquoted, one leading slash."""
    return _clean(unquote(url_path))


