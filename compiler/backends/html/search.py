"""The search index: every section of every chapter as plain text, built at compile time.

The reader's browser searches it with the theme's own script (`search.js`), so search needs no
server, no CDN and no fetch(): the index is a JavaScript file that sets one global, which a
`<script src>` can load even from file://. Sections are split at the chapter's headings, so a
result links to the heading nearest the words found.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

from compiler.backends.html.plan import Plan
from compiler.backends.pieces import chapter_digest
from compiler.model.book import Chapter

GLOBAL = "chapbookSearchIndex"
_HEADING = re.compile(r'<h[2-6]\b[^>]*?\sid="([^"]+)"')
_BLOCK = re.compile(r"<(?=/?(?:p|div|li|ul|ol|dl|dt|dd|h[1-6]|pre|br|hr|tr|td|th|table|blockquote|section|figure|"
                    r"figcaption|details|summary)[\s/>])")
_ANY_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')
_BACKLINK = re.compile(r'<a\b[^>]*class="footnote-back"[^>]*>.*?</a>', re.S)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Section:
    page: int       # index into the plan's entries
    anchor: str     # element id to link to
    heading: str
    text: str


def sections(plan: Plan, pieces=None) -> list[Section]:
    """Every chapter's sections; `pieces` (backends/pieces.py) keeps each chapter's in the build cache."""
    if pieces is None:
        return [s for i, chapter in enumerate(plan.chapters) for s in chapter_sections(i, chapter)]
    found = []
    for i, chapter in enumerate(plan.chapters):
        own = (i, chapter_digest(chapter))
        kept = pieces.get(*own)
        if kept is None:
            kept = [[s.anchor, s.heading, s.text] for s in chapter_sections(i, chapter)]
            pieces.put(kept, *own)
        found += [Section(i, anchor, heading, text) for anchor, heading, text in kept]
    return found


def chapter_sections(page: int, chapter: Chapter) -> list[Section]:
    """The chapter's opening (anchored at its title) and one section per heading."""
    titles = {h.id: h.text for h in chapter.headings}
    body = _BACKLINK.sub("", chapter.html)
    cuts = [(m.start(), m[1]) for m in _HEADING.finditer(body) if m[1] in titles]
    starts = [0] + [pos for pos, _ in cuts]
    ends = starts[1:] + [len(body)]
    anchors = [(chapter.slug, chapter.title)] + [(ident, titles[ident]) for _, ident in cuts]
    out = []
    for (anchor, heading), start, end in zip(anchors, starts, ends):
        text = plain_text(body[start:end])
        if anchor != chapter.slug and text.startswith(heading):
            text = text[len(heading):].lstrip()
        if text or anchor == chapter.slug:
            out.append(Section(page, anchor, heading, text))
    return out


def plain_text(fragment: str) -> str:
    text = _ANY_TAG.sub("", _BLOCK.sub(" <", fragment))   # blocks end words; inline tags do not
    return _SPACE.sub(" ", html.unescape(text)).strip()


def index_data(plan: Plan, pieces=None) -> dict:
    return {
        "pages": [[e.href, e.title, e.slug] for e in plan.entries],
        "sections": [[s.page, s.anchor, s.heading, s.text] for s in sections(plan, pieces)],
    }


def to_script(data: dict) -> str:
    """A script setting the global. `<`, `>` and `&` are escaped so that it is also safe inline."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"window.{GLOBAL}={text};\n"
