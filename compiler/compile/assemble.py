"""The pipeline: manifest -> posts -> pandoc AST -> transforms -> lint -> HTML fragments -> Book.

`compile_book` never raises for problems in posts: they come back as Diagnostics. Only a problem
with the manifest itself (FatalError) stops it. Its steps, each in a module named for its job and
each returning what it made and the problems it found: `selection` (which posts), `drafts`
(pandoc's reader, normalising, the draft policy), ids and routes (here), `linking` and `rendering`
(links walk, pandoc's writer, fragments finished), then the model (here).
"""

from __future__ import annotations

from pathlib import Path

from compiler.compile import lint, memos, pandoc, permalinks, rendering, repeated
from compiler.compile.drafts import _reader_format
from compiler.compile.outline import close_gaps, outline_jumps
from compiler.compile.titles import render_titles
from compiler.load.selection import require_chapters
from compiler.support.images import oversized
from compiler.compile.drafts import Draft, apply_draft_policy, dedupe_slugs, parse, too_deep
from compiler.compile.linking import link_context
from compiler.compile.selection import naive_utc, select
from compiler.compile.transforms.ids import assign_ids, local_id
from compiler.load.manifest import LoadedManifest
from compiler.model.book import Book, Chapter, Metadata, Part, build_time
from compiler.model.diagnostics import Diagnostic, diag, sort_key
from compiler.support.heap import paused_gc
from compiler.support.paths import OutsideBook, confine
from compiler.support.urls import unique_id


@paused_gc()
def compile_book(loaded: LoadedManifest, render: bool = True, progress=None,
                 cache: pandoc.Cache | None = None, ast: bool = True) -> tuple[Book, list[Diagnostic]]:
    """The whole pipeline. `render=False` skips the HTML fragments (for check and toc); `ast=False`
    leaves the chapters' AST out of the book (no backend of the build reads it: `run.ast_needed`).

    `progress(message)`, when given, is told which stage is running (the CLI shows it).
    `cache`, when given, keeps pandoc's answers from one call to the next: a process that
    compiles again after an edit (`serve`) only sends pandoc the posts and chapters that changed.
    """
    m, root = loaded.manifest, loaded.root
    say = progress or (lambda message: None)
    say("reading posts")
    entries, problems = select(loaded)
    say(f"parsing {len(entries)} posts with pandoc")
    for e in entries:
        problems += [d for d in e.post.diagnostics if not (e.kind != "chapter" and d.code in ("CB103", "CB104"))]
    drafts, found = parse(loaded, entries, cache, say)
    problems += found
    kept, found = apply_draft_policy(loaded, drafts)
    problems += found
    if any(d.entry.kind == "chapter" for d in drafts):
        require_chapters(loaded, sum(d.entry.kind == "chapter" for d in kept),
                         "every post is a draft that `drafts: exclude` leaves out", ("drafts",))
    drafts = kept
    for d, (plain, heading) in zip(drafts, render_titles([d.title for d in drafts], _reader_format(m.markdown_flavor))):
        d.title, d.title_html = plain, heading   # markup in a title: formatting in the heading only
    problems += dedupe_slugs(drafts)
    taken: set[str] = set()
    jumped = {(p.path, p.line) for p in problems if p.code == "CB106"}   # already said by lint
    for d in drafts:
        d.slug = unique_id(d.slug, taken)
    for d in drafts:
        try:
            d.blocks, d.idmap, d.headings = assign_ids(d.blocks, d.slug, taken)
        except RecursionError:
            problems.append(too_deep(d))
            d.blocks, d.idmap, d.headings = assign_ids([], d.slug, taken)
        d.headings, jumps = close_gaps(d.headings)   # the outline every format shows: no level gaps
        problems += [j for j in outline_jumps(d.entry.post, jumps) if (j.path, j.line) not in jumped]
    routes = permalinks.book_routes(loaded, drafts, problems)
    body_entries = [d for d in drafts if d.entry.kind == "chapter"]
    cover = _cover_file(loaded)
    if m.cover and cover is None:
        problems.append(diag("CB202", loaded.name, loaded.line("cover"), f"cover: {m.cover} is not a file inside the "
                             "book folder; the outputs use a generated cover"))
    elif cover is not None and (why := oversized(cover)):
        problems.append(diag("CB202", loaded.name, loaded.line("cover"), f"cover: {m.cover}: {why}; the outputs "
                             "use a generated cover"))
        cover = None
    problems += lint.similar_posts([(d.entry.post, [h.text for h in d.headings]) for d in body_entries])
    problems += repeated.unremoved([(d.entry.post, d.blocks, d.edges) for d in body_entries], loaded.name)
    contexts = [link_context(d, loaded, routes) for d in drafts]
    rendered = rendering.render(drafts, contexts, say, html=render, cache=cache, ast=ast)
    problems += rendered.problems
    problems += permalinks.suspects_report(loaded, routes)
    chapters = [to_chapter(d, blocks, html) for d, blocks, html in zip(drafts, rendered.blocks, rendered.html)]
    book = Book(
        meta=metadata(loaded, [c for c in chapters if c.kind == "chapter"], cover),
        root=root,
        front=tuple(c for c in chapters if c.kind == "front"),
        parts=group_parts(loaded, drafts, chapters),
        back=tuple(c for c in chapters if c.kind == "back"),
        assets=rendered.assets,
        network=m.network,
    )
    return book, sorted(set(problems), key=sort_key)


