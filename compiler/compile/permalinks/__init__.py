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


from compiler.compile.transforms.anchors import heading_aliases, written_ids
from compiler.compile.transforms.links import Routes, on_site
from compiler.model.diagnostics import Diagnostic, Severity, diag
from compiler.support.paths import relative

from compiler.compile.permalinks.site import Site, _JEKYLL_DATE, load_site, post_authors
from compiler.compile.permalinks.rules import fill, jekyll_slug, permalinks, urlize, zola_slug
__all__ = ["Site", "book_routes", "fill", "jekyll_slug", "load_site", "permalinks", "post_authors",
           "suspects_report", "urlize", "zola_slug"]


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
        d.idmap = heading_aliases(d.headings, {**written_ids(d.blocks, d.slug, d.authored if d.blocks else []), **d.idmap})
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
