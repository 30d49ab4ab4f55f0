"""Anchors the author wrote, as link targets: the ids their blog engine gave headings (GitHub,
kramdown, Hugo), and the `id`/`<a name>` of raw HTML and of `{#id}` spans and divs.

A link `other-post.html#why-not--just-use-x` was written against the blog's page, where the
heading id came from the engine's own rule; here each heading's id has pandoc's spelling. Each
chapter's id map (old id -> book id) therefore also holds the other engines' spellings of its
headings, and the ids of its raw-HTML anchors, which `scope_raw_ids` renames in the HTML itself.
"""

from __future__ import annotations

import json
import re
import unicodedata


_TAG = re.compile(r"<([A-Za-z][\w-]*)(\s[^<>]*?)?(/?)>")
_ID_ATTR = re.compile(r"""(\s)(id|name)(\s*=\s*)(["'])(.*?)\4""", re.IGNORECASE | re.DOTALL)


def github_id(text: str) -> str:
    """github-slugger (also Hugo/goldmark's `github` ids): lower case, every character but letters,
    digits, marks, `-` and `_` dropped, each space a hyphen (so `A & B` gives `a--b`)."""
    kept = "".join(c for c in text.lower() if c in " -_" or c.isalnum() or unicodedata.category(c).startswith("M"))
    return kept.replace(" ", "-")


def kramdown_id(text: str) -> str:
    """kramdown's auto_ids: leading non-letters dropped, then anything but ASCII letters, digits,
    spaces and hyphens, each space a hyphen, lower case; `section` when nothing is left."""
    result = re.sub(r"^[^a-zA-Z]+", "", text)
    result = re.sub(r"[^a-zA-Z0-9 -]", "", result).replace(" ", "-").lower()
    return result or "section"


def heading_aliases(headings, idmap: dict[str, str]) -> dict[str, str]:
    """`idmap` with each heading's GitHub, kramdown and Hugo ids added (the first heading wins)."""
    out = dict(idmap)
    seen: dict[str, int] = {}
    for heading in headings:
        for spelling in (github_id(heading.text), kramdown_id(heading.text)):
            if not spelling:
                continue
            n = seen.get(spelling, 0)
            seen[spelling] = n + 1
            out.setdefault(spelling if n == 0 else f"{spelling}-{n}", heading.id)
    return out


_RAW_JSON = re.compile(r'\{"t": "Raw(?:Block|Inline)", "c": \["(?:html|html4|html5)", ("(?:[^"\\]|\\.)*")\]\}', re.IGNORECASE)
_ATTR_JSON = re.compile(r'\[\["((?:[^"\\]|\\.)+)", \[')


def written_ids(blocks: list, slug: str, authored: list | None = None) -> dict[str, str]:
    """Ids the author gave elements other than headings: `{#id}` attributes and raw HTML `id` or
    `<a name>`, each mapped to its book-wide spelling `<slug>--<id>`. `authored`: the blocks'
    `authored_ids`, when known (kept with the post in the build cache)."""
    found: dict[str, str] = {}
    for ident, raw in authored_ids(blocks) if authored is None else authored:
        if raw or not ident.startswith(slug + "--"):
            found.setdefault(ident, scoped(ident, slug))
    return found


def authored_ids(blocks: list) -> list[tuple[str, bool]]:
    """The ids `written_ids` scopes, in its order: (id, whether it is raw HTML's).

    The AST is searched as JSON text (one C-speed pass instead of a walk of every element). A
    heading's Attr never follows `[` (its level comes first), so heading ids are not among them:
    the list is the same before and after `assign_ids` gives headings their book-wide ids."""
    text = json.dumps(blocks, ensure_ascii=False)
    found: list[tuple[str, bool]] = []
    for m in _ATTR_JSON.finditer(text):
        found.append((json.loads(f'"{m[1]}"'), False))
    for m in _RAW_JSON.finditer(text):
        raw = json.loads(m[1])
        for tag in _TAG.finditer(raw):
            for a in _ID_ATTR.finditer(tag[2] or ""):
                if a[2].lower() == "id" or tag[1].lower() == "a":
                    found.append((a[5], True))
    return found


def scoped(ident: str, slug: str) -> str:
    return ident if ident.startswith(slug + "--") else f"{slug}--{ident}"


def scope_raw_ids(text: str, slug: str) -> str:
    """Raw HTML with its ids (and `<a name>`, obsolete in HTML5) renamed `id="<slug>--<id>"`."""
    def tag(m: re.Match) -> str:
        attrs = m[2] or ""
        if not attrs:
            return m[0]

        def attr(a: re.Match) -> str:
            if a[2].lower() == "name" and m[1].lower() != "a":
                return a[0]
            return f'{a[1]}id{a[3]}{a[4]}{scoped(a[5], slug)}{a[4]}'
        new = _ID_ATTR.sub(attr, attrs)
        if new.lower().count(" id=") > 1:   # <a name="x" id="x">: one id is enough
            first = True

            def once(a: re.Match) -> str:
                nonlocal first
                if a[2].lower() != "id":
                    return a[0]
                keep, first = first, False
                return a[0] if keep else ""
            new = _ID_ATTR.sub(once, new)
        return f"<{m[1]}{new}{m[3]}>"
    return _TAG.sub(tag, text)
