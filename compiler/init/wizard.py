"""The work of `chapbook init` (compiler.commands.init holds only its arguments): scan the blog,
choose the series, plan the manifest, render and write it. Imported when `init` runs, so the other
commands do not pay for it.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from compiler.console import terminal
from compiler.init.ignores import ignore_outputs
from compiler.init.detect import Blog, Series, is_placeholder_url, post_authors, scan, exclusions
from compiler.init.proposal import Value, _line, _scalar, boilerplate_lines, chosen_series, found_table, named_series, refine
from compiler.init.series import best as best_series, find as find_series
from compiler.model.diagnostics import FatalError

ENGINES = {"hugo": "Hugo", "jekyll": "Jekyll", "hexo": "Hexo", "eleventy": "Eleventy", "plain": "Markdown"}
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
TABLE_ROWS = 25


@dataclass(frozen=True)
class Plan:
    """Everything the manifest says, before it is written."""
    blog: Blog
    chosen: Series
    tags: tuple[str, ...]
    source: str                 # series.from, relative to the manifest's folder
    exclude: tuple[str, ...]
    fields: dict                # top-level key -> Value, in manifest order
    series_name: str | None = None          # series.name, when it is not the title (compiler.init.proposal)
    chapters: tuple[str, ...] = ()          # an explicit chapter list, when tags cannot select the series
    rules: tuple[tuple[str, str, str], ...] = ()   # proposed boilerplate rules: (kind, starts_with, comment)
    what: str | None = None                 # what the book is, for the manifest's header comment


# --- arguments -----------------------------------------------------------------------------------

def _blog_folder(blog_dir: Path) -> Path:
    root = Path(os.path.realpath(blog_dir))
    if not root.is_dir():
        raise FatalError(f"{blog_dir} is not a folder; pass the blog's folder (default: the current folder)", 2)
    return root


def _target(root: Path, out: Path | None, force: bool) -> Path:
    """The manifest path: inside the blog folder, and not an existing file unless --force."""
    target = Path(os.path.realpath(out)) if out else root / "book.yml"
    if target.parent != root and root not in target.parents:
        raise FatalError(f"--out {out} is outside the blog folder {root}: the book folder is the blog folder "
                         f"(Chapbook reads nothing outside the manifest's folder); pass a path inside it, "
                         f"like --out {root / 'book.yml'}", 2)
    if target.is_dir():
        raise FatalError(f"--out {out} is a folder; pass a file name such as book.yml", 2)
    if target.exists() and not force:
        raise FatalError(f"{target} already exists; pass --force to overwrite it, or --out to write another file", 2)
    return target


def _skipped_hint(blog: Blog) -> str:
    if not blog.skipped:
        return ""
    shown = "; ".join(f"{s.rel}: {s.why}" for s in blog.skipped[:5])
    return f" (skipped {len(blog.skipped)} Markdown file(s): {shown}{' …' if len(blog.skipped) > 5 else ''})"


# --- choosing ------------------------------------------------------------------------------------

def choose(blog: Blog, wanted: list[str], every: bool, candidates=None) -> Series:
    """The posts of the book: the --series tags, every post, or the default (see the module doc)."""
    found = blog.series()
    if every:
        return found[0]
    if not wanted:
        best = best_series(find_series(blog.posts) if candidates is None else candidates)
        return chosen_series(best) if best else found[0]
    names = {s.name.casefold() for s in found[1:]}
    missing = [w for w in wanted if w.casefold() not in names]
    named = named_series(candidates, wanted) if missing else None
    if named is not None:   # the name of a series found (by titles or blurbs), not a tag
        return chosen_series(named)
    if missing:
        known = ", ".join(s.name for s in found[1:11]) or "none (use --all, or no --series)"
        raise FatalError(f"no post is tagged or categorised {', '.join(missing)}; found: {known}", 2)
    keys = {w.casefold() for w in wanted}
    posts = tuple(p for p in blog.posts if keys & {t.casefold() for t in p.tags})
    return Series("tags", ", ".join(wanted), posts)


def series_table(blog: Blog, chosen: Series) -> Table:
    table = Table(title=f"{ENGINES[blog.engine]} blog: {_posts(len(blog.posts))} in {_rel(blog.root, blog.folder)}",
                  show_edge=False)
    for name, justify in (("", "left"), ("kind", "left"), ("name", "left"), ("posts", "right"),
                          ("first", "left"), ("last", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    found = blog.series()
    picked = {name.strip().casefold() for name in chosen.name.split(",")}
    for s in found[:TABLE_ROWS]:
        first, last = s.dates
        mark = "→" if (s.kind, s.name) == (chosen.kind, chosen.name) or (
            chosen.kind == "tags" and s.kind != "all" and s.name.casefold() in picked) else ""
        table.add_row(mark, s.kind, s.name, str(len(s.posts)), _day(first), _day(last))
    if len(found) > TABLE_ROWS:
        table.caption = f"… and {len(found) - TABLE_ROWS} more (pass any of them to --series)"
    return table


# --- what the manifest says ----------------------------------------------------------------------

def make_plan(blog: Blog, chosen: Series, wanted: list[str], target: Path) -> Plan:
    book_root = target.parent
    if book_root != blog.folder and book_root not in blog.folder.parents:
        raise FatalError(f"the posts ({blog.folder}) are not inside the manifest's folder {book_root}; "
                         "write the manifest at the blog's top level (the default)", 2)
    tags = tuple(wanted) if wanted else ((chosen.name,) if chosen.kind in ("tag", "category") else ())
    site, config = blog.site, blog.site.file
    title = _humanise(tags[0] if tags else (site.title or blog.root.name))
    title_note = ("from the site title in " + config) if chosen.kind == "all" and site.title else (
        "from the folder name" if chosen.kind == "all" else "from the (first) series tag")
    fields = {
        "title": Value(title, title_note + "; change it"),
        "subtitle": Value("A subtitle", "optional", commented=True),
        "authors": guess_authors(chosen.posts, site.author, config, site.title),
        "language": guess_language(site.language, config),
        "site_url": guess_site_url(site.url, config),
        "description": Value(site.description, f"from {config}") if chosen.kind == "all" and site.description
        else Value("One or two sentences about the book.", "for EPUB metadata and the HTML page", commented=True),
        "rights": Value(site.rights, f"from {config}") if site.rights and not re.search(r"[{<]", site.rights)
        else Value("© Your Name. All rights reserved.", "copyright line", commented=True),
        "cover": Value("cover.jpg", "a JPEG or PNG in this folder; a cover is generated without one", commented=True),
    }
    return Plan(blog, chosen, tags, _rel(book_root, blog.folder),
                tuple(exclusions(book_root, blog.folder, blog.skipped, blog.root)), fields)


def guess_authors(posts, site_author: str | None, config: str | None, site_title: str | None = None) -> Value:
    counts = Counter(name for post in posts for name in dict.fromkeys(post_authors(post)))
    ranked = [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))]
    if not ranked:
        if site_author:
            return Value([site_author], f"from author in {config}")
        return Value(["Your Name"], "no author found in the posts or the site config", commented=True)
    if len(ranked) <= 3:
        return Value(ranked, "from `author` in the posts' front matter")
    if site_author:
        return Value([site_author], f"from {config}; {len(ranked)} people wrote these posts")
    byline = f"{len(ranked)} people wrote these posts; each chapter shows its own author under its title"
    if site_title:
        return Value([site_title], f"the blog's name, from {config}: {byline}")
    return Value(["Editor Name"], f"a placeholder for the editor's (or the blog's) name: {byline}")


def guess_language(language: str | None, config: str | None) -> Value:
    if language and _BCP47.match(language):
        parts = language.replace("_", "-").split("-")
        tag = "-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])
        return Value(tag, f"from {config}")
    return Value("en", "a guess: no site config says; use a BCP 47 tag such as en-GB or fr")


def guess_site_url(url: str | None, config: str | None) -> Value:
    note = "links to posts outside the book point here"
    if url and re.match(r"^https?://[^/\s]+", url) and not is_placeholder_url(url):
        return Value(url.rstrip("/") + "/", f"from {config}; {note}")
    why = f"{config} has the placeholder {url}" if url and config else "not found in a site config"
    return Value("https://example.com/", f"{why}; {note}", commented=True)


def _humanise(name: str) -> str:
    words = re.sub(r"[-_]+", " ", name).split()
    return " ".join(w[:1].upper() + w[1:] if w.islower() else w for w in words) or name


# --- writing -------------------------------------------------------------------------------------

def render(plan: Plan, target: Path) -> str:
    chosen, blog = plan.chosen, plan.blog
    first, last = chosen.dates
    what = plan.what or ("every post" if chosen.kind == "all" else f"the posts tagged {', '.join(plan.tags)}")
    name = _rel(blog.root, target)
    lines = [
        f"# Book manifest written by `chapbook init` from a {ENGINES[blog.engine]} blog: {what}.",
        f"# {_posts(len(chosen.posts))}, {_day(first)} to {_day(last)}, in date order. Check every guess below;",
        "# lines starting with `# key:` are optional settings to fill in and uncomment.",
        f"# Next, in this folder: chapbook check {name}, then chapbook build {name} (EPUB, PDF and HTML in dist/).",
        "",
    ]
    lines += [_line(key, v.value, v.note, v.commented) for key, v in plan.fields.items() if v.value is not None]
    if plan.chapters:
        lines += ["", _line("chapters", None, "the series' posts, in order (no tag selects exactly them)")]
        lines += [f"  - {_scalar(c)}" for c in plan.chapters]
    else:
        lines += ["", _line("series", None, "which posts make the book")]
    series_lines = [_line("from", plan.source, f"{_posts(len(chosen.posts))} under this folder", indent=2)]
    if plan.tags:
        series_lines.append(_line("tags", list(plan.tags), "a post is taken when it has any of these tags or categories", indent=2))
    series_lines.append(_line("order", "date", "date | title | manifest", indent=2))
    if chosen.kind != "all":
        series_lines.append(_line("name", plan.series_name or plan.fields["title"].value, "series name in the EPUB metadata", indent=2))
    lines += series_lines if not plan.chapters else []
    if plan.exclude and not plan.chapters:
        lines.append(_line("exclude", None, "Markdown files here that are not posts", indent=2))
        lines += [f"    - {_scalar(p)}" for p in plan.exclude]
    drafts = sum(1 for p in chosen.posts if p.draft)
    lines += ["", _line("drafts", "warn", "include | warn | exclude | error"
                        + (f"; {drafts} of these posts say draft: true" if drafts else ""))]
    lines += [""] + (boilerplate_lines(plan.rules) or [
              "# boilerplate:                              # text every post repeats, removed by rule",
              "#   - kind: blockquote", '#     starts_with: "This post is part of"']) + [
              "# outputs:                                  # per-format options; default formats: epub, pdf, html",
              "#   epub: {}", "#   pdf: {}", "#   html: {}", ""]
    return "\n".join(lines)


def write_manifest(target: Path, text: str, plan: Plan) -> None:
    """Validate the manifest (schema, then the posts it selects) and only then put it in place."""
    from compiler.compile.selection import select
    from compiler.load.manifest import load_manifest
    from compiler.build.output import atomic_path

    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
        try:
            loaded = load_manifest(tmp)
        except FatalError as exc:
            raise FatalError(f"internal error: the manifest init wrote is invalid ({exc}); please report it", 3) from None
        selected = {e.post.path for e in select(loaded)[0]}
        expected = {p.path for p in plan.chosen.posts}
        if selected != expected:
            raise FatalError(f"internal error: the manifest selects {len(selected)} posts instead of "
                             f"{len(expected)}; please report it", 3)


def report(err: Console, plan: Plan, target: Path) -> None:
    fields = plan.fields
    guessed = [k for k, v in fields.items() if v.value is not None and not v.commented]
    todo = [k for k, v in fields.items() if v.commented]
    name = _rel(Path.cwd(), target)
    err.print(f"[bold]Wrote[/] {escape(str(name))}: “{escape(str(fields['title'].value))}”, {_posts(len(plan.chosen.posts))}"
              + (f" tagged {escape(', '.join(plan.tags))}" if plan.tags else "") + ", in date order.")
    err.print(escape(f"Guessed: {', '.join(guessed)}. To fill in (commented out): {', '.join(todo) or 'nothing'}."))
    if "people wrote these posts" in fields["authors"].note:
        err.print(escape(f"Authors: {fields['authors'].value[0]} ({fields['authors'].note})."))
    if plan.exclude:
        err.print(f"Left out {len(plan.exclude)} Markdown file(s) that are not posts (series.exclude in the manifest).")
    err.print(escape(f"Next: chapbook check {name} && chapbook build {name}"))


def _rel(base: Path, path: Path) -> str:
    try:
        return path.relative_to(base).as_posix() or "."
    except ValueError:
        return str(path)


def _posts(count: int) -> str:
    return f"{count} post" + ("" if count == 1 else "s")


def _day(value) -> str:
    return f"{value:%Y-%m-%d}" if value else "—"


def run(blog_dir: Path, series: list[str] | None, every: bool, out: Path | None, force: bool, listing: bool) -> None:
    """`chapbook init`, after its arguments were read."""
    err = Console(stderr=True, highlight=False, soft_wrap=True, quiet=terminal.verbosity < 0)
    wanted = [t.strip() for item in series or [] for t in item.split(",") if t.strip()]
    if wanted and every:
        raise FatalError("--series and --all cannot be used together: choose tags, or every post", 2)
    root = _blog_folder(blog_dir)
    target = None if listing else _target(root, out, force)
    blog = scan(root)
    if not blog.posts:
        raise FatalError(f"no posts found in {root}: a post is a .md or .markdown file with front matter and a title"
                         + _skipped_hint(blog), 2)
    found = find_series(blog.posts)
    chosen = choose(blog, wanted, every, found)
    if terminal.verbosity >= 0 or target is None:
        shown = Console(highlight=False, width=max(100, Console().width))
        shown.print(series_table(blog, chosen))
        shown.print(found_table(found, chosen))
    if target is None:   # --list
        return
    plan = refine(make_plan(blog, chosen, wanted, target))
    write_manifest(target, render(plan, target), plan)
    report(err, plan, target)
    for line in ignore_outputs(root, blog.engine, target):
        err.print(escape(line), highlight=False)
