"""Where the blog serves each post: its URLs, by the blog engine's own rules and its site config.

A link between posts is written as the blog's URL of the other post (`/2023/01/30/slug.html`,
`https://blog.example/posts/my-title/`, `../my-title/`). To turn it into an in-book link, Chapbook
computes, for each post, every URL the blog serves it at:

- Jekyll: `permalink` in `_config.yml` (the styles `date`, `pretty`, `ordinal`, `weekdate`, `none`
  or a pattern with `:categories`, `:year`, `:month`, `:day`, `:title`, `:slug`, …), categories from
  the front matter and from the folders above `_posts`, collections (`/:collection/:path/`),
  front-matter `permalink` and `redirect_from`;
- Hugo: `[permalinks]` per section (`:year`, `:month`, `:day`, `:slug`, `:title`, `:filename`,
  `:section`, `:sections`, …), `slug`, `url`, slugs made from titles with Hugo's `urlize`,
  `aliases`, `uglyURLs`, `disablePathToLower`;
- Zola: `/<section>/<slug>/` (the slug from `slug` or the file name without its date), `path`,
  `aliases`;
- Eleventy: front-matter `permalink` (plain strings), else the file's path;
- any blog: the `site.permalink` pattern of book.yml, when given.

The first URL is the post's canonical address ("Read the original post"); None when no rule gives
one (a blog with no known engine and no `site.permalink`). All paths are site-relative (`/…`),
without the site's own base path.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin

from compiler.compile.transforms.anchors import heading_aliases, written_ids
from compiler.compile.transforms.links import Routes, on_site
from compiler.load import yamlsafe
from compiler.load.sources import Post
from compiler.model.diagnostics import Diagnostic, Severity, diag
from compiler.support.paths import OutsideBook, confine, relative

ENGINES = ("jekyll", "hugo", "zola", "eleventy", "plain")
HUGO_CONFIGS = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml",
                "config.json", "config/_default/hugo.toml", "config/_default/config.toml")
ZOLA_CONFIGS = ("zola.toml", "config.toml")
JEKYLL_CONFIGS = ("_config.yml", "_config.yaml", "_config.toml")
ELEVENTY_MARKERS = (".eleventy.js", ".eleventy.cjs", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs")
JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_PLACEHOLDER = re.compile(r":([a-z_]+)")
_ZOLA_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?[_-]")
_JEKYLL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}-")


@dataclass(frozen=True)
class Site:
    """The blog the book is made from: its engine, its config, and its people."""
    engine: str                       # jekyll | hugo | zola | eleventy | plain
    root: Path                        # the book folder (resolved)
    config: dict = field(default_factory=dict)
    config_file: str | None = None    # relative to the book folder
    permalink: str | None = None      # book.yml `site.permalink`: overrides the engine's rule for posts
    posts_folder: str = ""            # relative folder the posts come from (plain blogs: :categories)
    authors: dict = field(default_factory=dict)   # key -> display name, from the site's data files

    @property
    def url(self) -> str | None:
        """The site's URL as its config gives it (`url` + `baseurl`, `baseURL`, `base_url`)."""
        c = self.config
        if self.engine == "hugo":
            url = _text(c.get("baseURL") or c.get("baseurl"))
        elif self.engine == "zola":
            url = _text(c.get("base_url"))
        else:
            url = _text(c.get("url"))
            if url and _text(c.get("baseurl")):
                url = url.rstrip("/") + "/" + c["baseurl"].strip().strip("/")
        if not url or not re.match(r"^https?://[^/\s]+", url):
            return None
        return url.rstrip("/") + "/"


# --- finding the site ------------------------------------------------------------------------------

