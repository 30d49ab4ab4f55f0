"""compiler.compile.assemble on small fixture books: selection, order, parts, drafts, links, assets."""

from __future__ import annotations

import os

import pytest

from helpers import compile_manifest, make_book, post


def codes(problems):
    return sorted(d.code for d in problems)


def test_series_selection_order_and_exclude(book_dir):
    posts = {
        "posts/2021-01-01-first.md": post("First", tags=["s"]),
        "posts/deep/2020-06-01-zero.markdown": post("Zero", tags=["other", "S"]),
        "posts/2022-01-01-third.md": post("Third", tags=["s"], date="2022-01-01T10:00:00+02:00"),
        "posts/2021-06-01-skipped.md": post("Skipped", tags=["s"]),
        "posts/2021-07-01-untagged.md": post("Untagged"),
    }
    manifest = make_book(book_dir, posts, {"title": "T", "series": {"from": "posts", "tags": ["s"], "exclude": ["*skipped*"]}})
    book, _ = compile_manifest(manifest)
    assert [c.title for c in book.chapters] == ["Zero", "First", "Third"]
    by_title = make_book(book_dir, {}, {"title": "T", "series": {"from": "posts", "tags": ["s"], "order": "title"}})
    assert [c.title for c in compile_manifest(by_title)[0].chapters] == ["First", "Skipped", "Third", "Zero"]


def test_symlink_loops_and_links_outside_are_not_followed(book_dir):
    make_book(book_dir, {"posts/a.md": post("A", tags=["s"])}, {"title": "T", "series": {"from": "posts", "tags": ["s"]}})
    os.symlink(book_dir / "posts", book_dir / "posts" / "loop")
    secret = book_dir.parent / "secret.md"
    secret.write_text(post("Secret", tags=["s"]))
    os.symlink(secret, book_dir / "posts" / "secret.md")
    book, problems = compile_manifest(book_dir / "book.yml")
    assert [c.title for c in book.chapters] == ["A"]
    assert any(d.code == "CB100" and "outside" in d.message for d in problems)


def test_parts_front_and_back_matter(book_dir):
    posts = {"a.md": post("A"), "b.md": post("B"), "c.md": post("C"),
             "preface.md": "# Preface\n\nWhy this book.\n", "thanks.md": "Thanks to all.\n"}
    manifest = make_book(book_dir, posts, {
        "title": "T", "front_matter": ["preface.md"], "back_matter": ["thanks.md"],
        "parts": [{"title": "Part One", "chapters": ["a.md", "b.md"]}, {"title": "Part Two", "chapters": ["c.md"]}]})
    book, problems = compile_manifest(manifest)
    assert [(p.title, [c.title for c in p.chapters]) for p in book.parts] == [("Part One", ["A", "B"]), ("Part Two", ["C"])]
    assert [c.title for c in book.front] == ["Preface"] and "Why this book" in book.front[0].html
    assert book.back[0].title == "Thanks" and not [d for d in problems if d.severity.value == "error"]
    assert book.parts[0].slug == "part-part-one"


@pytest.mark.parametrize("policy, included, severity", [
    ("include", True, None), ("warn", True, "warning"), ("exclude", False, "info"), ("error", True, "error")])
def test_draft_policy(book_dir, policy, included, severity):
    posts = {"done.md": post("Done"), "wip.md": post("WIP", draft=True),
             "unfinished.md": post("Unfinished", "## Empty\n\n## Also empty\n\n## Full\n\ntext\n"),
             "noted.md": post("Noted", "Text.\n\nTK: a better example\n"),
             "unpublished.md": post("Unpublished", published=False),
             "one-gap.md": post("One gap", "## Empty\n\n## Full\n\ntext\n"),
             "kept.md": post("Kept", "TODO finish\n", draft=False)}
    manifest = make_book(book_dir, posts, {"title": "T", "chapters": list(posts), "drafts": policy})
    book, problems = compile_manifest(manifest)
    titles = [c.title for c in book.chapters]
    assert all((t in titles) == included for t in ("WIP", "Unfinished", "Noted", "Unpublished"))
    assert "Kept" in titles and "One gap" in titles, "a published post with one empty section is no draft"
    flagged = {d.path: d.severity.value for d in problems if d.code == "CB111"}
    assert flagged == ({} if severity is None else dict.fromkeys(
        ("wip.md", "unfinished.md", "noted.md", "unpublished.md"), severity))
    assert ("one-gap.md", 6) in {(d.path, d.line) for d in problems if d.code == "CB101"}
    for d in problems:
        if d.code == "CB111":
            assert "(" not in d.message, "one sentence, no nested parentheses: " + d.message


def test_duplicate_slugs_get_distinct_ids(book_dir):
    posts = {"a/same.md": post("One"), "b/same.md": post("Two")}
    book, problems = compile_manifest(make_book(book_dir, posts))
    assert [c.slug for c in book.chapters] == ["same", "same-2"]
    assert "CB108" in codes(problems)


def test_cross_chapter_links_images_and_remote(book_dir):
    (book_dir / "img").mkdir()
    (book_dir / "img" / "pic.png").write_bytes(b"\x89PNG\r\n")
    posts = {
        "2020-01-01-alpha.md": post("Alpha", "## Setup\n\ntext ![a pic](img/pic.png)\n"),
        "beta.md": post("Beta", "See [alpha](/alpha), [its setup](/2020/01/01/alpha/#setup), "
                                "[missing](/alpha#nope), ![remote](https://example.com/x.png) and ![gone](nope.png).\n"),
    }
    book, problems = compile_manifest(make_book(book_dir, posts))
    alpha, beta = book.chapters
    assert 'href="#alpha"' in beta.html and 'href="#alpha--setup"' in beta.html
    assert book.assets == {"assets/img/pic.png": (book_dir / "img" / "pic.png").resolve()}
    assert '<img src="assets/img/pic.png" alt="a pic">' in alpha.html
    assert '<a href="https://example.com/x.png" class="remote-image">remote</a>' in beta.html
    assert "<img" not in beta.html
    found = {d.code: d.line for d in problems if d.path == "beta.md"}
    assert found["CB107"] == 6 and found["CB117"] == 6 and found["CB116"] == 6


