"""The pipeline: manifest -> posts -> pandoc AST -> transforms -> lint -> HTML fragments -> Book.

`compile_book` never raises for problems in posts: they come back as Diagnostics. Only a problem
with the manifest itself (FatalError) stops it.
"""

from __future__ import annotations

import fnmatch
import html as htmlmod
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from compiler.compile import blogsyntax as engines, limits, lint, pandoc
from compiler.compile.titles import render_titles
from compiler.compile.outline import close_gaps, outline_jumps
from compiler.support.heap import paused_gc
from compiler.model.book import Book, Chapter, Metadata, Part, build_time
from compiler.model.diagnostics import Diagnostic, Severity, diag, sort_key
from compiler.load.manifest import LoadedManifest
from compiler.load.selection import check_paths, require_chapters
from compiler.support.paths import OutsideBook, confine, relative, walk_posts
from compiler.load.sources import Post, load_post, locator, slug_key
from compiler.compile.transforms import ATTR_INDEX, attr_of, stringify, walk, with_attr
from compiler.compile.transforms.boilerplate import remove_boilerplate
from compiler.compile.transforms.headings import normalise_headings
from compiler.compile.transforms.ids import Heading, assign_ids, local_id, unique
from compiler.compile.transforms.links import ImageOutcome, LinkContext, Routes, resolve_image, resolve_link
from compiler.support.images import oversized
from compiler.compile.transforms.nesting import fix_nesting
from compiler.compile.transforms.sanitize import clean_attr, clean_html, is_dangerous

