"""The first and last blocks of each post, read from its Markdown (markdown-it-py, CommonMark), for
`chapbook init`: repeated ones become proposed `boilerplate` rules (compiler.compile.repeated), and
those linking to a tag or series page name a series and its display name (compiler.init.series)."""

from __future__ import annotations

import re
from functools import cache

from markdown_it import MarkdownIt

from compiler.compile import blogsyntax
from compiler.compile.repeated import Edge, Group, repeated
from compiler.load.sources import Post

_KINDS = {"blockquote_open": "blockquote", "paragraph_open": "paragraph", "heading_open": "heading"}


_DEFINITION = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:")


@cache
def _parser(inline: bool = True) -> MarkdownIt:
    md = MarkdownIt("commonmark")
    return md if inline else md.disable("inline")


def edges(post: Post) -> list[Edge]:
    """The post's first and last top-level blocks (thematic breaks and HTML comments aside). The
    whole post is split into blocks; only those two are parsed further (with the post's link
    reference definitions), which keeps a blog of hundreds of posts quick."""
    try:
        text, _ = blogsyntax.preprocess(post.body, post.rel, post.body_line)
        spans = [t.map for t in _parser(False).parse(text) if t.level == 0 and t.map and t.nesting >= 0
                 and t.type not in ("hr",) and not (t.type == "html_block" and t.content.lstrip().startswith("<!--"))]
        lines = text.split("\n")
        definitions = [line for line in lines if _DEFINITION.match(line)]
        picked = [spans[0]] + ([spans[-1]] if len(spans) > 1 else [])
        tokens = []
        for start, end in picked:
            tokens += _parser().parse("\n".join(lines[start:end] + [""] + definitions))
    except Exception:   # noqa: BLE001 - a post init cannot read gives no evidence, never a traceback
        return []
    blocks: list[tuple[str, list]] = []
    depth, current = 0, None
    for tok in tokens:
        if depth == 0:
            if tok.type in ("hr", "reference") or (tok.type == "html_block" and tok.content.lstrip().startswith("<!--")):
                continue
            kind = _KINDS.get(tok.type) or ("div" if tok.type == "html_block" and tok.content.lstrip()[:4].lower() == "<div"
                                            else "other")
            current = []
            blocks.append((kind, current))
            if tok.type == "html_block":
                current.append(tok)
        else:
            current.append(tok)
        depth += tok.nesting
    picked = [("top", blocks[0])] if blocks else []
    if len(blocks) > 1:
        picked.append(("bottom", blocks[-1]))
    return [Edge(post.rel, position, kind, *_text_and_links(toks)) for position, (kind, toks) in picked]


def _text_and_links(tokens) -> tuple[str, tuple[tuple[str, str], ...]]:
    words, links = [], []
    for tok in tokens:
        if tok.type == "html_block":
            words.append(tok.content)
        for child in tok.children or ():
            if child.type == "link_open":
                links.append([child.attrGet("href") or "", ""])
            elif child.type in ("text", "code_inline"):
                words.append(child.content)
                if links and links[-1][1] is not None and _inside_link(tok.children, child):
                    links[-1][1] += child.content
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
    return " ".join("".join(words).split()), tuple((url, " ".join(text.split())) for url, text in links)


def _inside_link(children, child) -> bool:
    depth = 0
    for c in children:
        if c is child:
            return depth > 0
        if c.type == "link_open":
            depth += 1
        elif c.type == "link_close":
            depth -= 1
    return False


def proposals(posts) -> list[Group]:
    """Repeated opening and closing blocks of these posts: proposed boilerplate rules."""
    return repeated([e for post in posts for e in edges(post)])
