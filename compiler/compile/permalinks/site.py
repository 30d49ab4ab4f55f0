"""The blog behind the book: its engine, its config file, its authors (compiler.compile.permalinks)."""


from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from compiler.load import yamlsafe
from compiler.load.siteconfig import parse_config
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
            data = parse_config(path)
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
        return parse_config(path) if path.is_file() else None
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


