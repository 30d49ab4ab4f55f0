"""Drafts: each selected post parsed by pandoc and normalised (blog syntax, boilerplate, heading
levels, lint), then the draft policy (`drafts:`) and duplicate slugs."""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from compiler.compile import blogsyntax, depth, lint, memos, pandoc
from compiler.compile.selection import Entry
from compiler.load.sources import slug_key
from compiler.compile.transforms import stringify
from compiler.compile.repeated import edge_data
from compiler.compile.transforms.anchors import authored_ids
from compiler.compile.transforms.boilerplate import remove_boilerplate
from compiler.compile.transforms.headings import normalise_headings
from compiler.compile.transforms.ids import Heading
from compiler.compile.transforms.unclosed import close_unclosed
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
    unfinished: str = ""        # why the post looks unfinished ("" when it does not)
    original: str | None = None      # the post's address on the blog, when its permalink is known
    byline: tuple[str, ...] = ()     # the post's authors, when they are not the book's
    reported: set = field(default_factory=set)   # (needle, line) already reported: see sources.locator
    title_html: str = ""                         # see compile/titles.py
    key: str = ""       # the post's key in the build cache's memo ("" when not kept: compile/memos.py)
    authored: list | None = None   # anchors.authored_ids of the blocks, when known (permalinks/__init__.py)
    edges: list | None = None      # repeated.edge_data of the blocks, when known


def _reader_format(flavor: str) -> str:
    base = re.split(r"[+-]", flavor, maxsplit=1)[0]
    return flavor + ("-yaml_metadata_block" if base in ("markdown", "markdown_mmd", "markdown_phpextra") else "")


def parse(loaded: LoadedManifest, entries: list[Entry], cache: pandoc.Cache | None = None,
          say=None) -> tuple[list[Draft], list[Diagnostic]]:
    """Each readable post through its blog syntax and pandoc's reader to a Draft (boilerplate
    removed, heading levels normalised, lint run); and the problems found. `say(message)`, when
    given, is told how many posts are done. With the build cache's memo (`cache.memo`), a post
    whose key is stored is not parsed again (compile/memos.py)."""
    m = loaded.manifest
    fmt = _reader_format(m.markdown_flavor)
    memo = getattr(cache, "memo", None)
    problems: list[Diagnostic] = []
    readable = [e for e in entries if e.post.readable]
    keys = [memos.post_key(memo, e, fmt, m) if memo is not None else None for e in readable]
    stored: dict[int, tuple[Draft, set[int], list[Diagnostic]]] = {}
    for i, (e, key) in enumerate(zip(readable, keys)):
        if key is None or (value := memo.get("post", key)) is None or (payload := memo.get_raw("post-blocks", key)) is None:
            continue
        blocks = memos.Stored(payload, memo.decode, value["size"], value["heads"])
        stored[i] = (Draft(e, e.post.slug, value["title"], blocks, [], {}, unfinished=value["unfinished"], key=key,
                           authored=[tuple(a) for a in value["authored"]], edges=value["edges"]),
                     set(value["used"]), memos.diagnostics_of(value["found"]))
        problems += memos.diagnostics_of(value["before"])
    todo = [i for i in range(len(readable)) if i not in stored]
    bodies, before = [], {}
    for i in todo:
        post = readable[i].post
        text, found = blogsyntax.preprocess(post.body, post.rel, post.body_line)
        bodies.append(text)
        before[i] = found
        problems += found

    done = itertools.count(len(stored) + 1)
    lock = threading.Lock()

    def prepare(k: int, ast: dict) -> tuple[Draft, set[int], list[Diagnostic]]:
        """One post's AST to a Draft, run as soon as pandoc answers (overlapping pandoc's work)."""
        if say:
            with lock:
                say(f"parsing posts: {next(done)}/{len(readable)}")
        draft, used, found = _prepare(readable[todo[k]], ast, m, fmt)
        try:
            draft.authored, draft.edges = authored_ids(draft.blocks), edge_data(draft.blocks)
            value = memos.post_value(draft, used, found, before[todo[k]])
        except RecursionError:   # too deep to describe: not kept (the steps after it say why)
            draft.authored = draft.edges = None
            return draft, used, found
        if (payload := memos.encode(draft.blocks)) is None:
            return draft, used, found
        if (key := keys[todo[k]]) is not None:
            draft.key = key
            memo.put_raw("post-blocks", key, payload)
            memo.put("post", key, value)
        if draft.blocks:   # kept as JSON until the chapter is rendered, as a post from the memo is:
            # the book-wide steps read only what `value` holds, so every post's lists and dicts are
            # never all in memory at once
            draft.blocks = memos.Stored(payload, memos.decode, value["size"], value["heads"])
        return draft, used, found

    # with the memo, a post's parse is kept there (with what follows it): pandoc's answers are not kept twice
    results = dict(zip(todo, pandoc.read_many(bodies, fmt, finish=prepare, cache=cache if memo is None else None)))
    drafts = []
    used_rules: set[int] = set()
    for i, entry in enumerate(readable):
        if i in stored:
            draft, used, found = stored[i]
        elif (result := results[i]).error == pandoc.TOO_DEEP:   # too deep even for the AST to be loaded
            post = entry.post
            problems.append(diag("CB150", post.rel, depth.deepest_line(post.body.split("\n"), post.body_line),
                                 depth.message()))
            continue
        elif result.error:
            problems.append(diag("CB115", entry.post.rel, None, f"pandoc could not read this post: {result.error}"))
            continue
        else:
            draft, used, found = result.value
        used_rules |= used
        problems += found
        drafts.append(draft)
    for i, rule in enumerate(m.boilerplate):
        if i not in used_rules and drafts:
            problems.append(diag("CB118", loaded.name, loaded.line("boilerplate", i), f"boilerplate rule {i + 1} removed nothing"))
    return drafts, problems


