"""Rendering: each chapter's links walk (`compiler.compile.linking`), pandoc's HTML writer, and
the fragment finished (ids scoped to the chapter, nh3, raw HTML's links and images resolved).

The three overlap: the thread feeding pandoc walks a chapter's links just before sending it, and
the thread receiving pandoc's answer finishes the fragment. Each step returns its values; what
`render` gives back (blocks, fragments, assets, problems) is gathered once every thread joined.
"""

from __future__ import annotations

import html as htmlmod
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from compiler.compile import memos, pandoc
from compiler.compile.drafts import Draft
from compiler.compile.linking import Linked, finish_links, image_outcome, link_outcome, replay
from compiler.compile.transforms.nesting import fix_nesting
from compiler.load.sources import locator
from compiler.compile.transforms.a11y import empty_header_cells
from compiler.compile.transforms.links import LinkContext
from compiler.compile.transforms.sanitize import clean_html
from compiler.model.diagnostics import Diagnostic, diag
from compiler.support.urls import has_scheme

_GENERATED_IDS = re.compile(r'\b(id|href)="(#?)(fn\d+|fnref\d+(?:-\d+)?|footnotes|cb\d+(?:-\d+)?)"')
_IMG_NO_ALT = re.compile(r"<img(?![^>]*\balt=)")
_HREF = re.compile(r'\bhref="([^"]*)"')
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)("[^>]*>)')
HTML_OPTIONS = {"wrap_text": "wrap-none"}


@dataclass(frozen=True)
class Finished:
    """One rendered fragment, finished: its HTML, the images its raw HTML uses, the problems."""
    html: str
    assets: dict[str, Path]
    problems: list[Diagnostic]


@dataclass(frozen=True)
class Rendered:
    """Every chapter after links and rendering, in draft order, and what they gathered."""
    blocks: list                # a chapter's final blocks (kept as JSON), None when not asked for (`ast`)
    html: list[str]
    assets: dict[str, Path]
    problems: list[Diagnostic]


def render(drafts: list[Draft], contexts: list[LinkContext], say, html: bool | str = True,
           cache: pandoc.Cache | None = None, ast: bool = True) -> Rendered:
    """Walk each chapter's links; with `html`, render it through pandoc and finish the fragment.
    `html="raw"` (no backend of the build prints the fragments: the Typst PDF alone) renders only
    the chapters holding raw HTML, whose links and images only the fragment shows (same problems
    reported, fragments of the others left empty).
    With the build cache's memo (`cache.memo`), a chapter stored under its key whose links and
    images still resolve as they did is not done again (compile/memos.py).
    `ast=False`: no chapter's final blocks are given back (no backend reads them); they are kept
    as JSON only for the memo, and not at all without it."""
    memo = getattr(cache, "memo", None)
    keys = [memos.chapter_key(memo, d, c, html) if memo is not None else None for d, c in zip(drafts, contexts)]
    done: dict[int, dict] = {}
    stale: set[int] = set()   # stored, but a link or an image resolves otherwise now
    for i, key in enumerate(keys):   # in this thread, in order: replaying counts the blog's links again
        if key is not None and (value := memo.get("chapter", key)) is not None:
            if (payload := memo.get_raw("chapter-blocks", key)) is None:
                stale.add(i)
            elif replay(value["log"], contexts[i]):
                done[i] = value | {"blocks": memos.StoredBlocks(payload, memo.decode)}
            else:
                stale.add(i)
    todo = [i for i in range(len(drafts)) if i not in done]
    logged = [replace(contexts[i], log=[]) if keys[i] is not None else contexts[i] for i in todo]
    # with the memo, pandoc's answer is kept in the chapter's entry: not kept twice
    rendered = _render([drafts[i] for i in todo], logged, say, html, cache if memo is None else None,
                       keep=ast or memo is not None)
    for k, value in enumerate(rendered):
        i = todo[k]
        done[i] = value
        if keys[i] is not None and not any(p["code"] in ("CB115", "CB150") for p in value["problems"]):
            if isinstance(value["blocks"], memos.StoredBlocks):   # else JSON cannot hold them: not kept
                memo.put_raw("chapter-blocks", keys[i], value["blocks"].payload, again=i in stale)
            memo.put("chapter", keys[i], {**value, "blocks": None, "log": logged[k].log}, again=i in stale)
    assets: dict[str, Path] = {}
    problems: list[Diagnostic] = []
    for i in range(len(drafts)):
        assets.update((href, Path(path)) for href, path in done[i]["assets"].items())
        problems += memos.diagnostics_of(done[i]["problems"])
    return Rendered([done[i]["blocks"] if ast else None for i in range(len(drafts))],
                    [done[i]["html"] or "" for i in range(len(drafts))],
                    dict(sorted(assets.items())), problems)


def _render(drafts: list[Draft], contexts: list[LinkContext], say, html: bool | str, cache,
            keep: bool = True) -> list[dict]:
    """Each chapter's links walk and, with `html`, its fragment: memo values (compile/memos.py).
    `keep=False`: the final blocks are let go, not kept as JSON (nothing will read them)."""
    linked: list[Linked | None] = [None] * len(drafts)

    def prepare(i: int) -> list:
        """Chapter i's links walk, run by the thread feeding pandoc just before the chapter is sent.
        Handed on through `linked[i]`: read by the thread that finishes chapter i (after pandoc
        answered, so after this ran) and by `_render` once every thread joined."""
        linked[i] = _walk(drafts[i], contexts[i])
        return linked[i].blocks

    def compact(i: int) -> None:
        """Chapter i's final blocks kept as JSON bytes (memos.compact; let go without `keep`), and
        the draft's parse, which nothing reads after the walk, let go: a book's memory no longer
        grows with its chapters' ASTs."""
        linked[i] = replace(linked[i], blocks=memos.compact(linked[i].blocks) if keep else None)
        drafts[i].blocks = []

    if html == "raw":   # no backend prints the fragments: render only what raw HTML may report on
        chosen = []
        for i in range(len(drafts)):
            if _has_raw_html(prepare(i)):
                chosen.append(i)
            else:
                compact(i)
        results = [None] * len(drafts)
        if chosen:
            found = render_html([drafts[i] for i in chosen], say, lambda j: linked[chosen[j]].blocks, cache=cache,
                                finish=lambda j, text: finish_html(text, drafts[chosen[j]], contexts[chosen[j]],
                                                                   linked[chosen[j]]))
            for i, result in zip(chosen, found):
                results[i] = result
    elif html and drafts:
        def finish(i: int, text: str) -> Finished:
            finished = finish_html(text, drafts[i], contexts[i], linked[i])
            compact(i)          # sent to pandoc and answered: the blocks are final
            return finished

        results = render_html(drafts, say, prepare, cache=cache, finish=finish)
    else:
        for i, d in enumerate(drafts):
            say(f"resolving links: chapter {i + 1}/{len(drafts)} {d.slug}")
            prepare(i)
        results = [None] * len(drafts)
    values = []
    for i, (d, result) in enumerate(zip(drafts, results)):
        if linked[i] is None:   # never sent (its pandoc process failed first): walked here
            linked[i] = _walk(d, contexts[i])
        compact(i)
        walked = linked[i]
        assets, problems = dict(walked.assets), list(walked.problems)
        if result is not None and result.error:
            problems.append(diag("CB115", d.entry.post.rel, None, f"pandoc could not render this post: {result.error}"))
        finished = result.value if result is not None else None
        if finished is not None:
            assets.update(finished.assets)
            problems += finished.problems
        values.append(memos.chapter_value(walked.blocks, finished.html if finished is not None else None, assets,
                                          problems, []))
    return values


def _walk(d: Draft, ctx: LinkContext) -> Linked:
    """The links walk of one chapter, its blocks read first when they are kept as JSON
    (compile/memos.py `Stored`): one chapter's lists and dicts at a time."""
    if isinstance(d.blocks, memos.Stored):
        d.blocks = d.blocks.load()
    return finish_links(d, ctx)


def _has_raw_html(value) -> bool:
    """Whether pandoc AST `value` holds a raw HTML block or inline."""
    dumped = json.dumps(value)          # in C: most chapters hold no raw element at all
    if '"RawBlock"' not in dumped and '"RawInline"' not in dumped:
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("t") in ("RawBlock", "RawInline") and str(item["c"][0]).lower() == "html":
                return True
            stack.extend(v for v in item.values() if isinstance(v, (list, dict)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (list, dict)))
    return False


def render_html(drafts: list[Draft], say, prepare, finish, cache: pandoc.Cache | None = None) -> list[pandoc.Result]:
    """Render every chapter; `prepare(index)` gives its final blocks just before they are sent to
    pandoc, and `finish(index, html)` finishes each fragment as soon as pandoc returns it."""
    def doc(i: int, d: Draft):
        def make() -> dict:
            say(f"rendering chapter {i + 1}/{len(drafts)} {d.slug}")
            return {"pandoc-api-version": [1, 23, 1, 1], "meta": {}, "blocks": prepare(i)}
        return make

    say(f"rendering {len(drafts)} chapters")
    return pandoc.write_many([doc(i, d) for i, d in enumerate(drafts)], "html5", HTML_OPTIONS,
                             finish=finish, cache=cache)


def finish_html(html: str, d: Draft, links: LinkContext, linked: Linked) -> Finished:
    """Scope pandoc's generated ids (footnotes, code lines) to the chapter, sanitise, then resolve
    what raw HTML still points at (its links, anchors and images never went through the AST).
    `linked` is the chapter's links walk (its images are already resolved)."""
    html = _GENERATED_IDS.sub(lambda m: f'{m[1]}="{m[2]}{d.slug}--{m[3]}"', html)
    html = empty_header_cells(_IMG_NO_ALT.sub('<img alt=""', fix_nesting(clean_html(html))))   # misnested raw HTML made valid
    post = d.entry.post
    assets: dict[str, Path] = {}
    problems: list[Diagnostic] = []

    where = locator(post, d.reported)   # each occurrence at its own line

    def report(code, needle, message):
        problems.append(diag(code, post.rel, where(needle), message))

    def href(m: re.Match) -> str:
        url = htmlmod.unescape(m[1])
        if url.startswith("#" + d.slug + "--") or has_scheme(url) or not url:
            return m[0]
        out = link_outcome(url, links)
        if not url.startswith(("/", "#")) and not (out.url or "").startswith("#"):
            return m[0]  # relative to the original post's URL, which only the HTML backend knows
        if out.code:
            report(out.code, url, out.message)
        return f'href="{htmlmod.escape(out.url or "#" + d.slug)}"'

    def img(m: re.Match) -> str:
        src = htmlmod.unescape(m[2])
        if src.startswith("assets/") and src in linked.assets:
            return m[0]
        out = image_outcome(src, links)
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
    return Finished(_IMG_SRC.sub(img, html), assets, problems)
