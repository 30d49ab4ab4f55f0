"""Single mode: the whole book in one self-contained file, `<slug>.html`, for emailing or printing.

The stylesheet, the script and the search index are inlined (the scripts are allowed by hash in
the Content-Security-Policy), images and the cover become `data:` URIs, and in-book links stay
`#id`. The other formats of this run are copied beside it, as in site mode.
"""

from __future__ import annotations

from pathlib import Path

from compiler.backends import BuildContext
from compiler.backends.html import files, search, urls
from compiler.backends.html.fragments import PageContext
from compiler.backends.html.options import HtmlOptions
from compiler.backends.html.plan import make_plan, toc_window
from compiler.backends.html.views import (Assets, Head, Nav, chapter_view, csp, environment, inline, locale, page_ids,
                                          stylesheet)
from compiler.model.book import Book


def write_single(book: Book, options: HtmlOptions, ctx: BuildContext, folder: Path) -> Path:
    plan = make_plan(book, "single")
    env = environment(ctx.theme, book.meta.language)
    name = f"{book.meta.slug}.html"
    images = {href: files.data_uri(href, data) for href, data in files.publishable(files.book_images(book, ctx), ctx)}
    cover_file = files.cover_image(book, ctx)
    cover = files.data_uri(cover_file[0].name, cover_file[1]) if cover_file else None
    downloads = files.copy_downloads(ctx, folder, {name.casefold()}, book.meta.slug)
    js = inline(ctx.theme.read("html/book.js"))
    index = inline(search.to_script(search.index_data(plan))) if options.search else None
    assets = Assets(csp=csp(book.network, [str(s) for s in (js, index) if s is not None]), search=options.search,
                    css_inline=inline(stylesheet(ctx.theme)), js_inline=js, index_inline=index)

    ids = page_ids() | set(plan.chapter_slugs) | {g.slug for g in plan.groups if g.slug}
    part_of = {e.slug: g.title for g in plan.groups for e in g.entries if g.title}
    first_of_part = {g.entries[0].slug: g for g in plan.groups if g.title and g.entries}
    chapters = []
    for i, chapter in enumerate(plan.chapters):
        page = PageContext(plan, "", chapter, urls.original_url(book, chapter, options), images, book.network)
        _, nxt = plan.neighbours(i)
        chapters.append(chapter_view(page, ids, part_of.get(chapter.slug), ctx, book.meta.language, next=nxt,
                                     part_start=first_of_part.get(chapter.slug)))

    groups, before, after = toc_window(plan, None, len(plan.entries) or 1)
    nav = Nav("#cb-top", "#cb-contents", groups, before, after, None, (), None, None, None)
    head = Head(book.meta.title, book.meta.title, book.meta.description, urls.base_url(book, options), "book",
                urls.base_url(book, options), None, locale(book.meta.language))
    page_html = env.get_template("single.html.j2").render(
        book=book, mode="single", assets=assets, downloads=downloads, cover=cover, head=head, nav=nav,
        all_groups=plan.groups, chapters=chapters)
    target = folder / name
    target.write_text(page_html, encoding="utf-8")
    return target