def load_site(root: Path, engine: str = "auto", config: str | None = None, permalink: str | None = None,
              posts_folder: str = "", where: tuple[str, int | None] = ("book.yml", None)) -> tuple[Site, list[Diagnostic]]:
    """The site in the book folder `root`: the engine (detected unless given) and its config.

    A config that cannot be read is a warning (CB131), and the engine's defaults are used."""
    problems: list[Diagnostic] = []
    if engine == "auto":
        engine, found = detect(root)
        config = config or found
    elif config is None:
        config = _first_config(root, engine)
    data: dict = {}
    if config:
        try:
            path = confine(root, config)
            data = _parse(path)
            if not isinstance(data, dict):
                raise ValueError("not a mapping of keys")
        except OutsideBook:
            problems.append(diag("CB131", where[0], where[1], f"site config {config} is outside the book folder: "
                                 "not read; the engine's default permalinks are used", Severity.WARNING))
            data, config = {}, None
        except (OSError, ValueError, UnicodeDecodeError, yamlsafe.YamlSyntaxError) as exc:
            problems.append(diag("CB131", config, None, f"site config cannot be read ({_reason(exc)}): the engine's "
                                 "default permalinks are used", Severity.WARNING))
            data = {}
    site = Site(engine, root, data, config, permalink, posts_folder.strip("/"))
    return _with_authors(site), problems


def detect(root: Path) -> tuple[str, str | None]:
    """The engine that built the blog in `root`, and its config file (relative), if any."""
    for name in ZOLA_CONFIGS:
        if (root / name).is_file() and _is_zola(_read_text(root, name)):
            return "zola", name
    if (root / "content").is_dir():
        found = _first_config(root, "hugo")
        if found:
            return "hugo", found
    if (root / "_posts").is_dir() or any((root / n).is_file() for n in JEKYLL_CONFIGS):
        return "jekyll", _first_config(root, "jekyll")
    if any((root / n).is_file() for n in ELEVENTY_MARKERS):
        return "eleventy", None
    return "plain", None


def _first_config(root: Path, engine: str) -> str | None:
    names = {"hugo": HUGO_CONFIGS, "zola": ZOLA_CONFIGS, "jekyll": JEKYLL_CONFIGS}.get(engine, ())
    return next((n for n in names if (root / n).is_file()), None)


def _read_text(root: Path, name: str) -> str:
    """A file of the book folder as text ("" when it is missing, unreadable or outside the folder)."""
    try:
        path = confine(root, name)
        return path.read_text(encoding="utf-8-sig", errors="replace") if path.is_file() else ""
    except (OutsideBook, OSError):
        return ""


def _is_zola(text: str) -> bool:
    return re.search(r"^\s*base_url\s*=", text, re.MULTILINE) is not None


def _parse(path: Path):
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".json":
        return json.loads(text)
    return yamlsafe.load(text).data


def _reason(exc: Exception) -> str:
    if isinstance(exc, yamlsafe.YamlSyntaxError):
        return f"line {exc.line}: {exc.message}" if exc.line else exc.message
    return getattr(exc, "strerror", None) or str(exc).split("\n")[0]


def _with_authors(site: Site) -> Site:
    """Author keys of the site's data files (`_data/authors.yml`, Hugo `data/authors.*` or
    `data/authors/<key>.*`) mapped to their names."""
    found: dict[str, str] = {}
    candidates = [f"{d}/authors.{ext}" for d in ("_data", "data") for ext in ("yml", "yaml", "json", "toml")]
    for name in candidates:
        table = _read_data(site.root, name)
        if isinstance(table, dict):
            for key, value in table.items():
                person = _person(value)
                if person:
                    found.setdefault(str(key), person)
        elif isinstance(table, list):   # a list of {key/id, name}
            for value in table:
                if isinstance(value, dict) and _person(value):
                    key = value.get("key") or value.get("id") or value.get("username")
                    if key:
                        found.setdefault(str(key), _person(value))
    folder = site.root / "data" / "authors"
    if folder.is_dir() and not folder.is_symlink():
        for path in sorted(folder.iterdir()):
            if path.suffix in (".yml", ".yaml", ".json", ".toml"):
                person = _person(_read_data(site.root, relative(site.root, path)))
                if person:
                    found.setdefault(path.stem, person)
    return Site(site.engine, site.root, site.config, site.config_file, site.permalink, site.posts_folder, found) \
        if found else site


