"""Site mode: `index.html` (cover, description, contents) and one page per chapter, with the
stylesheet, the script and the search index beside them, the book's images under `assets/`,
the other formats of this run for download, and `sitemap.xml` when the book has a `site_url`."""

from __future__ import annotations

from pathlib import Path

from compiler.backends import BuildContext
from compiler.backends.pieces import Pieces, book_digest, chapter_digest, diagnostics_json, diagnostics_of, theme_digest
from compiler.backends.html import files, search, urls
from compiler.backends.html.fragments import PageContext
from compiler.backends.html.options import HtmlOptions
from compiler.backends.html.plan import INDEX, Plan, make_plan, plan_digest, toc_window
from compiler.backends.html.views import (Assets, Head, Nav, chapter_view, csp, description, environment, locale,
                                          page_ids, stylesheet)
from compiler.model.book import Book

CSS, JS, INDEX_JS, SITEMAP = "book.css", "book.js", "search-index.js", "sitemap.xml"


def write_site(book: Book, options: HtmlOptions, ctx: BuildContext, folder: Path) -> None:
    plan = make_plan(book, "site")
    env = environment(ctx.theme, book.meta.language)
    images = files.copy_images(files.book_images(book, ctx), folder, ctx)
    taken = {n.casefold() for n in (INDEX, CSS, JS, INDEX_JS, SITEMAP, "assets", *(e.file for e in plan.entries))}
    cover = _copy_cover(book, ctx, folder, taken)
    downloads = files.copy_downloads(ctx, folder, taken, book.meta.slug)
    (folder / CSS).write_text(stylesheet(ctx.theme), encoding="utf-8")
    (folder / JS).write_text(ctx.theme.read("html/book.js"), encoding="utf-8")
    if options.search:
        (folder / INDEX_JS).write_text(search.to_script(search.index_data(plan, Pieces(ctx, "html-search"))), encoding="utf-8")
    assets = Assets(csp=csp(book.network), search=options.search, css_href=CSS, js_href=JS,
                    index_href=INDEX_JS if options.search else None)
    base = urls.base_url(book, options)
    common = {"book": book, "mode": "site", "assets": assets, "downloads": downloads, "cover": cover}

    index_head = Head(book.meta.title, book.meta.title, book.meta.description, urls.page_url(base, INDEX), "book",
                      urls.page_url(base, INDEX), base + cover if base and cover else None, locale(book.meta.language))
    _write(folder / INDEX, env.get_template("index.html.j2").render(
        head=index_head, nav=_nav(plan, None, options), all_groups=plan.groups, **common))

    part_of = {e.slug: g.title for g in plan.groups for e in g.entries if g.title}
    template = env.get_template("chapter.html.j2")
    pages = Pieces(ctx, "html-page", book_digest(book, ctx.theme, "html"), theme_digest(ctx.theme),
                   options.model_dump(mode="json"), plan_digest(plan), repr(downloads), cover, images, base,
                   book.network, repr(assets))
    for i, chapter in enumerate(plan.chapters):
        entry = plan.entries[i]
        if (kept := pages.get(i, chapter_digest(chapter))) is not None:   # the page as this build would write it
            _write(folder / entry.file, kept["page"])
            ctx.diagnostics.extend(diagnostics_of(kept["problems"]))
            continue
        mark = len(ctx.diagnostics)
        original = urls.original_url(book, chapter, options)
        page = PageContext(plan, entry.file, chapter, original, {h: h for h in images}, book.network)
        view = chapter_view(page, page_ids() | {chapter.slug}, part_of.get(chapter.slug), ctx, book.meta.language)
        canonical = original or urls.page_url(base, entry.file)
        head = Head(f"{chapter.title} · {book.meta.title}", chapter.title, description(chapter, book.meta.description),
                    canonical, "article", canonical, base + cover if base and cover else None,
                    locale(book.meta.language))
        page = template.render(head=head, nav=_nav(plan, i, options), chapter=view, **common)
        _write(folder / entry.file, page)
        pages.put({"page": page, "problems": diagnostics_json(ctx.diagnostics[mark:])}, i, chapter_digest(chapter))

    if base:
        _write(folder / SITEMAP, urls.sitemap(plan, base, book.meta.date))


def _nav(plan: Plan, current: int | None, options: HtmlOptions) -> Nav:
    groups, before, after = toc_window(plan, current, options.toc_limit)
    if current is None:
        return Nav(INDEX, INDEX + "#cb-contents", groups, before, after, None, (), None, None,
                   plan.entries[0] if plan.entries else None)
    prev, nxt = plan.neighbours(current)
    sections = tuple(h for h in plan.chapters[current].headings if h.level <= 3)
    return Nav(INDEX, INDEX + "#cb-contents", groups, before, after, plan.entries[current].slug, sections,
               prev, prev.href if prev else INDEX, nxt)


def _copy_cover(book: Book, ctx: BuildContext, folder: Path, taken: set[str]) -> str | None:
    cover = files.cover_image(book, ctx)
    if cover is None:
        return None
    source, data = cover
    name = "cover" + source.suffix.lower()
    taken.add(name)
    (folder / name).write_bytes(data)
    return name


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