def _prepare(entry: Entry, ast: dict, m, fmt: str) -> tuple[Draft, set[int], list[Diagnostic]]:
    """One post's AST to a Draft: raw-text elements left unclosed closed (transforms/unclosed.py),
    boilerplate removed, title, heading levels normalised, lint run."""
    post = entry.post
    deep = depth.too_deep(ast["blocks"])
    if deep:   # refused before any recursive transform: every word in every output, or an error
        found = [diag("CB150", post.rel, post.locate(deep[1]) if deep[1] else None, depth.message(deep[0]))]
        return Draft(entry, post.slug, post.title, [], [], {}), set(), found

    def reread(text: str) -> list:
        """The blocks of a piece of a post's Markdown (see transforms/unclosed.py)."""
        result = pandoc.read_many([text], fmt)[0]
        return result.value["blocks"] if result.value else [{"t": "Para", "c": [{"t": "Str", "c": text}]}]

    blocks, closed = close_unclosed(ast["blocks"], post, reread)
    blocks, used = remove_boilerplate(blocks, m.boilerplate)
    title = post.title
    if entry.kind != "chapter" and "title" not in post.meta:
        title, blocks = _title_from_heading(blocks, title)
    blocks = lint.drop_definition_headings(post, blocks)
    found = lint.heading_jumps(post, blocks, title) + lint.images_without_alt(post, blocks)
    blocks = normalise_headings(blocks, title)
    empty = lint.empty_sections(post, blocks)
    notes = lint.editorial_notes(post, blocks, m.editorial_notes)
    return Draft(entry, post.slug, title, blocks, [], {}, unfinished=unfinished(blocks, empty, notes)), used, closed + found + empty + notes


def too_deep(d: Draft) -> Diagnostic:
    """A post too deeply nested for the transforms: an error (the book is not written), its chapter emptied."""
    return diag("CB115", d.entry.post.rel, None, pandoc.TOO_DEEP)


def _title_from_heading(blocks: list, fallback: str) -> tuple[str, list]:
    for i, block in enumerate(blocks):
        if block["t"] == "Header":
            return " ".join(stringify(block["c"][2]).split()), blocks[:i] + blocks[i + 1:]
    return fallback, blocks


