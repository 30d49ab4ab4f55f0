"""compiler.backends.html.fragments: a chapter's fragment made ready for the page it lands on
(links across pages, anchors, ids unique on the page, heading levels, wide tables), without a build."""

from __future__ import annotations

import pytest

from helpers import book, chapter

from compiler.backends.html.fragments import PageContext, rewrite, wrap_tables
from compiler.backends.html.plan import make_plan
from compiler.model.book import Part

BODY = ('<h2 id="a--x">X</h2><p><a href="#a--x">self</a> <a href="#b">b</a> <a href="#nowhere">n</a> '
        '<a href="rel/page">r</a> <a href="https://e.test/a b">e</a></p>'
        '<h4 id="dup">D</h4><p id="dup">p</p><table><tr><td>1</td></tr></table>')


@pytest.fixture
def pages():
    first, second = chapter("a", html=BODY), chapter("b", html="<p>b</p>")
    plan = make_plan(book(parts=[Part(None, None, (first, second))]), "site")
    return plan, first


def test_links_go_to_the_page_holding_their_target(pages):
    plan, first = pages
    assert plan.page_of["a--x"] == "a.html" and plan.page_of["b"] == "b.html"
    out, found = rewrite(first.html, PageContext(plan, "a.html", first, None, {}, False), {"a"})
    assert '<a href="#a--x">self</a>' in out
    assert '<a href="b.html">b</a>' in out
    assert '<a href="https://e.test/a%20b">e</a>' in out     # encoded for the Nu checker


def test_what_cannot_be_resolved_loses_its_href_and_is_reported(pages):
    plan, first = pages
    out, found = rewrite(first.html, PageContext(plan, "a.html", first, None, {}, False), {"a"})
    assert "<a>n</a>" in out and "<a>r</a>" in out
    assert found.anchors == ["nowhere"] and found.links == ["rel/page"] and found.images == []


def test_relative_links_resolve_against_the_original_post_when_known(pages):
    plan, first = pages
    page = PageContext(plan, "a.html", first, "https://blog.test/2020/a/", {}, False)
    out, found = rewrite(first.html, page, {"a"})
    assert '<a href="https://blog.test/2020/a/rel/page">r</a>' in out
    assert found.links == []


def test_ids_are_unique_on_the_page_and_heading_levels_do_not_jump(pages):
    plan, first = pages
    ids = {"a"}
    out, _ = rewrite(first.html, PageContext(plan, "a.html", first, None, {}, False), ids)
    assert '<h3 id="dup">D</h3><p id="dup-2">p</p>' in out
    assert {"a--x", "dup", "dup-2"} <= ids


def test_outermost_tables_get_one_scrolling_box_each():
    html = "<p>a</p><table><tr><td><table></table></td></tr></table><table></table>"
    assert wrap_tables(html) == ('<p>a</p><div class="table-wrap" tabindex="0"><table><tr><td><table></table>'
                                 '</td></tr></table></div><div class="table-wrap" tabindex="0"><table></table></div>')
    assert wrap_tables("<p>no table</p>") == "<p>no table</p>"