_GENERATED_IDS = re.compile(r'\b(id|href)="(#?)(fn\d+|fnref\d+(?:-\d+)?|footnotes|cb\d+(?:-\d+)?)"')
_IMG_NO_ALT = re.compile(r"<img(?![^>]*\balt=)")
_HREF = re.compile(r'\bhref="([^"]*)"')
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)("[^>]*>)')
HTML_OPTIONS = {"wrap_text": "wrap-none"}


@dataclass(frozen=True)
class Entry:
    """One file the manifest puts in the book, and where."""
    post: Post
    kind: str            # chapter | front | back
    part: int | None     # index into manifest parts, if any


@dataclass
class Draft:
    """A chapter between stages (mutable only inside this module)."""
    entry: Entry
    slug: str
    title: str
    blocks: list
    headings: list[Heading]
    idmap: dict[str, str]
    unfinished: bool = False
    links: LinkContext | None = None
    reported: set = field(default_factory=set)   # (needle, line) already reported: see sources.locator
    title_html: str = ""                         # see compile/titles.py


@paused_gc()
def compile_book(loaded: LoadedManifest, render: bool = True, progress=None,
                 cache: pandoc.Cache | None = None) -> tuple[Book, list[Diagnostic]]:
    """The whole pipeline. `render=False` skips the HTML fragments (for check and toc).

    `progress(message)`, when given, is told which stage is running (the CLI shows it).
    `cache`, when given, keeps pandoc's answers from one call to the next: a process that
    compiles again after an edit (`serve`) only sends pandoc the posts and chapters that changed.
    """
    m, root = loaded.manifest, loaded.root
    say = progress or (lambda message: None)
    problems: list[Diagnostic] = []
    say("reading posts")
    entries = select(loaded, problems)
    say(f"parsing {len(entries)} posts with pandoc")
    for e in entries:
        problems += [d for d in e.post.diagnostics if not (e.kind != "chapter" and d.code in ("CB103", "CB104"))]
    drafts = parse(loaded, entries, problems, cache)
    kept = apply_draft_policy(loaded, drafts, problems)
    if any(d.entry.kind == "chapter" for d in drafts):
        require_chapters(loaded, sum(d.entry.kind == "chapter" for d in kept),
                         "every post is a draft that `drafts: exclude` leaves out", ("drafts",))
    drafts = kept
    for d, (plain, heading) in zip(drafts, render_titles([d.title for d in drafts], _reader_format(m.markdown_flavor))):
        d.title, d.title_html = plain, heading   # markup in a title: formatting in the heading only
    dedupe_slugs(drafts, problems)
    routes = Routes()
    taken: set[str] = set()
    for d in drafts:
        d.slug = unique(d.slug, taken)
    jumped = {(p.path, p.line) for p in problems if p.code == "CB106"}   # already said by lint
    for d in drafts:
        try:
            d.blocks, d.idmap, d.headings = assign_ids(d.blocks, d.slug, taken)
        except RecursionError:
            _too_deep(d, problems)
            d.blocks, d.idmap, d.headings = assign_ids([], d.slug, taken)
        d.headings, jumps = close_gaps(d.headings)   # the outline every format shows: no level gaps
        problems += [j for j in outline_jumps(d.entry.post, jumps) if (j.path, j.line) not in jumped]
        post = d.entry.post
        names = [d.slug, post.slug, post.rel, relative(root, post.path.parent) + "/" + post.slug, *post.aliases]
        if post.date:
            names += [f"{post.date:%Y/%m/%d}/{post.slug}", f"{post.date:%Y/%m}/{post.slug}", f"{post.date:%Y}/{post.slug}"]
        routes.add(d.slug, names, d.idmap)
    assets: dict[str, Path] = {}
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

    def linked(d: Draft) -> list:
        """The chapter's blocks with links, images and unsafe HTML resolved (once per chapter)."""
        if d.links is None:
            try:
                d.blocks = finish_links(d, loaded, routes, assets, problems)
            except RecursionError:
                _too_deep(d, problems)
                d.blocks = []
        return d.blocks

    if render:   # links are resolved by the threads feeding pandoc, overlapping its rendering
        htmls = render_html(drafts, problems, assets, say, prepare=linked, cache=cache)
    else:
        for i, d in enumerate(drafts, 1):
            say(f"resolving links: chapter {i}/{len(drafts)} {d.slug}")
            linked(d)
        htmls = [""] * len(drafts)
    chapters = [to_chapter(d, html) for d, html in zip(drafts, htmls)]
    book = Book(
        meta=metadata(loaded, [c for c in chapters if c.kind == "chapter"], cover),
        root=root,
        front=tuple(c for c in chapters if c.kind == "front"),
        parts=group_parts(loaded, drafts, chapters),
        back=tuple(c for c in chapters if c.kind == "back"),
        assets=dict(sorted(assets.items())),   # filled by two threads: order made stable
        network=m.network,
    )
    return book, sorted(set(problems), key=sort_key)


# --- selection ---------------------------------------------------------------------------------

def select(loaded: LoadedManifest, problems: list[Diagnostic]) -> list[Entry]:
    m = loaded.manifest
    check_paths(loaded)   # a missing or outside path is a manifest error (exit 2): nothing opened
    entries: list[Entry] = []
    entries += _listed(loaded, m.front_matter, ("front_matter",), "front", None, problems)
    if m.chapters is not None:
        entries += _listed(loaded, m.chapters, ("chapters",), "chapter", None, problems)
    elif m.parts is not None:
        for i, part in enumerate(m.parts):
            entries += _listed(loaded, part.chapters, ("parts", i, "chapters"), "chapter", i, problems)
    else:
        entries += _series(loaded, problems)
    entries += _listed(loaded, m.back_matter, ("back_matter",), "back", None, problems)
    require_chapters(loaded, sum(e.kind == "chapter" for e in entries))
    return entries


def _listed(loaded, paths, key, kind, part, problems) -> list[Entry]:
    out = []
    for i, name in enumerate(paths):
        path = _resolve_entry(loaded, name, key + (i,), problems)
        if path is not None:
            out.append(Entry(load_post(path, relative(loaded.root, path)), kind, part))
    return out


def _resolve_entry(loaded: LoadedManifest, name: str, key: tuple, problems) -> Path | None:
    where = ".".join(str(k) for k in key)
    try:
        path = confine(loaded.root, name)
    except OutsideBook:
        problems.append(diag("CB100", loaded.name, loaded.line(*key),
                             f"{where}: {name} is outside the book folder; move it into the folder of {loaded.name}"))
        return None
    if not path.is_file():
        problems.append(diag("CB100", loaded.name, loaded.line(*key),
                             f"{where}: {name} does not exist; fix the path (relative to {loaded.name})"))
        return None
    return path


def _series(loaded: LoadedManifest, problems) -> list[Entry]:
    s, root = loaded.manifest.series, loaded.root
    try:
        folder = confine(root, s.from_)
    except OutsideBook:
        problems.append(diag("CB100", loaded.name, loaded.line("series", "from"), f"series.from: {s.from_} is outside the book folder"))
        return []
    if not folder.is_dir():
        problems.append(diag("CB100", loaded.name, loaded.line("series", "from"), f"series.from: folder {s.from_} does not exist"))
        return []
    wanted = {t.casefold() for t in s.tags}
    posts = []
    for path in walk_posts(root, folder):
        try:
            real = confine(root, path)
        except OutsideBook:
            problems.append(diag("CB100", relative(root, path), None, "links to a file outside the book folder: skipped"))
            continue
        rel = relative(root, path)
        if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(path.name, pat) for pat in s.exclude):
            continue
        post = load_post(real, rel)
        unread = any(d.code == "CB151" for d in post.diagnostics)   # too large to read: its tags are unknown
        if wanted and not wanted & {t.casefold() for t in post.tags} and not unread:
            continue
        posts.append(post)
    if s.order == "date":
        posts.sort(key=lambda p: (p.date is None, _naive_utc(p.date), p.title.casefold()))
    elif s.order == "title":
        posts.sort(key=lambda p: p.title.casefold())
    return [Entry(p, "chapter", None) for p in posts]