def _read_data(root: Path, name: str):
    try:
        path = confine(root, name)
        return _parse(path) if path.is_file() else None
    except (OutsideBook, OSError, ValueError, UnicodeDecodeError, yamlsafe.YamlSyntaxError):
        return None


def _person(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("display_name") or value.get("title")
    return _text(value)


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# --- bylines ---------------------------------------------------------------------------------------

def post_authors(post: Post, site: Site | None = None) -> tuple[str, ...]:
    """The post's `author`/`authors`: strings, lists, {name: …} mappings, or keys into the site's
    author data (Jekyll `_data/authors.yml`, Hugo `data/authors`)."""
    names: list[str] = []
    for key in ("author", "authors"):
        value = post.meta.get(key)
        for item in value if isinstance(value, list) else [value]:
            name = _person(item) if isinstance(item, (str, dict)) else None
            if name and site is not None and name in site.authors:
                name = site.authors[name]
            if name:
                names.append(name)
    return tuple(dict.fromkeys(names))


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


# --- the book's routes -----------------------------------------------------------------------------

def book_routes(loaded, drafts: list, problems: list[Diagnostic]):
    """The routes of every chapter (its permalinks, file path, slugs, anchors), and for each draft its
    address on the blog (`original`) and its byline. Drafts are updated in place."""
    m, root = loaded.manifest, loaded.root
    options = m.site
    site, found = load_site(root, options.engine if options else "auto", options.config if options else None,
                            options.permalink if options else None, m.series.from_ if m.series else "",
                            (loaded.name, loaded.line("site")))
    problems += found
    routes = Routes(suspects=None if m.site_url else {})
    book_authors = {a.casefold() for a in m.authors}
    unknown = 0
    for d in drafts:
        post = d.entry.post
        links = permalinks(post, site)
        d.idmap = heading_aliases(d.headings, {**written_ids(d.blocks, d.slug), **d.idmap})
        strong = [*filter(None, [links.canonical]), *links.others, post.rel,
                  relative(root, post.path.parent) + "/" + post.slug, *post.aliases]
        title = str(post.meta.get("title") or post.title)
        words = (post.slug, _JEKYLL_DATE.sub("", post.slug), urlize(title), zola_slug(post.slug), jekyll_slug(post.slug))
        routes.add(d.slug, strong, d.idmap, weak=(d.slug, post.slug), words=words, date=post.date, label=post.rel)
        if links.canonical:
            routes.pages[d.slug] = links.canonical
            d.original = on_site(m.site_url, links.canonical) if m.site_url else None
        elif d.entry.kind == "chapter":
            unknown += 1
        if m.bylines:
            names = post_authors(post, site)
            d.byline = names if {n.casefold() for n in names} - book_authors else ()
    if m.site_url and unknown and "post_url" not in (m.outputs.get("html") or {}):
        problems.append(diag("CB129", loaded.name, loaded.line("site_url"), f"{unknown} post(s) have no known address "
                             f"on the blog (engine: {site.engine}, no permalink rule applies): their \"Read the "
                             "original post\" link is left out; set site.permalink in the manifest to give the rule",
                             Severity.INFO))
    return routes


def suspects_report(loaded, routes) -> list[Diagnostic]:
    """Without site_url: the site that the book's absolute links to its own posts point at."""
    if not routes.suspects:
        return []
    site, count = max(routes.suspects.items(), key=lambda kv: (kv[1], kv[0]))
    return [diag("CB130", loaded.name, loaded.line("title"), f"{count} link(s) look like posts of this book on {site}: "
                 f"set site_url: {site} to make them links inside the book", Severity.WARNING)]
