"""Drafts: each selected post parsed by pandoc and normalised (blog syntax, boilerplate, heading
levels, lint), then the draft policy (`drafts:`) and duplicate slugs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.compile import blogsyntax, lint, pandoc
from compiler.compile.selection import Entry
from compiler.compile.transforms import stringify
from compiler.compile.transforms.boilerplate import remove_boilerplate
from compiler.compile.transforms.headings import normalise_headings
from compiler.compile.transforms.ids import Heading
from compiler.load.manifest import LoadedManifest
from compiler.model.diagnostics import Diagnostic, Severity, diag


@dataclass
class Draft:
    """A chapter between stages (mutable only inside the compile stage, by one thread at a time)."""
    entry: Entry
    slug: str
    title: str
    blocks: list
    headings: list[Heading]
    idmap: dict[str, str]
    unfinished: bool = False


def _reader_format(flavor: str) -> str:
    base = re.split(r"[+-]", flavor, maxsplit=1)[0]
    return flavor + ("-yaml_metadata_block" if base in ("markdown", "markdown_mmd", "markdown_phpextra") else "")


def parse(loaded: LoadedManifest, entries: list[Entry],
          cache: pandoc.Cache | None = None) -> tuple[list[Draft], list[Diagnostic]]:
    """Each readable post through its blog syntax and pandoc's reader to a Draft (boilerplate
    removed, heading levels normalised, lint run); and the problems found."""
    m = loaded.manifest
    problems: list[Diagnostic] = []
    readable = [e for e in entries if e.post.readable]
    bodies = []
    for e in readable:
        text, found = blogsyntax.preprocess(e.post.body, e.post.rel, e.post.body_line)
        bodies.append(text)
        problems += found

    def prepare(index: int, ast: dict) -> tuple[Draft, set[int], list[Diagnostic]]:
        """One post's AST to a Draft, run as soon as pandoc answers (overlapping pandoc's work)."""
        entry = readable[index]
        post = entry.post
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
    return drafts, problems


def too_deep(d: Draft) -> Diagnostic:
    """A post too deeply nested for the transforms: an error (the book is not written), its chapter emptied."""
    return diag("CB115", d.entry.post.rel, None, pandoc.TOO_DEEP)


def _title_from_heading(blocks: list, fallback: str) -> tuple[str, list]:
    for i, block in enumerate(blocks):
        if block["t"] == "Header":
            return " ".join(stringify(block["c"][2]).split()), blocks[:i] + blocks[i + 1:]
    return fallback, blocks


def apply_draft_policy(loaded: LoadedManifest, drafts: list[Draft]) -> tuple[list[Draft], list[Diagnostic]]:
    """`draft: true`, or unfinished (empty sections, editorial notes) unless `draft: false`:
    the drafts kept, and what was said about each draft."""
    policy = loaded.manifest.drafts
    problems: list[Diagnostic] = []
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
    return kept, problems


def dedupe_slugs(drafts: list[Draft]) -> list[Diagnostic]:
    """A warning for each slug already taken (the chapter gets a numbered id later)."""
    problems: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for d in drafts:
        if d.slug in seen:
            post = d.entry.post
            problems.append(diag("CB108", post.rel, post.meta_line("slug"),
                                 f"slug {d.slug!r} is also used by {seen[d.slug]}; this chapter gets a numbered id. "
                                 "Set a distinct `slug:` in its front matter"))
        else:
            seen[d.slug] = d.entry.post.rel
    return problems