def _naive_utc(when: datetime | None) -> datetime:
    """Comparable datetimes: aware ones converted to UTC, naive ones taken as they are."""
    if when is None:
        return datetime.min
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


# --- parse and normalise -----------------------------------------------------------------------

def _reader_format(flavor: str) -> str:
    base = re.split(r"[+-]", flavor, maxsplit=1)[0]
    return flavor + ("-yaml_metadata_block" if base in ("markdown", "markdown_mmd", "markdown_phpextra") else "")


def parse(loaded: LoadedManifest, entries: list[Entry], problems: list[Diagnostic],
          cache: pandoc.Cache | None = None) -> list[Draft]:
    m = loaded.manifest
    readable = [e for e in entries if not any(d.code in ("CB100", "CB113", "CB151") for d in e.post.diagnostics)]
    bodies = []
    for e in readable:
        text, found = engines.preprocess(e.post.body, e.post.rel, e.post.body_line)
        bodies.append(text)
        problems += found

    def prepare(index: int, ast: dict) -> tuple[Draft, set[int], list[Diagnostic]]:
        """One post's AST to a Draft, run as soon as pandoc answers (overlapping pandoc's work)."""
        entry = readable[index]
        post = entry.post
        deep = limits.too_deep(ast["blocks"])
        if deep:   # refused before any recursive transform: every word in every output, or an error
            found = [diag("CB150", post.rel, post.locate(deep[1]) if deep[1] else None, limits.message(deep[0]))]
            return Draft(entry, post.slug, post.title, [], [], {}), set(), found
        blocks, used = remove_boilerplate(ast["blocks"], m.boilerplate)
        title = post.title
        if entry.kind != "chapter" and "title" not in post.meta:
            title, blocks = _title_from_heading(blocks, title)
        found = lint.heading_jumps(post, blocks)
        blocks = normalise_headings(blocks, title)
        unfinished = lint.empty_sections(post, blocks) + lint.editorial_notes(post, blocks, m.editorial_notes)
        return Draft(entry, post.slug, title, blocks, [], {}, unfinished=bool(unfinished)), used, found + unfinished

    results = pandoc.read_many(bodies, _reader_format(m.markdown_flavor), finish=prepare, cache=cache)
    drafts = []
    used_rules: set[int] = set()
    for entry, result in zip(readable, results):
        if result.error == pandoc.TOO_DEEP:   # too deep even for the AST to be loaded
            post = entry.post
            problems.append(diag("CB150", post.rel, limits.deepest_line(post.body.split("\n"), post.body_line),
                                 limits.message()))
            continue
        if result.error:
            problems.append(diag("CB115", entry.post.rel, None, f"pandoc could not read this post: {result.error}"))
            continue
        draft, used, found = result.value
        used_rules |= used
        problems += found
        drafts.append(draft)
    for i, rule in enumerate(m.boilerplate):
        if i not in used_rules and drafts:
            problems.append(diag("CB118", loaded.name, loaded.line("boilerplate", i), f"boilerplate rule {i + 1} removed nothing"))
    return drafts


