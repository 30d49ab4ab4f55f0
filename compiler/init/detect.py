"""What a blog folder holds, for `chapbook init`: which engine built it, where its posts are, their
tags and categories (the series a book can be made of), and what the site config says about the
site (title, URL, language, author).

Everything is read inside the blog folder only (resolved paths, links not followed), and nothing
here raises on a bad post or config: such files are skipped and listed as `Skipped`.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from compiler.load import yamlsafe
from compiler.load.siteconfig import parse_config
from compiler.support.paths import OutsideBook, confine, relative
from compiler.load.sources import Post, load_post

# Config files by engine, first found wins (Hugo reads hugo.* before the older config.*).
CONFIGS = {
    "hugo": ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml",
             "config.json", "config/_default/hugo.toml", "config/_default/config.toml"),
    "hexo": ("_config.yml",),
    "jekyll": ("_config.yml", "_config.yaml", "_config.toml"),
    "eleventy": ("_data/metadata.json", "src/_data/metadata.json", "content/_data/metadata.json"),
}
# Where each engine keeps its posts, most specific first.
POST_FOLDERS = {
    "hugo": ("content/posts", "content/post", "content/blog", "content/articles", "content"),
    "hexo": ("source/_posts",),
    "jekyll": ("_posts",),
    "eleventy": ("content/blog", "src/posts", "src/blog", "posts", "blog"),
    "plain": (),
}
ELEVENTY_MARKERS = (".eleventy.js", ".eleventy.cjs", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs")
# Folders that never hold posts: build output, dependencies, engine internals.
SKIP_DIRS = {"node_modules", "_site", "public", "resources", "dist", "vendor", "themes", "layouts", "static",
             "assets", "_includes", "_layouts", "_data", "_drafts", "_sass", "scaffolds", "archetypes"}
PLACEHOLDER_HOSTS = ("example.com", "example.org", "example.net", "localhost")


@dataclass(frozen=True)
class SiteConfig:
    file: str | None          # relative path of the config read, if any
    title: str | None = None
    url: str | None = None
    language: str | None = None
    author: str | None = None
    description: str | None = None
    rights: str | None = None


@dataclass(frozen=True)
class Skipped:
    rel: str
    why: str


@dataclass(frozen=True)
class Series:
    """A tag or category (or all posts) and the posts carrying it."""
    kind: str                  # all | tag | category
    name: str
    posts: tuple[Post, ...]

    @property
    def dates(self) -> tuple[datetime | None, datetime | None]:
        found = sorted(p.date.replace(tzinfo=None) for p in self.posts if p.date)
        return (found[0], found[-1]) if found else (None, None)


@dataclass(frozen=True)
class Blog:
    root: Path                 # resolved blog folder
    engine: str                # hugo | jekyll | hexo | eleventy | plain
    folder: Path               # resolved folder holding the posts
    posts: tuple[Post, ...]    # rel: relative to root
    skipped: tuple[Skipped, ...]
    site: SiteConfig

    def series(self) -> list[Series]:
        """All posts, then every tag and category, largest first (names compared without case)."""
        found = [Series("all", "(all posts)", self.posts)]
        for kind, key in (("tag", "tags"), ("category", "categories")):
            groups: dict[str, list[Post]] = {}
            spelling: dict[str, str] = {}
            for post in self.posts:
                for name in dict.fromkeys(_names(post.meta.get(key))):
                    groups.setdefault(name.casefold(), []).append(post)
                    spelling.setdefault(name.casefold(), name)
            found += sorted((Series(kind, spelling[k], tuple(v)) for k, v in groups.items()),
                            key=lambda s: (-len(s.posts), s.name.casefold()))
        return found


def scan(root: Path) -> Blog:
    """Find the engine, the posts folder, the posts and the site config of the blog in `root`."""
    root = Path(os.path.realpath(root))
    engine = detect_engine(root)
    site = read_config(root, engine)
    for name in POST_FOLDERS[engine]:
        folder = root / name
        if folder.is_dir() and not folder.is_symlink():
            posts, skipped = load_posts(root, folder)
            if posts:
                return Blog(root, engine, folder, posts, skipped, site)
    posts, skipped = load_posts(root, root)
    folder = common_folder(root, posts)
    return Blog(root, engine, folder, posts, skipped, site)


def detect_engine(root: Path) -> str:
    if (root / "source/_posts").is_dir():
        return "hexo"
    if (root / "content").is_dir() and any((root / name).is_file() for name in CONFIGS["hugo"]):
        return "hugo"
    if (root / "_posts").is_dir() or (root / "_config.yml").is_file():
        return "jekyll"
    if any((root / name).is_file() for name in ELEVENTY_MARKERS):
        return "eleventy"
    return "plain"


def load_posts(root: Path, folder: Path) -> tuple[tuple[Post, ...], tuple[Skipped, ...]]:
    """Markdown files under `folder` that are posts (readable front matter with a title); the others
    are returned as skipped, with the reason."""
    posts, skipped = [], []
    for path in _markdown_files(folder):
        rel = relative(root, path)
        try:
            real = confine(root, path)
        except OutsideBook:
            skipped.append(Skipped(rel, "links outside the blog folder"))
            continue
        post = load_post(real, rel)
        why = _not_a_post(post)
        if why:
            skipped.append(Skipped(rel, why))
        else:
            posts.append(post)
    return tuple(posts), tuple(skipped)


def _markdown_files(folder: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        found += [Path(dirpath) / f for f in sorted(filenames)
                  if f.lower().endswith((".md", ".markdown")) and not f.startswith(".")]
    return found


def _not_a_post(post: Post) -> str | None:
    if post.path.name == "_index.md":
        return "a Hugo section page (_index.md), not a post"
    broken = [d for d in post.diagnostics if d.code in ("CB100", "CB113")]
    if broken:
        return broken[0].message
    if not post.meta:
        return "no front matter"
    if any(d.code == "CB103" for d in post.diagnostics):
        return "no title in the front matter"
    return None


def common_folder(root: Path, posts: tuple[Post, ...]) -> Path:
    """The deepest folder holding every post (the blog folder itself when there are none)."""
    if not posts:
        return root
    parents = [PurePosixPath(p.rel).parent.parts for p in posts]
    common = []
    for parts in zip(*parents):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return root.joinpath(*common)


def exclusions(book_root: Path, folder: Path, skipped: tuple[Skipped, ...], blog_root: Path) -> list[str]:
    """`series.exclude` patterns (relative to the manifest's folder) for the skipped files under `folder`."""
    patterns = []
    for item in skipped:
        path = blog_root / item.rel
        if folder != path and folder not in path.parents:
            continue
        rel = relative(book_root, path)
        patterns.append("_index.md" if path.name == "_index.md" else glob.escape(rel))
    return list(dict.fromkeys(patterns))


# --- site config -----------------------------------------------------------------------------------

def read_config(root: Path, engine: str) -> SiteConfig:
    """The engine's site config (the first that exists); an unreadable one gives an empty SiteConfig."""
    for name in CONFIGS.get(engine, ()):
        if not (root / name).is_file():
            continue
        try:
            data = parse_config(confine(root, name))
        except (OSError, OutsideBook, ValueError, UnicodeDecodeError, yamlsafe.YamlSyntaxError):
            data = None
        return _site_values(data, name, engine) if isinstance(data, dict) else SiteConfig(None)
    return SiteConfig(None)


def _site_values(data: dict, name: str, engine: str) -> SiteConfig:
    """The values Chapbook can use, from Hugo, Jekyll, Hexo or Eleventy spellings."""
    params = data.get("params") if isinstance(data.get("params"), dict) else {}
    if engine == "hugo":
        url = _text(data.get("baseURL") or data.get("baseurl") or data.get("base_url"))   # Zola: base_url
    else:   # Jekyll: url + baseurl; Hexo and Eleventy: url
        url = _text(data.get("url"))
        if url and _text(data.get("baseurl")):
            url = url.rstrip("/") + "/" + data["baseurl"].strip().strip("/")
    language = data.get("languageCode") or data.get("defaultContentLanguage") or data.get("lang") or data.get("language")
    if isinstance(language, list):
        language = language[0] if language else None
    return SiteConfig(
        file=name, title=_text(data.get("title")), url=url, language=_text(language),
        author=_person(params.get("author") or data.get("author")),
        description=_text(params.get("description") or data.get("description")),
        rights=_text(data.get("copyright")),
    )


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _person(value) -> str | None:
    """An author given as a string, a {name: …} mapping, or a list of either (the first)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return _text(value)


def _names(value) -> list[str]:
    """Tags or categories as front matter spells them: a list, or a comma-separated string."""
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list):
        return [str(t).strip() for t in value if isinstance(t, (str, int, float)) and str(t).strip()]
    return []


def post_authors(post: Post) -> list[str]:
    """Authors named by a post: `author` or `authors`, as strings, lists or {name: …} mappings."""
    found = []
    for key in ("author", "authors"):
        value = post.meta.get(key)
        for item in value if isinstance(value, list) else [value]:
            name = _person(item)
            if name:
                found.append(name)
    return found


def is_placeholder_url(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":")[0].lower()
    return host in PLACEHOLDER_HOSTS or host.endswith((".example.com", ".example.org"))
