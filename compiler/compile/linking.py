"""Links, images, unsafe HTML: one walk per chapter over its AST, once every chapter's ids and
routes are known. Returns the blocks to render, the images used (assets) and the problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler.compile.drafts import Draft, too_deep
from compiler.compile.transforms import ATTR_INDEX, attr_of, walk, with_attr
from compiler.compile.transforms.anchors import scope_raw_ids
from compiler.compile.transforms.notes import tidy_notes
from compiler.load.sources import locator
from compiler.support.images import oversized
from compiler.support.remote import remote_image_problem
from compiler.compile.transforms.links import ImageOutcome, LinkContext, LinkOutcome, Routes, resolve_image, resolve_link
from compiler.compile.transforms.sanitize import clean_attr, dropped_content, is_dangerous
from compiler.load.manifest import LoadedManifest
from compiler.model.diagnostics import Diagnostic, diag


def link_context(d: Draft, loaded: LoadedManifest, routes: Routes) -> LinkContext:
    """What resolving the chapter's links needs: its slug and folder, the book's routes, the site."""
    post, m = d.entry.post, loaded.manifest
    return LinkContext(d.slug, post.path.parent, loaded.root, routes, m.site_url, m.network,
                       checked=routes.remote_images)   # each remote image fetched once per build


@dataclass(frozen=True)
class Linked:
    """One chapter after its links walk: the blocks to render, the images it uses, the problems."""
    blocks: list
    assets: dict[str, Path]
    problems: list[Diagnostic]


def finish_links(d: Draft, ctx: LinkContext) -> Linked:
    post = d.entry.post
    assets: dict[str, Path] = {}
    problems: list[Diagnostic] = []

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
        out = link_outcome(url, ctx)
        if out.code:
            report(out.code, url, out.message)
        cleaned = safe(attr)
        inlines = walk(inlines, handlers)
        if out.url is None:
            return {"t": "Span", "c": [["", [], []], inlines]}
        return {"t": "Link", "c": [cleaned, inlines, [out.url, title]]}

    def image(el):
        attr, alt, (url, title) = el["c"]
        out = image_outcome(url, ctx)
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
            if fmt.lower() == "typst":     # never run: the Typst PDF engine typesets posts as text
                report("CB271", text.strip().split("\n")[0][:40], "raw Typst block dropped (posts cannot run Typst code)")
            return []
        if is_dangerous(text):
            report("CB112", text.strip().split("\n")[0][:40], f"raw HTML with script-like content sanitised: {text.strip()[:60]!r}")
        elif tag := dropped_content(text):
            report("CB140", f"<{tag}", f"raw HTML <{tag}> left out with its content (it would print as markup)")
        scoped = scope_raw_ids(text, d.slug)
        return None if scoped == text else {"t": el["t"], "c": [fmt, scoped]}

    handlers = {
        "Link": link, "Image": image, "RawBlock": raw, "RawInline": raw,
        **{t: attrs for t in ATTR_INDEX if t not in ("Link", "Image")},
    }
    try:
        return Linked(tidy_notes(walk(d.blocks, handlers)), assets, problems)
    except RecursionError:
        return Linked([], assets, problems + [too_deep(d)])


def refuse_oversized(out: ImageOutcome, url: str, ctx: LinkContext) -> ImageOutcome:
    """A raster image with more pixels than images.MAX_PIXELS is left out of every output: a local
    one, or a remote one the manifest allows (also when over the size or time bounds of
    support/remote.py)."""
    if out.source is not None:
        why = oversized(out.source)
    elif ctx.network and out.href and out.href.lower().startswith(("http://", "https://")):
        why = remote_image_problem(out.href, ctx.checked)
    else:
        why = None
    return ImageOutcome(None, None, "CB116", f"image {url}: {why}: left out") if why else out


def link_outcome(url: str, ctx: LinkContext) -> LinkOutcome:
    """`resolve_link`, recorded in `ctx.log` when the context keeps one (see compile/memos.py)."""
    out = resolve_link(url, ctx)
    if ctx.log is not None:
        ctx.log.append(["link", url, outcome_json(out)])
    return out


def image_outcome(url: str, ctx: LinkContext) -> ImageOutcome:
    """`resolve_image` and the size check, recorded in `ctx.log` when the context keeps one."""
    out = refuse_oversized(resolve_image(url, ctx), url, ctx)
    if ctx.log is not None:
        ctx.log.append(["image", url, outcome_json(out)])
    return out


def outcome_json(out: LinkOutcome | ImageOutcome) -> list:
    if isinstance(out, LinkOutcome):
        return [out.url, out.code, out.message]
    return [out.href, str(out.source) if out.source is not None else None, out.code, out.message]


def replay(log: list, ctx: LinkContext) -> bool:
    """Resolve every recorded link and image again: True when each gives the recorded answer.
    On False, the suspects count is left as it was before (nothing of the chapter counted)."""
    suspects = dict(ctx.routes.suspects) if ctx.routes.suspects is not None else None
    for kind, url, answer in log:
        again = link_outcome(url, ctx) if kind == "link" else image_outcome(url, ctx)
        if outcome_json(again) != answer:
            if suspects is not None:
                ctx.routes.suspects.clear()
                ctx.routes.suspects.update(suspects)
            return False
    return True
