"""What `chapbook init` proposes from the series it found (compiler.init.series) and the blocks the
series' posts repeat (compiler.init.boilerplate): the listing that explains the choice, and the
manifest's title, series name, selection (tags, or an explicit chapter list) and boilerplate rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import yaml
from rich.table import Table

from compiler.init.boilerplate import proposals
from compiler.init.detect import Series
from compiler.init.series import Candidate, book_title, family, part_order
from compiler.load.sources import Post
from compiler.support.paths import relative

FOUND_ROWS = 12


@dataclass(frozen=True)
class FoundSeries(Series):
    """A detected series chosen for the book (kind `tags` when its tags select exactly its posts, so
    that the tag table marks them; `series` otherwise)."""
    candidate: Candidate | None = None


def selected_by_tags(posts: tuple[Post, ...], tags: tuple[str, ...]) -> set[str]:
    keys = {t.casefold() for t in tags}
    return {p.rel for p in posts if keys & {t.casefold() for t in p.tags}}


def chosen_series(c: Candidate) -> FoundSeries:
    return FoundSeries("tags" if c.tags else "series", ", ".join(c.tags) if c.tags else c.name,
                       tuple(c.posts), c)


def named_series(found: list[Candidate] | None, wanted: list[str]) -> Candidate | None:
    """The series found whose name (or a spelling of it) is the one --series value given."""
    if not found or len(wanted) != 1:
        return None
    key = family(wanted[0])
    return next((c for c in found if c.name.casefold() == wanted[0].casefold() or c.key == key), None)


def found_table(found: list[Candidate], chosen: Series) -> Table:
    """The series found, with their score and the evidence for each (posts per signal)."""
    shown = [c for c in found if len(c.posts) > 1][:FOUND_ROWS]
    picked = chosen.candidate if isinstance(chosen, FoundSeries) else None
    table = Table(title="Series found (score: 3 per post for series front matter or a blurb linking to the series' "
                        "page, 2 for a title prefix or a tag spelled several ways, 1 per tag, 0.5 per category)",
                  show_edge=False)
    for name, justify in (("", "left"), ("series", "left"), ("posts", "right"), ("score", "right"), ("evidence", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for c in shown:
        evidence = c.explain() + ("" if c.eligible else " — not a series by itself: a plain tag or category "
                                  "on every post, or on too few (under 5 posts and a tenth of the blog)")
        table.add_row("→" if c is picked else "", c.name, str(len(c.posts)), f"{c.score:g}", evidence)
    if not shown:
        table.caption = "no series signal: tags, series front matter, blurbs or title prefixes shared by two posts"
    elif picked is None and chosen.kind == "all":
        table.caption = "none is a multi-post series by itself: the book takes every post (--series TAG to choose)"
    return table


COMMENT_COLUMN = 44


def _line(key: str, value, note: str = "", commented: bool = False, indent: int = 0) -> str:
    text = " " * indent + ("# " if commented else "") + key + ":" + ("" if value is None else " " + _scalar(value))
    return f"{text:<{COMMENT_COLUMN - 2}}  # {note}" if note else text


def _scalar(value) -> str:
    """A value in YAML flow style, quoted only where YAML needs it."""
    dumped = yaml.safe_dump([value] if not isinstance(value, list) else value, default_flow_style=True,
                            allow_unicode=True, width=10**9).strip()
    return dumped[1:-1] if not isinstance(value, list) else dumped


@dataclass(frozen=True)
class Value:
    """One manifest value and the comment saying where it came from (None: leave the line out)."""
    value: object
    note: str = ""
    commented: bool = False     # written as a `# key: value` placeholder


def refine(plan):
    """The plan with what the series detection found: title and series name from the series' display
    name, the selection, and the boilerplate rules for the blocks its posts repeat."""
    chosen = plan.chosen
    fields = dict(plan.fields)
    changes: dict = {}
    posts = chosen.posts
    if isinstance(chosen, FoundSeries) and chosen.candidate is not None:
        c = chosen.candidate
        title = book_title(c.name)
        fields["title"] = Value(title, f"from the series' name, {c.name!r} ({_source(c)}); change it")
        changes.update(fields=fields, series_name=c.name, what=f"the series “{c.name}”.\n# Why: {c.explain()} (see the listing `chapbook init` printed)")
        ordered = part_order(c)
        if ordered is not None or not c.tags or selected_by_tags(plan.blog.posts, c.tags) != {p.rel for p in c.posts}:
            prefix = "" if plan.source == "." else plan.source.rstrip("/") + "/"
            changes["chapters"] = tuple(prefix + relative(plan.blog.folder, p.path) for p in (ordered or c.posts))
        else:
            changes["tags"] = c.tags
    rules = []
    for g in proposals(posts):
        rules.append((g.kind, g.starts_with, f"{g.why}; found by init"))
    changes["rules"] = tuple(rules)
    return dataclasses.replace(plan, **changes)


def _source(c: Candidate) -> str:
    if c.blurb_names:
        return "the link text of the posts' series blurb: the spelling matching its tags, else the most frequent"
    if any(e.signal == "series" for e in c.evidence):
        return "the posts' series front matter"
    if c.title_names:
        return "the posts' shared title prefix"
    return "the most used tag"


def boilerplate_lines(rules) -> list[str]:
    """The `boilerplate:` section of the manifest for the proposed rules (none: no lines)."""
    if not rules:
        return []
    lines = [_line("boilerplate", None, "blocks the posts repeat, removed from every chapter (found by init)")]
    for kind, starts_with, comment in rules:
        lines += [_line("- kind", kind, comment.removesuffix("; found by init"), indent=2),
                  f"    starts_with: {_scalar(starts_with)}"]
    return lines
