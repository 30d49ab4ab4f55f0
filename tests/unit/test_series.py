"""compiler.init.series, compiler.compile.repeated, and the lint rules of issue 14: each series signal
on a small blog written here, boilerplate found at the top and the bottom, CB109 precision, CB101
for footnote-only sections."""

from __future__ import annotations

from pathlib import Path

from helpers import ROOT, compile_manifest, make_book, post

from compiler.compile.lint import recurring
from compiler.init.boilerplate import proposals
from compiler.init.detect import scan
from compiler.init.series import best, book_title, family, find, title_series


def blog(tmp_path: Path, posts: dict[str, str]) -> list:
    folder = tmp_path / "posts"
    folder.mkdir()
    for name, text in posts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return scan(tmp_path).posts


def md(title: str, date: str, body: str = "Text.", **meta) -> str:
    lines = [f"title: {title!r}", f"date: {date}"] + [f"{k}: {v}" for k, v in meta.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


def test_family_folds_case_separators_plural_and_series():
    assert family("tech-lead") == family("tech-lead-series") == family("Tech Lead Series") == family("tech_lead")
    assert family("rust-2018") == family("rust2018") == family("Rust 2018")
    assert family("release") == family("releases") and family("category") == family("categories")
    assert family("tech-lead") != family("Tech Leadership Series")


def test_tag_family_spelled_two_ways_is_one_series(tmp_path):
    posts = blog(tmp_path, {"a.md": md("One", "2020-01-01", tags="[tech-lead]"),
                            "b.md": md("Two", "2020-02-01", tags="[tech-lead-series]"),
                            "c.md": md("Three", "2020-03-01", tags="[cooking]")})
    chosen = best(find(posts))
    assert chosen.tags == ("tech-lead", "tech-lead-series") and len(chosen.posts) == 2
    assert "tag tech-lead (1)" in chosen.explain() and "tag tech-lead-series (1)" in chosen.explain()


def test_series_front_matter_and_order_numbers(tmp_path):
    from compiler.init.series import part_order
    posts = blog(tmp_path, {"a.md": md("Alpha", "2020-01-01", series="Deep Dive", series_order=2),
                            "b.md": md("Beta", "2020-02-01", series="deep-dive", series_order=1),
                            "c.md": md("Gamma", "2020-03-01", tags="[deep]"),
                            "d.md": md("Delta", "2020-04-01", tags="[deep]")})
    chosen = best(find(posts))
    assert chosen.name == "Deep Dive" and {p.title for p in chosen.posts} == {"Alpha", "Beta"}
    assert "front matter series: Deep Dive" in chosen.explain()
    assert [p.title for p in part_order(chosen)] == ["Beta", "Alpha"]   # series_order, not the dates


def test_blurb_linking_to_a_tag_page_names_the_series(tmp_path):
    blurb = "> This post is part of my [{}](/tags/{}/), a series.\n\nBody."
    posts = blog(tmp_path, {"a.md": md("One", "2020-01-01", blurb.format("Deep Dives Series", "deep-dives")),
                            "b.md": md("Two", "2021-01-01", blurb.format("Deep Dive Series", "deep-dive")),
                            "c.md": md("Three", "2021-06-01", "Unrelated.", tags="[misc]")})
    chosen = best(find(posts))
    assert {p.title for p in chosen.posts} == {"One", "Two"}
    assert "opening blurb links to /tags/deep-dive/" in chosen.explain()
    assert chosen.name == "Deep Dive Series"            # ties: the newest post's link text
    assert book_title(chosen.name) == "The Deep Dive Series"


def test_title_prefixes_name_a_series(tmp_path):
    assert title_series("Rust 2018: the edition") == "Rust 2018"
    assert title_series("Service Meshes, Part 2: mTLS") == "Service Meshes"
    assert title_series("Part 2: the sequel") == "Part"
    assert title_series("Why I write") is None
    from compiler.init.series import _template_name
    assert _template_name("2019-10-10 Infrastructure Team Meeting") == "Infrastructure Team Meeting"
    assert _template_name("Announcing Rust 1.50.0") == "Announcing Rust"
    posts = blog(tmp_path, {"a.md": md("Rust 2018: a call", "2018-01-01"), "b.md": md("Rust 2018: preview", "2018-03-01"),
                            "c.md": md("Announcing Mesh 2.1", "2019-01-01"), "d.md": md("Announcing Mesh 2.2", "2019-02-01"),
                            "e.md": md("Announcing Mesh 2.3", "2019-03-01"), "f.md": md("Other", "2019-04-01")})
    found = {c.name: len(c.posts) for c in find(posts) if c.eligible}
    assert found == {"Announcing Mesh": 3, "Rust 2018": 2}
    assert best(find(posts)).name == "Announcing Mesh"   # more posts, same weight per post


def test_plain_topic_tag_on_few_posts_is_no_series(tmp_path):
    posts = {f"p{i:02d}.md": md(f"Post {chr(65 + i)}", f"2020-{i // 28 + 1:02d}-{i % 28 + 1:02d}") for i in range(30)}
    posts["p00.md"] = md("Post A", "2020-01-01", tags="[linkerd]")
    posts["p01.md"] = md("Post B", "2020-01-02", tags="[linkerd]")
    assert best(find(blog(tmp_path, posts))) is None      # 2 of 30: a topic; the book takes every post


def test_ties_go_to_the_series_with_the_newest_post(tmp_path):
    posts = blog(tmp_path, {"a.md": md("A", "2020-01-01", categories="[news]"), "b.md": md("B", "2020-02-01", categories="[news]"),
                            "c.md": md("C", "2020-03-01", categories="[community]"), "d.md": md("D", "2021-02-01", categories="[community]")})
    assert best(find(posts)).name == "Community"


def test_boilerplate_found_at_the_top_and_the_bottom(tmp_path):
    top = "> This post is part of the Deep Dive series, read them all.\n\n"
    bottom = "\n\n*Enjoyed this? Subscribe to the newsletter for more.*\n"
    posts = blog(tmp_path, {"a.md": md("A", "2020-01-01", top + "First body." + bottom),
                            "b.md": md("B", "2020-02-01", top + "Second body, different.\n\n## More\n\nText." + bottom),
                            "c.md": md("C", "2020-03-01", "The Rust team is happy to announce one thing."),
                            "d.md": md("D", "2020-04-01", "The Rust team is happy to announce another.")})
    groups = {(g.position, g.kind, g.starts_with) for g in proposals(posts)}
    assert groups == {("top", "blockquote", "This post is part of the Deep Dive"),
                      ("bottom", "paragraph", "Enjoyed this? Subscribe to the newsletter for more.")}


def test_check_reports_repeated_blocks_no_rule_removes(book_dir):
    top = "> Part of the series on deep dives, start here.\n\nBody {}.\n"
    posts = {"a.md": post("A", top.format(1)), "b.md": post("B", top.format(2))}
    _, problems = compile_manifest(make_book(book_dir, posts))
    (found,) = [d for d in problems if d.code == "CB135"]
    assert found.severity.value == "info" and 'starts_with: "Part of the series on deep dives,' in found.message
    ruled = make_book(book_dir, posts, {"title": "T", "chapters": ["a.md", "b.md"],
                                        "boilerplate": [{"kind": "blockquote", "starts_with": "Part of the series"}]})
    assert not [d for d in compile_manifest(ruled)[1] if d.code == "CB135"]


def test_recurring_titles():
    assert recurring("Announcing Rust 1.50.0", "Announcing Rust 1.51.0")
    assert recurring("July's hero", "June's heroes")
    assert recurring("Lang team February update", "Lang team March update")
    assert recurring("Trait Refactor Update: A call for testing", "Trait Refactor Update")
    assert not recurring("Working Effectively With Product Managers", "Working with Product Managers")


def test_cb109_skips_recurring_posts_unless_bodies_match(book_dir):
    body = "## What's new\n\nThing {}.\n\n## Other changes\n\nMore {}.\n\n## Contributors\n\nPeople {}.\n"
    posts = {"a.md": post("Announcing Rust 1.50.0", body.format("a b c d e", 1, 2)),
             "b.md": post("Announcing Rust 1.51.0", body.format("f g h i j", 3, 4)),
             "c.md": post("July's hero", body.format("k l m n o", 5, 6)),
             "d.md": post("June's heroes", body.format("k l m n o", 5, 6))}      # same body: one text
    _, problems = compile_manifest(make_book(book_dir, posts))
    assert [(d.path, "July's hero" in d.message) for d in problems if d.code == "CB109"] == [("d.md", True)]


def test_cb109_one_warning_per_post_naming_the_closest(book_dir):
    posts = {"a.md": post("Working with Product Managers"), "b.md": post("Working Effectively With Product Managers"),
             "c.md": post("Working Well With Product Managers Today")}
    _, problems = compile_manifest(make_book(book_dir, posts))
    warned = [d.path for d in problems if d.code == "CB109"]
    assert len(warned) == len(set(warned)) >= 1


def test_footnote_and_link_definition_sections_are_not_empty(book_dir):
    body = ("## Intro\n\nA note[^1] and a [link][rust].\n\n## Footnotes\n\n[^1]: The note,\n    continued.\n\n"
            "## References\n\n[rust]: https://www.rust-lang.org\n\n## Empty\n")
    book, problems = compile_manifest(make_book(book_dir, {"a.md": post("A", body)}))
    assert [d.line for d in problems if d.code == "CB101"] == [19]
    (chapter,) = [c for part in book.parts for c in part.chapters]
    assert [h.text for h in chapter.headings] == ["Intro", "Empty"]


def test_links_to_headings_whose_emoji_the_blog_dropped(book_dir):
    body = "See [the bugs](#debugging-initiatives-) and [faster](#faster-builds--%EF%B8%8F) and [nothing](#tool).\n\n" \
           "## Debugging Initiatives (🦀)\n\nText.\n\n## Faster builds (🛠️)\n\nText.\n"
    book, problems = compile_manifest(make_book(book_dir, {"a.md": post("A", body)}))
    assert [d.message.split(":")[0] for d in problems if d.code == "CB107"] == ["link #tool"]


def test_frequent_codes_an_author_would_not_act_on_are_info(book_dir):
    """CB104 and CB108 for posts a blog told apart are info; CB106 stays a warning (issue 17: the
    author can act on it, and lint.ignore silences it)."""
    posts = {"2020-01-01-same.md": post("One", "## A\n\n#### Deep\n\ntext\n", description=None),
             "x/2021-05-05-same.md": post("Two"), "y/2021-05-05-same.md": post("Three")}
    posts["2020-01-01-same.md"] = "---\ntitle: One\n---\n\n## A\n\n#### Deep\n\ntext\n"
    _, problems = compile_manifest(make_book(book_dir, posts))
    severity = {(d.code, d.path): d.severity.value for d in problems if d.code in ("CB104", "CB106", "CB108")}
    assert severity == {("CB104", "2020-01-01-same.md"): "info", ("CB106", "2020-01-01-same.md"): "warning",
                        ("CB108", "x/2021-05-05-same.md"): "info",      # other date than the first "same"
                        ("CB108", "y/2021-05-05-same.md"): "warning"}   # same date as x/: a real clash


def test_images_relative_to_the_posts_address_are_site_relative(book_dir):
    (book_dir / "static" / "images").mkdir(parents=True)
    (book_dir / "static" / "images" / "cfg.png").write_bytes((ROOT / "tests/fixtures/blogs/hugo/static/images/logo.png").read_bytes())
    body = "![cfg](../../../images/cfg.png) ![gone](../../../images/gone.png) ![no](../../../../etc/passwd)\n"
    book, problems = compile_manifest(make_book(book_dir, {"posts/2016-04-19-mir.md": post("MIR", body)}))
    assert "static/images/cfg.png" in " ".join(str(p) for p in book.assets.values())
    messages = sorted(d.message for d in problems if d.code == "CB116")
    assert messages == ["image ../../../../etc/passwd not found: left out (its alt text is kept)",
                        "image ../../../images/gone.png not found: left out (its alt text is kept)"]