def _too_deep(d: Draft, problems: list[Diagnostic]) -> None:
    """A post too deeply nested for the transforms: an error (the book is not written), its chapter emptied."""
    problems.append(diag("CB115", d.entry.post.rel, None, pandoc.TOO_DEEP))


def _title_from_heading(blocks: list, fallback: str) -> tuple[str, list]:
    for i, block in enumerate(blocks):
        if block["t"] == "Header":
            return " ".join(stringify(block["c"][2]).split()), blocks[:i] + blocks[i + 1:]
    return fallback, blocks


def apply_draft_policy(loaded: LoadedManifest, drafts: list[Draft], problems: list[Diagnostic]) -> list[Draft]:
    """`draft: true`, or unfinished (empty sections, editorial notes) unless `draft: false`."""
    policy = loaded.manifest.drafts
    kept = []
    for d in drafts:
        post = d.entry.post
        is_draft = post.draft is True or (post.draft is None and d.unfinished)
        d.unfinished = is_draft
        if not is_draft or policy == "include":
            kept.append(d)
            continue
        why = "marked `draft: true`" if post.draft else "unfinished (empty sections or editorial notes)"
        line = post.meta_line("draft") if post.draft else post.meta_line("title")
        if policy == "exclude":
            problems.append(diag("CB111", post.rel, line, f"draft ({why}): left out of the book", Severity.INFO))
            continue
        severity = Severity.ERROR if policy == "error" else Severity.WARNING
        problems.append(diag("CB111", post.rel, line, f"draft ({why}): included; set `drafts: exclude` to leave drafts out", severity))
        kept.append(d)
    return kept


def dedupe_slugs(drafts: list[Draft], problems: list[Diagnostic]) -> None:
    """Slugs that are the same once case and Unicode normalisation are ignored (`Hello-World.md`
    and `hello-world.md`, the same name in two folders) would give one file name on many file
    systems: the later chapter is renamed (`-2`, `-3`…) and a warning names both files."""
    folded = {slug_key(d.slug) for d in drafts}
    seen: dict[str, str] = {}
    for d in drafts:
        key = slug_key(d.slug)
        if key in seen:
            post, n = d.entry.post, 2
            while slug_key(f"{d.slug}-{n}") in folded:
                n += 1
            new = f"{d.slug}-{n}"
            other = seen[key] + (" (the same name in another Unicode normalisation, NFC/NFD)"
                                 if slug_key(seen[key]) == slug_key(post.rel) else "")
            problems.append(diag("CB108", post.rel, post.meta_line("slug"),
                                 f"slug {d.slug!r} is also used by {other} (ignoring case and accents); this "
                                 f"chapter becomes {new!r}. Set a distinct `slug:` in its front matter"))
            d.slug, key = new, slug_key(new)
            folded.add(key)
        seen[key] = d.entry.post.rel


# --- links, images, unsafe HTML: one walk per chapter -------------------------------------------

