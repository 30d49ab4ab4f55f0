"""compiler.compile.transforms: pure functions over pandoc's AST (parsed by the real pandoc)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.compile import pandoc
from compiler.load.manifest import BoilerplateRule
from compiler.compile.transforms import stringify, walk
from compiler.compile.transforms.boilerplate import remove_boilerplate
from compiler.compile.transforms.headings import normalise_headings
from compiler.compile.transforms.ids import assign_ids
from compiler.compile.transforms.links import LinkContext, Routes, resolve_image, resolve_link


def ast(text: str) -> list:
    (result,) = pandoc.read_many([text], "commonmark_x")
    assert result.error is None
    return result.value["blocks"]


def outline(blocks):
    return [(b["c"][0], stringify(b["c"][2])) for b in blocks if b["t"] == "Header"]


@pytest.mark.parametrize("top", ["#", "##", "###"])
def test_any_top_level_gives_the_same_outline(top):
    sub = top + "#"
    blocks = ast(f"Intro\n\n{top} One\n\ntext\n\n{sub} One.a\n\ntext\n\n{top} Two\n\ntext\n")
    assert outline(normalise_headings(blocks, "Title")) == [(2, "One"), (3, "One.a"), (2, "Two")]


def test_skipped_levels_are_closed_up_and_title_repeat_dropped():
    blocks = ast("# My Title\n\nx\n\n## A\n\nx\n\n#### Deep\n\nx\n")
    assert outline(normalise_headings(blocks, "My title")) == [(2, "A"), (3, "Deep")]


@pytest.mark.parametrize("text, levels", [
    ("## A\n\nx\n\n#### B\n\nx\n\n## C\n\nx\n\n#### D\n", [2, 3, 2, 3]),           # each jump closed up
    ("### A\n\nx\n\n#### A.a\n\nx\n\n## B\n\nx\n\n### B.a\n", [2, 3, 2, 3]),          # opens below its top level
    ("## A\n\nx\n\n### A.a\n\nx\n\n## B\n\nx\n\n##### B.a\n", [2, 3, 2, 3]),        # not by distinct levels
    ("## A\n\nx\n\n#### B\n\nx\n\n### C\n\nx\n\n#### D\n", [2, 3, 3, 4]),           # never shallower than before
    ("## A\n\n> #### Quoted\n>\n> x\n\n- item\n\n  ### In a list\n", [2, 3, 3]),      # at any depth
])
def test_no_level_is_skipped_in_reading_order(text, levels):
    blocks = normalise_headings(ast(text), "Title")
    found = []
    walk(blocks, {"Header": lambda el: found.append(el["c"][0]) or el})
    assert found == levels


def test_jumps_are_reported_once_per_run_of_siblings():
    from compiler.compile.transforms.headings import plan
    _, jumps = plan(ast("### A\n\nx\n\n### B\n\nx\n\n## C\n\nx\n\n#### D\n\nx\n\n#### E\n"))
    assert [(j.text, j.written, j.under, j.level) for j in jumps] == [("A", 3, None, 2), ("D", 4, 2, 3)]


def test_raw_html_headings_are_relevelled_with_their_closing_tags():
    blocks = normalise_headings(ast('## A\n\n<h5 id="x">Five</h5>\n\n<div><h6>Six</h6></div>\n'), "Title")
    raw = "".join(b["c"][1] for b in walk(blocks, {}) if b["t"] == "RawBlock")
    assert '<h3 id="x">' in raw and "</h3>" in raw and "<h4>Six</h4>" in raw and "h5" not in raw


def test_empty_table_header_cells_become_data_cells():
    from compiler.compile.transforms.a11y import empty_header_cells
    html = '<thead><tr><th></th><th style="text-align: left;"> </th><th>&nbsp;</th><th>2024</th></tr></thead>'
    assert empty_header_cells(html) == ('<thead><tr><td></td><td style="text-align: left;"> </td><td>&nbsp;</td>'
                                        '<th>2024</th></tr></thead>')


def test_ids_are_book_unique_and_stable():
    taken: set[str] = set()
    blocks = ast("## Same\n\nx\n\n## Same\n\nx\n\n## Custom {#mine}\n")
    out, idmap, heads = assign_ids(blocks, "ch", taken)
    assert [h.id for h in heads] == ["ch--same", "ch--same-1", "ch--mine"]  # pandoc numbers repeats
    assert idmap["mine"] == "ch--mine"
    again, _, heads2 = assign_ids(ast("## Same\n"), "ch", taken)
    assert heads2[0].id == "ch--same-2"


def test_boilerplate_rules():
    blocks = ast("> This post is part of my series.\n\nKeep me.\n\n> A real quote.\n")
    rules = [BoilerplateRule(kind="blockquote", starts_with="This post is part of")]
    kept, used = remove_boilerplate(blocks, rules)
    assert [b["t"] for b in kept] == ["Para", "BlockQuote"] and used == {0}


@pytest.fixture
def ctx(tmp_path: Path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "pic.png").write_bytes(b"\x89PNG")
    routes = Routes()
    routes.add("other", ["other", "posts/2020-01-02-other.md", "2020/01/02/other", "/old/alias/"], {"sec": "other--sec"})
    routes.add("me", ["me"], {"here": "me--here"})
    return LinkContext("me", tmp_path / "posts", tmp_path, routes, None, False)


@pytest.mark.parametrize("url, expected", [
    ("/other", "#other"), ("/other/", "#other"), ("/other#sec", "#other--sec"),
    ("/2020/01/02/other/", "#other"), ("/posts/other.html", "#other"), ("/old/alias", "#other"),
    ("2020-01-02-other.md", "#other"), ("../posts/2020-01-02-other.md#sec", "#other--sec"),
    ("#here", "#me--here"), ("https://example.com/x", "https://example.com/x"),
    ("mailto:a@b.c", "mailto:a@b.c"),
])
def test_links_resolve(ctx, url, expected):
    out = resolve_link(url, ctx)
    assert (out.url, out.code) == (expected, None)


def test_broken_anchor_is_reported_and_falls_back_to_chapter(ctx):
    out = resolve_link("/other#nope", ctx)
    assert (out.url, out.code) == ("#other", "CB107")


def test_site_relative_without_site_url_becomes_text(ctx):
    out = resolve_link("/tags/x", ctx)
    assert out.url is None and out.code == "CB110"


def test_site_relative_with_site_url(ctx):
    from dataclasses import replace
    withsite = replace(ctx, site_url="https://blog.example/")
    assert resolve_link("/tags/x", withsite).url == "https://blog.example/tags/x"
    assert resolve_link("https://blog.example/2020/01/02/other/", withsite).url == "#other"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:x", "vbscript:x", "data:text/html,<script>", "file:///etc/passwd"])
def test_unsafe_link_schemes_are_removed(ctx, url):
    out = resolve_link(url, ctx)
    assert out.url is None and out.code == "CB112"


def test_images(ctx, tmp_path):
    ok = resolve_image("pic.png", ctx)
    assert ok.href == "assets/posts/pic.png" and ok.source == tmp_path / "posts" / "pic.png"
    for bad in ("../../outside.png", "file:///etc/hostname", "/../../etc/passwd"):
        assert resolve_image(bad, ctx).href is None and resolve_image(bad, ctx).code == "CB116"
    assert resolve_image("missing.png", ctx).code == "CB116"
    remote = resolve_image("https://example.com/a.png", ctx)
    assert remote.href is None and remote.code == "CB117"


def test_walk_replaces_splices_and_keeps_identity():
    blocks = ast("- a [x](/y) b\n\n| h |\n|---|\n| [c](/q) |\n")
    new = walk(blocks, {"Link": lambda el: el["c"][1]})  # unlink: splice the text in
    assert "Link" not in str(new) and stringify(new).split() == ["a", "x", "b", "h", "c"]
    assert walk(blocks, {}) is blocks


def test_anchor_spellings_of_other_engines(ctx):
    from dataclasses import replace
    routes = ctx.routes
    routes.add("rel", ["rel"], {"contributors-to-1.31.0": "rel--contributors-to-1.31.0", "how-can-i-help": "rel--how-can-i-help"})
    assert resolve_link("/rel#contributors-to-131.0", ctx).url == "#rel--contributors-to-1.31.0"
    assert resolve_link("/rel#how-can-i-help%3F", ctx).url == "#rel--how-can-i-help"
    withsite = replace(ctx, site_url="https://blog.example/")
    assert resolve_link("../../../images/x.png", withsite).url == "https://blog.example/images/x.png"
    assert resolve_link("../../../images/x.png", ctx).code == "CB110"


def test_site_url_with_a_path(ctx):
    from dataclasses import replace
    withsite = replace(ctx, site_url="https://a.test/blog/")
    assert resolve_link("/archive/", withsite).url == "https://a.test/blog/archive/"
    assert resolve_link("/blog/archive/", withsite).url == "https://a.test/blog/archive/"


def test_heading_text_keeps_smart_quotes_as_printed():
    blocks = ast('## Thread safety and "Send", \'Sync\'\n')
    _, _, heads = assign_ids(blocks, "c", set())
    assert heads[0].text == "Thread safety and \u201cSend\u201d, \u2018Sync\u2019"
