"""Planning of the chunked PDF: chunks at chapter boundaries, long chapters split at headings,
links made to survive the render, contents numbers literal in the skeleton."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from compiler.backends.pdf import PdfOptions
from compiler.backends.pdf import chunked as ck
from compiler.backends.pdf.fetcher import literal_page_numbers

OPTIONS = PdfOptions()
PAGE = "x" * int(ck.chars_per_page(OPTIONS))          # about one page of text


def block(slug: str, pages: int, kind: str = "chapter", headings: int = 0) -> dict:
    body = "".join(f"<p>{PAGE}</p>" for _ in range(pages))
    if headings:
        per = max(1, pages // headings)
        body = "".join(f'<h2 id="{slug}-s{n}">S{n}</h2>' + f"<p>{PAGE}</p>" * per for n in range(headings))
    return {"kind": kind, "id": slug, "title": slug, "level": 1, "running": slug, "date": None,
            "html": Markup(body), "body_start": False, "source": f"posts/{slug}.md"}


def test_chapters_are_grouped_without_splitting():
    blocks = [block(f"c{n}", 2) for n in range(10)]
    chunks = ck.plan_chunks(blocks, OPTIONS, bound=5)
    assert [p.slug for c in chunks for p in c] == [f"c{n}" for n in range(10)]
    assert all(sum(p.est for p in c) <= 5 for c in chunks)
    assert len(chunks) == 5


def test_parts_are_not_in_chunks():
    blocks = [block("p", 1, kind="part"), block("a", 1), block("b", 1)]
    assert [p.slug for c in ck.plan_chunks(blocks, OPTIONS, bound=10) for p in c] == ["a", "b"]


def test_a_long_chapter_is_split_at_its_headings_each_further_piece_alone():
    blocks = [block("a", 1), block("long", 12, headings=6), block("b", 1)]
    chunks = ck.plan_chunks(blocks, OPTIONS, bound=4)
    pieces = [p for c in chunks for p in c]
    assert [p.slug for p in pieces].count("long") >= 3
    assert all(len(c) == 1 for c in chunks if c[0].cont)
    first = next(p for p in pieces if p.slug == "long")
    assert not first.cont and first.anchor == "long"
    assert all(p.anchor.startswith("_cb-cont-long-") for p in pieces if p.cont)
    assert "".join(str(p.block["html"]) for p in pieces if p.slug == "long").count("<h2") == 6


def test_a_stretch_without_headings_over_the_limit_is_refused():
    with pytest.raises(ck.TooLarge) as caught:
        ck.plan_chunks([block("huge", 30)], OPTIONS, bound=5)
    assert caught.value.source == "posts/huge.md" and caught.value.limit == 5 * ck.HARD_FACTOR


def test_internal_links_become_anchor_uris():
    html = '<a href="#beta--details">x</a> <a href="#a&amp;b">y</a> <a href="https://example.com/#z">z</a>'
    assert ck.link_anchors(html) == ('<a href="https://anchor.invalid/beta--details">x</a> '
                                     '<a href="https://anchor.invalid/a%26b">y</a> <a href="https://example.com/#z">z</a>')


def test_contents_links_carry_the_final_label():
    html = ck.literal_links('<a href="#alpha" class="front">Alpha</a>', {"alpha": "iv"})
    assert html == '<a href="https://anchor.invalid/alpha" data-page="iv" class="front">Alpha</a>'
    css = b'.toc a::after { content: leader(".") target-counter(attr(href url), page, lower-roman); }'
    assert literal_page_numbers(css) == b'.toc a::after { content: leader(".") attr(data-page); }'


def test_roman_numbers():
    assert [ck.roman(n) for n in (1, 4, 9, 14, 40, 90, 400, 1994)] == \
        ["i", "iv", "ix", "xiv", "xl", "xc", "cd", "mcmxciv"]


def test_place_follows_recto_breaks():
    laid = ck.Laid(pages={"a": [(0, 0)] * 3, "b": [(0, 0)] * 2})
    blocks = [block("p", 1, kind="part"), block("a", 1), block("b", 1)]
    assert ck.place(blocks, laid, recto=True, start=0) == {"p": 0, "a": 2, "b": 6, "_end": 8}
    assert ck.place(blocks, laid, recto=False, start=0) == {"p": 0, "a": 1, "b": 4, "_end": 6}