def finish_links(d: Draft, loaded: LoadedManifest, routes: Routes, assets: dict, problems: list[Diagnostic]) -> list:
    post, m = d.entry.post, loaded.manifest
    ctx = LinkContext(d.slug, post.path.parent, loaded.root, routes, m.site_url, m.network)
    d.links = ctx
    where = locator(post, d.reported)   # each occurrence at its own line

    def report(code, needle, message):
        problems.append(diag(code, post.rel, where(needle) if needle else None, message))

    def safe(attr):
        """The attribute list without handlers or dangerous URLs; what was dropped is reported."""
        cleaned, dropped = clean_attr(attr)
        if dropped:
            report("CB112", dropped[0], f"attribute(s) {', '.join(dropped)} removed (scripts are not allowed)")
        return cleaned

    def attrs(element):
        old = attr_of(element)
        attr = safe(old)
        if element["t"] != "Header" and attr[0] and not attr[0].startswith(d.slug + "--"):
            attr = [f"{d.slug}--{attr[0]}", attr[1], attr[2]]
        return None if attr is old else with_attr(element, attr)

    def link(el):
        attr, inlines, (url, title) = el["c"]
        out = resolve_link(url, ctx)
        if out.code:
            report(out.code, url, out.message)
        cleaned = safe(attr)
        inlines = walk(inlines, handlers)
        if out.url is None:
            return {"t": "Span", "c": [["", [], []], inlines]}
        return {"t": "Link", "c": [cleaned, inlines, [out.url, title]]}

    def image(el):
        attr, alt, (url, title) = el["c"]
        out = refuse_oversized(resolve_image(url, ctx), url)
        if out.code:
            report(out.code, url, out.message)
        cleaned = safe(attr)
        if out.href is not None:
            if out.source is not None:
                assets[out.href] = out.source
            return {"t": "Image", "c": [cleaned, alt, [out.href, title]]}
        if out.code == "CB117":
            text = alt or [{"t": "Str", "c": url}]
            return {"t": "Link", "c": [["", ["remote-image"], []], text, [url, title]]}
        return {"t": "Span", "c": [["", ["missing-image"], []], alt]}

    def raw(el):
        fmt, text = el["c"]
        if fmt.lower() not in ("html", "html5", "html4"):
            return []
        if is_dangerous(text):
            report("CB112", text.strip().split("\n")[0][:40], f"raw HTML with script-like content sanitised: {text.strip()[:60]!r}")
        return None

    handlers = {
        "Link": link, "Image": image, "RawBlock": raw, "RawInline": raw,
        **{t: attrs for t in ATTR_INDEX if t not in ("Link", "Image")},
    }
    return walk(d.blocks, handlers)


# --- rendering ---------------------------------------------------------------------------------

def render_html(drafts: list[Draft], problems: list[Diagnostic], assets: dict, say, prepare,
                cache: pandoc.Cache | None = None) -> list[str]:
    """Render every chapter; `prepare(draft)` gives its final blocks just before they are sent to
    pandoc, and each fragment is finished as soon as pandoc returns it."""
    def doc(i: int, d: Draft):
        def make() -> dict:
            say(f"rendering chapter {i}/{len(drafts)} {d.slug}")
            return {"pandoc-api-version": [1, 23, 1, 1], "meta": {}, "blocks": prepare(d)}
        return make

    say(f"rendering {len(drafts)} chapters")
    results = pandoc.write_many([doc(i, d) for i, d in enumerate(drafts, 1)], "html5", HTML_OPTIONS,
                                finish=lambda i, html: finish_html(html, drafts[i], assets, problems), cache=cache)
    out = []
    for d, result in zip(drafts, results):
        if result.error:
            problems.append(diag("CB115", d.entry.post.rel, None, f"pandoc could not render this post: {result.error}"))
        out.append(result.value or "")
    return out


