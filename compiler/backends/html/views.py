"""What the templates receive: small frozen views of one page, built from the plan.

Templates are autoescaped; the only `Markup` they get is a chapter's HTML (from `chapter.html`,
rewritten by `fragments`) and the theme's own CSS and scripts (or the search index, whose JSON has
`<`, `>` and `&` escaped) when they are inlined in a single-file book.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import jinja2
from markupsafe import Markup

from compiler.backends import BuildContext
from compiler.backends.html.css import with_theme_toggle
from compiler.backends.html.fragments import Findings, PageContext, rewrite
from compiler.backends.html.plan import TocEntry, TocGroup
from compiler.backends.html.search import plain_text
from compiler.model.book import Chapter, byline
from compiler.support.bidi import direction
from compiler.model.diagnostics import diag
from compiler.support.locales import long_date, translator
from compiler.load.theme import Theme, read_theme_text

TEMPLATE_IDS = ("cb-main", "cb-toc", "cb-toc-toggle", "cb-search", "cb-search-input", "cb-search-results",
                "cb-theme-toggle", "cb-top", "cb-contents")
DESCRIPTION_LENGTH = 160


@dataclass(frozen=True)
class Head:
    title: str                  # <title>
    heading: str                # og:title
    description: str | None
    canonical: str | None
    og_type: str
    og_url: str | None
    og_image: str | None
    locale: str


@dataclass(frozen=True)
class Nav:
    home_href: str
    contents_href: str
    groups: tuple[TocGroup, ...]
    before: bool                # chapters left out of a long book's contents, before / after
    after: bool
    current: str | None         # slug of the chapter this page shows
    sections: tuple             # its headings (levels 2-3) for the contents
    prev: TocEntry | None
    prev_href: str | None
    next: TocEntry | None


@dataclass(frozen=True)
class ChapterView:
    slug: str
    title: str
    kind: str
    part: str | None
    date: str | None
    original: str | None
    content: Markup
    next: TocEntry | None = None
    byline: str | None = None
    part_start: TocGroup | None = None
    heading: Markup | None = None        # the title with its formatting (compile/titles.py)
    lang: str | None = None              # the post's own language and direction (support/bidi.py)
    dir: str | None = None


@dataclass(frozen=True)
class Assets:
    csp: str
    search: bool
    css_href: str | None = None
    css_inline: Markup | None = None
    js_href: str | None = None
    js_inline: Markup | None = None
    index_href: str | None = None
    index_inline: Markup | None = None


def environment(theme: Theme, language: str) -> jinja2.Environment:
    env = theme.environment("html")
    env.filters["long_date"] = lambda iso: long_date(iso, language)
    env.globals["t"] = translator(language)
    return env


def stylesheet(theme: Theme) -> str:
    """The shared highlight palette, then the HTML theme and every `html/theme.css` of the chain,
    all obeying the reader's toggle."""
    parts = [theme.read(name) for name in ("common/highlight.css", "html/book.css") if theme.find(name)]
    parts += [read_theme_text(path) for _, path in theme.layers("html/theme.css")]
    return with_theme_toggle("\n".join(parts))


def csp(network: bool, inline_scripts: list[str] | None = None) -> str:
    """Nothing may load from elsewhere: no fonts, scripts, frames or beacons. Images come from the
    folder (or data: URIs); remote images only when the book allows the network. Inline style
    attributes stay allowed (tables' column widths). A single-file book lists its inline scripts
    by hash."""
    images = "'self' data:" + (" https: http:" if network else "")
    if inline_scripts is None:
        scripts = "'self'"
    else:
        scripts = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                           for s in inline_scripts)
    return (f"default-src 'none'; img-src {images}; style-src 'self' 'unsafe-inline'; script-src {scripts}; "
            "base-uri 'none'; form-action 'none'")


def inline(text: str) -> Markup:
    """Theme CSS or a script to put inside <style>/<script>: `</` cannot end the element early."""
    return Markup(text.replace("</", "<\\/"))


def description(chapter: Chapter, fallback: str | None) -> str | None:
    """The post's description, else the opening of its text, cut at a word."""
    if chapter.description:
        return chapter.description
    text = plain_text(chapter.html[:4000])
    if not text:
        return fallback
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    return text[:DESCRIPTION_LENGTH].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def locale(language: str) -> str:
    return language.replace("-", "_")


def chapter_view(page: PageContext, ids: set[str], part: str | None, ctx: BuildContext,
                 language: str = "en", **extra) -> ChapterView:
    """The chapter's view, its HTML rewritten for the page; problems become diagnostics."""
    chapter = page.chapter
    html, found = rewrite(chapter.html, page, ids)
    report(chapter, found, page.original is not None, ctx)
    date_iso = f"{chapter.date:%Y-%m-%d}" if chapter.date else None
    return ChapterView(chapter.slug, chapter.title, chapter.kind, part, date_iso, page.original,
                       Markup(html), byline=byline(chapter, language), **extra,
                       heading=Markup(chapter.title_html) if chapter.title_html else None,
                       lang=chapter.lang, dir=direction(chapter.lang))


def report(chapter: Chapter, found: Findings, has_original: bool, ctx: BuildContext) -> None:
    if found.anchors:
        ctx.diagnostics.append(diag("CB230", chapter.source, None,
                                    f"{_count(found.anchors, 'link')} to {_list(found.anchors, '#')} match no id in the "
                                    "book: kept as text. Fix the anchor or give the target an id"))
    if found.links:
        ctx.diagnostics.append(diag("CB230", chapter.source, None,
                                    f"{_count(found.links, 'relative link')} ({_list(found.links)}) cannot be resolved "
                                    "without site_url: kept as text"))
    if found.images:
        where = "linked to where they were" if has_original else "shown as links or by their alt text"
        ctx.diagnostics.append(diag("CB201", chapter.source, None,
                                    f"{_count(found.images, 'image')} not in the book folder ({_list(found.images)}): "
                                    f"{where}; nothing is fetched from the network"))


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"


def _list(items: list[str], prefix: str = "") -> str:
    shown = ", ".join(prefix + i for i in dict.fromkeys(items[:3]))
    return shown + (", …" if len(items) > 3 else "")


def page_ids() -> set[str]:
    return set(TEMPLATE_IDS)
