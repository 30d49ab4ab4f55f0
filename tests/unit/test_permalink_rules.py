"""Permalinks as each blog engine makes them, slugs and heading ids as each engine spells them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from compiler.compile.permalinks import Site, fill, jekyll_slug, load_site, permalinks, post_authors, urlize, zola_slug
from compiler.compile.transforms.anchors import github_id, kramdown_id, scope_raw_ids
from compiler.compile.transforms.links import LinkContext, Routes, resolve_link
from compiler.load.sources import parse_post


def post_at(root: Path, rel: str, text: str):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return parse_post(text, path, rel)


@pytest.mark.parametrize("title, slug", [
    ("Linkerd's Commitment to Open Governance", "linkerds-commitment-to-open-governance"),
    ("Rust 1.0: Status Report", "rust-1.0-status-report"),
    ("  Héllo,   Wörld!  ", "héllo-wörld"),
    ("C++ & you - a guide", "c++-you-a-guide"),
])
def test_hugo_urlize(title, slug):
    assert urlize(title) == slug


def test_zola_and_jekyll_slugs():
    assert zola_slug("Héllo, Wörld! 2") == "hello-world-2"
    assert jekyll_slug("Fearless-Concurrency", "pretty", cased=True) == "Fearless-Concurrency"
    assert jekyll_slug("What's new?") == "what-s-new"


@pytest.mark.parametrize("text, github, kramdown", [
    ("Why open governance? 🎉", "why-open-governance-", "why-open-governance-"),
    ("Q&A -- the details", "qa----the-details", "qa----the-details"),
    ("1.31 — what's new?", "131--whats-new", "whats-new"),
])
def test_heading_ids_of_other_engines(text, github, kramdown):
    assert (github_id(text), kramdown_id(text)) == (github, kramdown)


def test_raw_html_anchors_are_scoped_to_the_chapter():
    assert scope_raw_ids('<a name="x"></a><div id="y" class="z">', "ch") == '<a id="ch--x"></a><div id="ch--y" class="z">'
    assert scope_raw_ids('<a name="x" id="x">', "ch") == '<a id="ch--x">'
    assert scope_raw_ids('<meta name="x">', "ch") == '<meta name="x">'


def test_fill_refuses_a_missing_value():
    assert fill("/:categories/:year/:title:output_ext", {"categories": "", "year": "2020", "title": "x", "output_ext": ".html"}) == "//2020/x.html"
    with pytest.raises(ValueError):
        fill("/:year/:title/", {"year": None, "title": "x"})


def test_jekyll_rules(tmp_path):
    (tmp_path / "_config.yml").write_text("url: https://j.test\nbaseurl: /blog\npermalink: /:categories/:title/\n"
                                          "collections:\n  docs:\n    output: true\n", encoding="utf-8")
    site, problems = load_site(tmp_path)
    assert (site.engine, site.url, problems) == ("jekyll", "https://j.test/blog/", [])
    p = post_at(tmp_path, "tech/_posts/2020-01-02-Hello-World.md", "---\ntitle: Hi\ncategories: Rust Web\n---\n")
    assert permalinks(p, site).canonical == "/tech/rust/web/Hello-World/"
    p = post_at(tmp_path, "_posts/2020-01-02-x.md", "---\ntitle: X\npermalink: /x.html\nredirect_from: /old/x/\n---\n")
    assert permalinks(p, site) == permalinks(p, site).__class__("/x.html", ("/old/x/",))
    p = post_at(tmp_path, "_docs/guide/start.md", "---\ntitle: Start\n---\n")
    assert permalinks(p, site).canonical == "/docs/guide/start.html"
    (tmp_path / "_config.yml").write_text("permalink: date\n", encoding="utf-8")
    p = post_at(tmp_path, "_posts/2015-04-10-Fearless-Concurrency.md", "---\ntitle: F\n---\n")
    assert permalinks(p, load_site(tmp_path)[0]).canonical == "/2015/04/10/Fearless-Concurrency.html"


def test_hugo_rules(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "hugo.toml").write_text('baseURL = "https://h.test/"\n[permalinks]\nposts = "/:year/:month/:slug/"\n', encoding="utf-8")
    site, _ = load_site(tmp_path)
    assert (site.engine, site.url) == ("hugo", "https://h.test/")
    p = post_at(tmp_path, "content/posts/a.md", "---\ntitle: \"Linkerd's Move\"\ndate: 2021-03-04\naliases: [/old/]\n---\n")
    assert permalinks(p, site) == permalinks(p, site).__class__("/2021/03/linkerds-move/", ("/old/",))
    p = post_at(tmp_path, "content/notes/Big-Bundle/index.md", "---\ntitle: B\nslug: Custom\n---\n")
    assert permalinks(p, site).canonical == "/notes/custom/"
    p = post_at(tmp_path, "content/posts/undated.md", "---\ntitle: U\n---\n")
    assert permalinks(p, site).canonical is None      # no guessed date
    p = post_at(tmp_path, "content/posts/u.md", "---\ntitle: U\nurl: /Special/\n---\n")
    assert permalinks(p, site).canonical == "/special/"


def test_zola_and_eleventy_rules(tmp_path):
    (tmp_path / "config.toml").write_text('base_url = "https://z.test"\n', encoding="utf-8")
    site, _ = load_site(tmp_path)
    assert (site.engine, site.url) == ("zola", "https://z.test/")
    p = post_at(tmp_path, "content/blog/2022-01-10-First Post.md", "+++\ntitle = \"F\"\n+++\n")
    assert permalinks(p, site).canonical == "/blog/first-post/"
    p = post_at(tmp_path, "content/x.md", "+++\ntitle = \"X\"\npath = \"about-us\"\naliases = [\"/old/\"]\n+++\n")
    assert permalinks(p, site) == permalinks(p, site).__class__("/about-us/", ("/old/",))
    eleventy = Site("eleventy", tmp_path)
    p = post_at(tmp_path, "posts/hello.md", "---\ntitle: H\n---\n")
    assert permalinks(p, eleventy).canonical == "/posts/hello/"
    p = post_at(tmp_path, "posts/t.md", "---\ntitle: T\npermalink: \"/{{ page.fileSlug }}/\"\n---\n")
    assert permalinks(p, eleventy).canonical is None   # a template: not guessed


def test_plain_blog_has_no_canonical_unless_told(tmp_path):
    p = post_at(tmp_path, "posts/inside-rust/2023-01-30-cargo-sparse-protocol.md", "---\ntitle: C\n---\n")
    assert permalinks(p, Site("plain", tmp_path)).canonical is None
    told = Site("plain", tmp_path, permalink="date", posts_folder="posts")
    assert permalinks(p, told).canonical == "/inside-rust/2023/01/30/cargo-sparse-protocol.html"


def test_unreadable_config_is_a_warning(tmp_path):
    (tmp_path / "_config.yml").write_text("url: [unclosed\n", encoding="utf-8")
    site, problems = load_site(tmp_path)
    assert site.engine == "jekyll" and [p.code for p in problems] == ["CB131"] and "_config.yml" == problems[0].path


def test_authors_from_site_data(tmp_path):
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "authors.yml").write_text("ada:\n  name: Ada Lovelace\n", encoding="utf-8")
    site, _ = load_site(tmp_path)
    p = post_at(tmp_path, "_posts/2020-01-01-a.md", "---\ntitle: A\nauthors: [ada, Bob, {name: Cy}]\n---\n")
    assert post_authors(p, site) == ("Ada Lovelace", "Bob", "Cy")


@pytest.fixture
def routes():
    r = Routes()
    r.add("a", ["/2023/01/30/a.html"], {}, weak=("a",), words=("a",), date=datetime(2023, 1, 30), label="posts/a.md")
    r.add("twin", [], {}, words=("twin",), date=datetime(2021, 6, 1), label="posts/twin.md")
    r.add("twin-2", [], {}, words=("twin",), date=datetime(2021, 6, 1), label="notes/twin.md")
    return r


def test_date_and_slug_match_whatever_the_prefix(routes, tmp_path):
    ctx = LinkContext("x", tmp_path, tmp_path, routes, "https://blog.test/", False)
    for url in ("/inside-rust/2023/01/30/a.html", "https://www.blog.test/2023/01/30/a/", "http://blog.test/any/2023/01/a",
                "/2023/01/30/a.html"):
        assert (resolve_link(url, ctx).url, resolve_link(url, ctx).code) == ("#a", None), url
    assert resolve_link("/2023/02/01/a.html", ctx).url == "https://blog.test/2023/02/01/a.html"   # another date
    assert resolve_link("https://other.test/2023/01/30/a.html", ctx).url == "https://other.test/2023/01/30/a.html"


def test_an_ambiguous_link_names_both_posts(routes, tmp_path):
    ctx = LinkContext("x", tmp_path, tmp_path, routes, "https://blog.test/", False)
    out = resolve_link("/2021/06/01/twin.html", ctx)
    assert out.code == "CB128" and "posts/twin.md and notes/twin.md" in out.message
    assert out.url == "https://blog.test/2021/06/01/twin.html"


def test_without_site_url_absolute_links_to_posts_are_counted(routes, tmp_path):
    routes.suspects = {}
    ctx = LinkContext("x", tmp_path, tmp_path, routes, None, False)
    assert resolve_link("https://blog.test/2023/01/30/a.html", ctx).url == "https://blog.test/2023/01/30/a.html"
    resolve_link("https://github.com/rust-lang/a", ctx)
    assert routes.suspects == {"https://blog.test/": 1}


def test_site_files_outside_the_book_folder_are_not_read(tmp_path):
    outside = tmp_path / "outside.toml"
    outside.write_text('base_url = "https://evil.test"\n', encoding="utf-8")
    book = tmp_path / "book"
    book.mkdir()
    (book / "config.toml").symlink_to(outside)
    assert load_site(book)[0].engine == "plain"
    site, problems = load_site(book, "zola", "../outside.toml")
    assert site.config == {} and [p.code for p in problems] == ["CB131"] and "outside the book folder" in problems[0].message


def test_manifest_site_options_are_checked(tmp_path):
    from compiler.load.manifest import load_manifest
    from compiler.model.diagnostics import FatalError
    manifest = tmp_path / "book.yml"
    manifest.write_text("title: T\nchapters: []\nsite: {engine: wordpress, permalink: /:title/}\nbylines: false\n", encoding="utf-8")
    with pytest.raises(FatalError) as err:
        load_manifest(manifest)
    assert "book.yml:3: site.engine" in str(err.value)
    manifest.write_text("title: T\nchapters: []\nsite: {engine: hugo, config: hugo.toml}\nbylines: false\n", encoding="utf-8")
    m = load_manifest(manifest).manifest
    assert (m.site.engine, m.site.config, m.bylines) == ("hugo", "hugo.toml", False)
