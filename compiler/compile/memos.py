"""What the compile stage keeps in the build cache's memo (`compiler.build.memo`), and the keys.

- **post** (`drafts.parse`): one post's blog syntax, pandoc's parse and the per-post steps
  (boilerplate, title, heading levels, lint) — the Draft's title, blocks and `unfinished`, the
  boilerplate rules it used and its diagnostics. Keyed by the whole `Post` (its repr: path, file
  lines, front matter, body, title, slug…), its entry kind, the reader format, the manifest options
  those steps read (`boilerplate`, `editorial_notes`) and Chapbook's code and pandoc's version (the
  memo's folder). The key is kept on the Draft (`Draft.key`).
- **chapter** (`rendering.render`): one chapter's links walk, pandoc's HTML and the finished
  fragment. Keyed by the post's key, the chapter's slug, title and book-wide heading ids (the
  blocks `assign_ids` made are the post's blocks with those ids), and the link context but its
  routes. What the routes and the files say is not in the key: the walk records every link and
  image it resolved and the answer (`LinkContext.log`); a stored chapter is used only when each
  of them, resolved again now, gives the same answer. So a heading renamed in one post changes
  the chapters that link to it, an image added or removed changes those that show it, and nothing
  else is redone. Resolving again also repeats the one side effect of resolving (the count of
  absolute links to the blog, `Routes.suspects`): `linking.replay`.
"""

from __future__ import annotations

from pathlib import Path

from compiler.compile.transforms.ids import apply_ids, heading_heads
from compiler.compile.transforms.links import LinkContext
from compiler.model.diagnostics import Diagnostic, Severity
from compiler.support import jsonbytes


def diagnostics_json(found: list[Diagnostic]) -> list[dict]:
    return [d.to_json() for d in found]


def diagnostics_of(data: list[dict]) -> list[Diagnostic]:
    return [Diagnostic(**d | {"severity": Severity(d["severity"])}) for d in data]


def post_key(memo, entry, fmt: str, manifest) -> str | None:
    """The memo key of a post's parse and per-post steps (None: not kept, see below)."""
    described = repr(entry.post)
    if " at 0x" in described:   # a value without a stable description: never trusted as a key
        return None
    return memo.key("post", described, entry.kind, fmt,
                    [rule.model_dump(mode="json") for rule in manifest.boilerplate], list(manifest.editorial_notes))


def post_value(draft, used: set[int], found: list[Diagnostic], before: list[Diagnostic]) -> dict:
    """`before`: the blog syntax pass's diagnostics (it runs before pandoc). Beside the blocks (kept
    apart: "post-blocks"), what the book-wide steps read of them: their number, their headings
    (ids.heading_heads), the ids the author gave elements (anchors.authored_ids) and the first and
    last blocks (repeated.edge_data)."""
    return {"title": draft.title, "unfinished": draft.unfinished, "used": sorted(used),
            "found": diagnostics_json(found), "before": diagnostics_json(before), "authored": draft.authored,
            "edges": draft.edges, "size": len(draft.blocks), "heads": heading_heads(draft.blocks)}


class Stored:
    """A post's blocks as the build cache holds them (checked, not yet read): the book-wide steps
    read their number and headings (`assign_ids` gives the ids), and only a chapter that is
    rendered again reads the blocks themselves (`load`)."""

    def __init__(self, payload: bytes, decode, size: int, heads: list, ids: list[str] | None = None):
        self.payload, self.decode, self.size, self.heads, self.ids = payload, decode, size, heads, ids

    def __len__(self) -> int:
        return self.size

    def with_ids(self, ids: list[str]) -> "Stored":
        return Stored(self.payload, self.decode, self.size, self.heads, ids)

    def load(self) -> list:
        blocks = self.decode(self.payload)
        return apply_ids(blocks, self.ids) if self.ids is not None else blocks


def chapter_key(memo, d, ctx: LinkContext, html: bool) -> str | None:
    if not d.key:
        return None
    return memo.key("chapter", d.key, html, d.slug, d.title, [h.id for h in d.headings], d.idmap, len(d.blocks),
                    sorted(d.reported), ctx.slug, str(ctx.post_dir), str(ctx.root), ctx.site_url, ctx.network)


def chapter_value(blocks: list, html: str | None, assets: dict[str, Path], problems: list[Diagnostic],
                  log: list) -> dict:
    return {"blocks": blocks, "html": html, "assets": {k: str(v) for k, v in assets.items()},
            "problems": diagnostics_json(problems), "log": log}


class StoredAst(dict):
    """A chapter's AST whose blocks are still in the build cache (checked, not yet read): a dict
    like any other once anything of it is looked at (the blocks are read then). The HTML, EPUB and
    PDF backends never look (they use the chapter's HTML): an edit build does not read every
    chapter's blocks for them."""

    def __init__(self, payload: bytes, decode):
        super().__init__({"pandoc-api-version": [1, 23, 1, 1], "meta": {}})
        self._payload, self._decode = payload, decode

    def _load(self) -> None:
        if self._payload is not None:
            dict.__setitem__(self, "blocks", self._decode(self._payload))
            self._payload = None

    def __getitem__(self, key):
        self._load()
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        self._load()
        return dict.get(self, key, default)

    def __iter__(self):
        self._load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._load()
        return dict.__len__(self)

    def __contains__(self, key) -> bool:
        self._load()
        return dict.__contains__(self, key)

    def __eq__(self, other) -> bool:
        self._load()
        return dict.__eq__(self, other)

    __hash__ = None

    def __repr__(self) -> str:
        self._load()
        return dict.__repr__(self)

    def keys(self):
        self._load()
        return dict.keys(self)

    def values(self):
        self._load()
        return dict.values(self)

    def items(self):
        self._load()
        return dict.items(self)

    def copy(self) -> dict:
        self._load()
        return dict(dict.items(self))

    def __reduce__(self):
        self._load()
        return (dict, (dict(dict.items(self)),))


def chapter_ast(blocks) -> dict:
    """A chapter's `ast`: its blocks, or a `StoredAst` when they are kept as JSON; None: not kept
    (no backend of the build reads it), an AST with no blocks."""
    if blocks is None:
        return {"pandoc-api-version": [1, 23, 1, 1], "meta": {}, "blocks": []}
    if isinstance(blocks, StoredBlocks):
        return StoredAst(blocks.payload, blocks.decode)
    return {"pandoc-api-version": [1, 23, 1, 1], "meta": {}, "blocks": blocks}


class StoredBlocks:
    """A chapter's final blocks as JSON bytes: as the build cache holds them (see `StoredAst`),
    or kept so by `compact` in a build without the cache."""

    def __init__(self, payload: bytes, decode):
        self.payload, self.decode = payload, decode


def encode(blocks) -> bytes | None:
    """Blocks as JSON bytes (as the memo writes them), or None when JSON cannot hold them
    (nesting past orjson's limit and the standard library's)."""
    try:
        return jsonbytes.dumps(blocks)
    except (TypeError, ValueError, RecursionError):
        return None


decode = jsonbytes.loads


def compact(blocks):
    """A chapter's final blocks as JSON bytes (`StoredBlocks`): about a tenth of the memory of
    the lists and dicts, which on a 1,000-post book were 0.7 GB of the 1 GB a build held. Read
    back only by the backends that print from the AST (DOCX, Typst), one chapter at a time.
    Blocks that JSON cannot hold stay as they are."""
    if isinstance(blocks, StoredBlocks) or (payload := encode(blocks)) is None:
        return blocks
    return StoredBlocks(payload, decode)