def to_chapter(d: Draft, blocks: list, html: str) -> Chapter:
    post = d.entry.post
    return Chapter(
        slug=d.slug, title=d.title, source=post.rel, kind=d.entry.kind, date=post.date, tags=post.tags,
        description=post.description, ast=memos.chapter_ast(blocks),
        html=html, headings=tuple(d.headings), draft=bool(d.unfinished), authors=d.byline, url=d.original,
        title_html=d.title_html, lang=post.lang,
        anchors=tuple(sorted(set(d.idmap.values()) - {h.id for h in d.headings})),
    )


def group_parts(loaded: LoadedManifest, drafts: list[Draft], chapters: list[Chapter]) -> tuple[Part, ...]:
    body = [(d, c) for d, c in zip(drafts, chapters) if c.kind == "chapter"]
    if loaded.manifest.parts is None:
        return (Part(None, None, tuple(c for _, c in body)),)
    taken = {c.slug for c in chapters}
    parts = []
    for i, part in enumerate(loaded.manifest.parts):
        slug = unique_id("part-" + local_id(part.title), taken)
        parts.append(Part(part.title, slug, tuple(c for d, c in body if d.entry.part == i)))
    return tuple(parts)


def _file_slug(title: str) -> str:
    """The book's file name stem: its title as an id, short enough for any file system (a name of
    at most 255 bytes, with room for the extension and a temporary prefix)."""
    slug = (local_id(title) or "book").encode("utf-8")[:120].decode("utf-8", "ignore")   # no split character
    return slug.rstrip("-") or "book"


def _cover_file(loaded: LoadedManifest) -> Path | None:
    """The manifest's cover when it is a file inside the book folder."""
    if not loaded.manifest.cover:
        return None
    try:
        cover = confine(loaded.root, loaded.manifest.cover)
    except OutsideBook:
        return None
    return cover if cover.is_file() else None


def metadata(loaded: LoadedManifest, chapters: list[Chapter], cover: Path | None) -> Metadata:
    m = loaded.manifest
    dates = sorted(naive_utc(c.date) for c in chapters if c.date)
    date = m.date.isoformat() if m.date else (f"{dates[-1]:%Y-%m-%d}" if dates else None)
    subjects = tuple(dict.fromkeys(t for c in chapters for t in c.tags))
    return Metadata(
        title=m.title, subtitle=m.subtitle, authors=tuple(m.authors), language=m.language,
        identifier=m.book_identifier, date=date, modified=build_time(), publisher=m.publisher, rights=m.rights,
        description=m.description, subjects=subjects, cover=cover,
        contributors=tuple(dict.fromkeys(a for c in chapters for a in c.authors)), edition=m.edition,
        site_url=m.site_url, series=m.series.name if m.series else None, slug=_file_slug(m.title),
    )
