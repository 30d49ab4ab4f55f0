"""compiler.support.urls and compiler.support.paths: the one toolkit for URLs, ids and confinement."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler.support.paths import OutsideBook, confine, inside, relative, walk_posts
from compiler.support.urls import element_ids, encode_url, has_scheme, scheme_of, unique_id


@pytest.mark.parametrize("url, scheme", [
    ("https://example.com/", "https"), ("HTTP://x", "http"), ("mailto:a@b.c", "mailto"),
    ("data:image/png;base64,AA", "data"), ("git+ssh://host/repo", "git+ssh"),
    ("/posts/a", ""), ("#top", ""), ("//cdn.test/x.js", ""), ("a/b:c", ""), ("1http://x", ""), ("", ""),
])
def test_scheme_of_a_url(url, scheme):
    assert scheme_of(url) == scheme
    assert has_scheme(url) == bool(scheme)


def test_unique_id_counts_from_two_and_records_what_it_gives():
    taken = {"intro"}
    assert unique_id("intro", taken) == "intro-2"
    assert unique_id("intro", taken) == "intro-3"
    assert unique_id("other", taken) == "other"
    assert taken == {"intro", "intro-2", "intro-3", "other"}


def test_element_ids_in_document_order():
    html = '<h2 id="b">B</h2><p>x <span id="a">a</span></p><a href="#b" data-x="id=&quot;no&quot;">l</a><div id="b">'
    assert element_ids(html) == ("b", "a", "b")
    assert element_ids("") == ()


@pytest.mark.parametrize("url, encoded", [
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com/x?q=\"1\"#frag ment", "https://example.com/x?q=%221%22#frag%20ment"),
    ("https://example.com/ok/%41", "https://example.com/ok/%41"),
    ("/relative/path", "/relative/path"),
])
def test_encode_url_percent_encodes_what_an_html_checker_refuses(url, encoded):
    assert encode_url(url) == encoded


def test_inside_means_the_folder_itself_or_below_it(tmp_path):
    assert inside(tmp_path, tmp_path)
    assert inside(tmp_path / "a" / "b", tmp_path)
    assert not inside(tmp_path.parent, tmp_path)
    assert not inside(tmp_path.with_name(tmp_path.name + "-sibling"), tmp_path)   # a prefix is not a parent


def test_confine_follows_links_and_refuses_what_leaves_the_book(tmp_path):
    book, outside = tmp_path / "book", tmp_path / "secret"
    book.mkdir()
    outside.mkdir()
    (book / "a.md").write_text("x")
    (book / "escape").symlink_to(outside, target_is_directory=True)
    root = Path(os.path.realpath(book))
    assert confine(root, "a.md") == root / "a.md"
    assert confine(root, "sub/../a.md") == root / "a.md"
    for name in ("../secret", "escape/file", "/etc/passwd"):
        with pytest.raises(OutsideBook):
            confine(root, name)


def test_relative_is_posix_and_falls_back_to_the_whole_path(tmp_path):
    assert relative(tmp_path, tmp_path / "a" / "b.md") == "a/b.md"
    assert relative(tmp_path / "x", tmp_path / "y.md") == (tmp_path / "y.md").as_posix()


def test_walk_posts_sorted_skips_hidden_and_non_markdown_and_does_not_follow_folder_links(tmp_path):
    for name in ("b.md", "a.markdown", "c.txt", ".hidden.md", "sub/d.md", ".git/e.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in walk_posts(tmp_path, tmp_path)]
    assert found == ["a.markdown", "b.md", "sub/d.md"]