def unfinished(blocks: list, empty: list[Diagnostic], notes: list[Diagnostic]) -> str:
    """Why a post is unmistakably unfinished, or "": an editorial note to self, two or more empty
    sections, or no text at all. One empty section alone is only that (CB101), not a draft."""
    if notes:
        what = f"an editorial note {notes[0].message.split(': ', 1)[-1]}"
        return what + (f" and {len(empty)} empty section{'s' * (len(empty) > 1)}" if empty else "")
    if len(empty) >= 2:
        return f"{len(empty)} empty sections"
    if not blocks:
        return "no text"
    return ""


def draft_reason(post, unfinished_because: str, now: datetime) -> tuple[str, str] | None:
    """(why, front-matter key for the line) when the post is a draft, else None. A draft is what the
    front matter says (`draft: true`, Jekyll's `published: false`, a date after the build: blog engines
    publish such posts only then; today's date, even under SOURCE_DATE_EPOCH), or an unmistakably unfinished post that does not say `draft: false`."""
    if post.draft is True:
        return "it is marked `draft: true`", "draft"
    if post.meta.get("published") is False:
        return "it is marked `published: false`", "published"
    if post.draft is None and post.date is not None and _utc(post.date) > now:
        return f"it is dated {post.date.date().isoformat()}, after this build", "date"
    if post.draft is None and unfinished_because:
        return f"it holds {unfinished_because}", "title"
    return None


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def apply_draft_policy(loaded: LoadedManifest, drafts: list[Draft]) -> tuple[list[Draft], list[Diagnostic]]:
    """Drafts (see `draft_reason`) go by `drafts:`: the drafts kept, and what was said about each."""
    policy = loaded.manifest.drafts
    problems: list[Diagnostic] = []
    kept = []
    now = datetime.now(timezone.utc)   # the real today, not SOURCE_DATE_EPOCH: "not yet published" is about the blog
    for d in drafts:
        post = d.entry.post
        reason = draft_reason(post, d.unfinished, now)
        d.unfinished = reason[0] if reason else ""
        if reason is None or policy == "include":
            kept.append(d)
            continue
        why, key = reason
        line = post.meta_line(key)
        if policy == "exclude":
            problems.append(diag("CB111", post.rel, line, f"draft left out of the book: {why}", Severity.INFO))
            continue
        severity = Severity.ERROR if policy == "error" else Severity.WARNING
        problems.append(diag("CB111", post.rel, line, f"draft included in the book: {why}; "
                             "`drafts: exclude` in book.yml leaves drafts out", severity))
        kept.append(d)
    return kept, problems


def dedupe_slugs(drafts: list[Draft]) -> list[Diagnostic]:
    """Slugs that are the same once case and Unicode normalisation are ignored (`Hello-World.md`
    and `hello-world.md`, the same name in two folders) would give one file name on many file
    systems: the later chapter is renamed (`-2`, `-3`…) and a warning names both files; info when
    the posts' dates differ (a blog's dated permalinks told them apart, links by date find each)."""
    problems: list[Diagnostic] = []
    folded = {slug_key(d.slug) for d in drafts}
    seen: dict[str, str] = {}
    dated: dict[str, set] = {}   # folded slug -> the days of the posts using it
    for d in drafts:
        key = slug_key(d.slug)
        post = d.entry.post
        day = post.date.date() if post.date else None
        if key in seen:
            n = 2
            while slug_key(f"{d.slug}-{n}") in folded:
                n += 1
            new = f"{d.slug}-{n}"
            other = seen[key] + (" (the same name in another Unicode normalisation, NFC/NFD)"
                                 if slug_key(seen[key]) == slug_key(post.rel) else "")
            apart = day is not None and None not in dated[key] and day not in dated[key]
            dated[key].add(day)
            problems.append(diag("CB108", post.rel, post.meta_line("slug"),
                                 f"slug {d.slug!r} is also used by {other} (ignoring case and accents); this "
                                 f"chapter becomes {new!r}. Set a distinct `slug:` in its front matter",
                                 Severity.INFO if apart else None))
            d.slug, key = new, slug_key(new)
            folded.add(key)
        dated.setdefault(key, {day})
        seen[key] = post.rel
    return problems