def test_footnote_ids_scoped_per_chapter(book_dir):
    posts = {f"{n}.md": post(n.upper(), "Text[^1].\n\n[^1]: A note.\n") for n in ("a", "b")}
    book, _ = compile_manifest(make_book(book_dir, posts))
    a, b = book.chapters
    assert 'id="a--fn1"' in a.html and 'href="#a--fnref1"' in a.html
    assert 'id="b--fn1"' in b.html and 'id="fn1"' not in a.html + b.html


def test_book_metadata(book_dir):
    posts = {"a.md": post("A", tags=["x", "y"], date="2020-01-01"), "b.md": post("B", tags=["y", "z"], date="2021-05-06")}
    manifest = make_book(book_dir, posts, {"title": "Meta Book", "authors": ["A", "B"], "language": "fr-CA",
                                           "chapters": list(posts), "rights": "CC-BY"})
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        book, _ = compile_manifest(manifest)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    m = book.meta
    assert (m.subjects, m.date, m.language, m.slug) == (("x", "y", "z"), "2021-05-06", "fr-CA", "meta-book")
    assert m.modified.timestamp() == 1700000000 and m.authors == ("A", "B")


def test_raw_html_links_anchors_and_images_are_resolved(book_dir):
    (book_dir / "pic.png").write_bytes(b"\x89PNG\r\n")
    posts = {
        "a.md": post("A", '<a href="#raw-target">jump</a> <a href="/b">to b</a> <img src="pic.png" alt="p"> '
                          '<img src="/etc/passwd" alt="bad"> <img src="https://x.test/r.png" alt="remote">\n\n## Raw Target\n\nx\n'),
        "b.md": post("B"),
    }
    book, problems = compile_manifest(make_book(book_dir, posts))
    html = book.chapters[0].html
    assert 'href="#a--raw-target"' in html and 'href="#b"' in html
    assert '<img src="assets/pic.png" alt="p">' in html and "assets/pic.png" in book.assets
    assert "/etc/passwd" not in html and '<a href="https://x.test/r.png" class="remote-image">remote</a>' in html
    assert '<span class="missing-image">bad</span>' in html
    assert {d.code for d in problems if d.path == "a.md"} >= {"CB116", "CB117"}


def test_progress_names_stages_and_chapters(book_dir):
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    seen: list[str] = []
    compile_book(load_manifest(make_book(book_dir, {"a.md": post("A"), "b.md": post("B")})), progress=seen.append)
    assert seen[0] == "reading posts" and "parsing 2 posts with pandoc" in seen
    assert "rendering 2 chapters" in seen and "rendering chapter 2/2 b" in seen
    seen.clear()
    compile_book(load_manifest(book_dir / "book.yml"), render=False, progress=seen.append)
    assert "resolving links: chapter 2/2 b" in seen and not any(s.startswith("rendering") for s in seen)


def test_a_cache_sends_pandoc_only_what_changed(book_dir, monkeypatch):
    """`serve` compiles after every save: posts and chapters pandoc already answered are not sent
    again, and the book is the same as one compiled from scratch."""
    from compiler.compile import pandoc
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    sent: list[str] = []
    real = pandoc._run

    def counting(requests, unwrap, raw=False):
        sent.extend(header.split('"op": "', 1)[1][:4] for header, _ in requests)
        return real(requests, unwrap, raw)

    monkeypatch.setattr(pandoc, "_run", counting)
    posts = {"a.md": post("A", "Text of A, see [B](b.md).\n"), "b.md": post("B", "Text of B.\n\n## Part\n\nMore.\n"),
             "c.md": post("C", "Text of C.\n")}
    manifest = make_book(book_dir, posts)
    cache = pandoc.Cache()
    first, _ = compile_book(load_manifest(manifest), cache=cache)
    assert sorted(sent) == ["read"] * 3 + ["writ"] * 3
    sent.clear()
    again, _ = compile_book(load_manifest(manifest), cache=cache)
    assert sent == [] and [c.html for c in again.all_chapters] == [c.html for c in first.all_chapters]
    (book_dir / "c.md").write_text(post("C", "Text of C, edited.\n"), encoding="utf-8")
    edited, _ = compile_book(load_manifest(manifest), cache=cache)
    assert sorted(sent) == ["read", "writ"]
    fresh, _ = compile_book(load_manifest(manifest))
    assert [c.html for c in edited.all_chapters] == [c.html for c in fresh.all_chapters]
    assert "edited" in edited.all_chapters[2].html
    assert len(cache.reads) == 3 and len(cache.writes) == 3   # one build's answers, not every version


def test_a_post_too_deep_to_use_is_never_cached(book_dir):
    """A failure is not kept: the next build under `serve` reports it again instead of crashing."""
    from compiler.compile import pandoc
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    deep = "\n".join("  " * i + "- x" for i in range(400)) + "\n"    # too deep for Python to read back
    manifest = make_book(book_dir, {"a.md": post("A", "Fine.\n"), "b.md": post("B", deep)})
    cache = pandoc.Cache()
    for _ in range(2):
        _, problems = compile_book(load_manifest(manifest), render=False, cache=cache)
        assert [d.path for d in problems if d.code == "CB150"] == ["b.md"]   # nesting too deep (issue 13)
        assert len(cache.reads) == 1
