"""Where things live on the web: each post on the original blog, and this folder once published.

The rule for a post (documented in docs/html.md): its permalink, as the blog engine makes it
(compiler/compile/permalinks/: `chapter.url`), or, when the manifest gives one, `site_url` joined
with `outputs.html.post_url`, whose placeholders are the chapter's slug and its date (a Jekyll blog:
`{yyyy}/{mm}/{dd}/{slug}.html`). No URL is guessed: a post whose address is not known has no
original link. Without `site_url` there is no original link, no canonical URL and no sitemap.
"""

from __future__ import annotations

from urllib.parse import urljoin
from xml.sax.saxutils import escape

from compiler.support.urls import encode_url
from compiler.backends.html.options import HtmlOptions
from compiler.backends.html.plan import INDEX, Plan
from compiler.model.book import Book, Chapter


def original_url(book: Book, chapter: Chapter, options: HtmlOptions) -> str | None:
    """The post's own page on the blog, or None (no site_url, or the rule needs a date it lacks)."""
    if not book.meta.site_url:
        return None
    if options.post_url is None:
        return encode_url(chapter.url) if chapter.url else None
    d = chapter.date
    fields = {"slug": chapter.slug, "yyyy": f"{d:%Y}" if d else None, "mm": f"{d:%m}" if d else None,
              "dd": f"{d:%d}" if d else None}
    try:
        path = options.post_url.format_map(_Strict(fields))
    except KeyError:
        return None
    return encode_url(urljoin(book.meta.site_url, path))


class _Strict(dict):
    """Placeholders whose value is None (a date of an undated post) make the rule fail."""
    def __getitem__(self, key):
        value = super().__getitem__(key)
        if value is None:
            raise KeyError(key)
        return value


def base_url(book: Book, options: HtmlOptions) -> str | None:
    """Where the folder is published: the option, else `site_url` + the book's slug + `/`."""
    if options.base_url:
        return options.base_url
    if book.meta.site_url:
        return urljoin(book.meta.site_url, book.meta.slug + "/")
    return None


def sitemap(plan: Plan, base: str, book_date: str | None) -> str:
    """sitemap.xml for the site's pages (index first, then chapters in reading order)."""
    rows = [(base, book_date)] + [(base + e.file, e.date or book_date) for e in plan.entries]
    urls = "".join(
        f"  <url><loc>{escape(loc)}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</url>\n" for loc, mod in rows)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n")


def page_url(base: str | None, file: str) -> str | None:
    if base is None:
        return None
    return base if file == INDEX else base + file