def finish_html(html: str, d: Draft, assets: dict, problems: list[Diagnostic]) -> str:
    """Scope pandoc's generated ids (footnotes, code lines) to the chapter, sanitise, then resolve
    what raw HTML still points at (its links, anchors and images never went through the AST)."""
    html = _GENERATED_IDS.sub(lambda m: f'{m[1]}="{m[2]}{d.slug}--{m[3]}"', html)
    html = _IMG_NO_ALT.sub('<img alt=""', fix_nesting(clean_html(html)))   # misnested raw HTML made valid
    post = d.entry.post   # d.links is set: `prepare` resolved the chapter's links before pandoc saw it
    where = locator(post, d.reported)   # each occurrence at its own line

    def report(code, needle, message):
        problems.append(diag(code, post.rel, where(needle), message))

    def href(m: re.Match) -> str:
        url = htmlmod.unescape(m[1])
        if url.startswith("#" + d.slug + "--") or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url) or not url:
            return m[0]
        out = resolve_link(url, d.links)
        if not url.startswith(("/", "#")) and not (out.url or "").startswith("#"):
            return m[0]  # relative to the original post's URL, which only the HTML backend knows
        if out.code:
            report(out.code, url, out.message)
        return f'href="{htmlmod.escape(out.url or "#" + d.slug)}"'

    def img(m: re.Match) -> str:
        src = htmlmod.unescape(m[2])
        if src.startswith("assets/") and src in assets:
            return m[0]
        out = refuse_oversized(resolve_image(src, d.links), src)
        if out.code:
            report(out.code, src, out.message)
        if out.href is None:
            alt = re.search(r'\balt="([^"]*)"', m[0])
            text = alt[1] if alt and alt[1] else ""
            if out.code == "CB117":  # remote, network not allowed: a link, as for Markdown images
                return f'<a href="{htmlmod.escape(src)}" class="remote-image">{text or htmlmod.escape(src)}</a>'
            return f'<span class="missing-image">{text}</span>'
        if out.source is not None:
            assets[out.href] = out.source
        return f'{m[1]}{htmlmod.escape(out.href)}{m[3]}'

    html = _HREF.sub(href, html)
    return _IMG_SRC.sub(img, html)


def refuse_oversized(out: ImageOutcome, url: str) -> ImageOutcome:
    """A local raster image with more pixels than images.MAX_PIXELS is left out of every output."""
    why = oversized(out.source) if out.source is not None else None
    return ImageOutcome(None, None, "CB116", f"image {url}: {why}: left out") if why else out


def to_chapter(d: Draft, html: str) -> Chapter:
    post = d.entry.post
    return Chapter(
        slug=d.slug, title=d.title, source=post.rel, kind=d.entry.kind, date=post.date, tags=post.tags,
        description=post.description, ast={"pandoc-api-version": [1, 23, 1, 1], "meta": {}, "blocks": d.blocks},
        html=html, headings=tuple(d.headings), draft=d.unfinished, title_html=d.title_html,
        lang=post.lang,
    )


def group_parts(loaded: LoadedManifest, drafts: list[Draft], chapters: list[Chapter]) -> tuple[Part, ...]:
    body = [(d, c) for d, c in zip(drafts, chapters) if c.kind == "chapter"]
    if loaded.manifest.parts is None:
        return (Part(None, None, tuple(c for _, c in body)),)
    taken = {c.slug for c in chapters}
    parts = []
    for i, part in enumerate(loaded.manifest.parts):
        slug = unique("part-" + local_id(part.title), taken)
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
    dates = sorted(_naive_utc(c.date) for c in chapters if c.date)
    date = m.date.isoformat() if m.date else (f"{dates[-1]:%Y-%m-%d}" if dates else None)
    subjects = tuple(dict.fromkeys(t for c in chapters for t in c.tags))
    return Metadata(
        title=m.title, subtitle=m.subtitle, authors=tuple(m.authors), language=m.language,
        identifier=m.book_identifier, date=date, modified=build_time(), publisher=m.publisher, rights=m.rights,
        description=m.description, subjects=subjects, cover=cover,
        site_url=m.site_url, series=m.series.name if m.series else None, slug=_file_slug(m.title),
    )
