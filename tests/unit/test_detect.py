"""compiler.init.detect: which engine a blog uses, where its posts are, and its series, without
running `chapbook init`."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import post

from compiler.init.detect import detect_engine, is_placeholder_url, scan


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("files, engine", [
    ({"source/_posts/a.md": "x"}, "hexo"),
    ({"content/posts/a.md": "x", "hugo.toml": "title = 'x'\n"}, "hugo"),
    ({"content/posts/a.md": "x"}, "plain"),                 # content/ without a Hugo config is not Hugo
    ({"_posts/2020-01-01-a.md": "x"}, "jekyll"),
    ({"_config.yml": "title: x\n"}, "jekyll"),
    ({"eleventy.config.js": "", "posts/a.md": "x"}, "eleventy"),
    ({"notes/a.md": "x"}, "plain"),
])
def test_detect_engine(tmp_path, files, engine):
    assert detect_engine(write(tmp_path, files)) == engine


def test_scan_finds_the_posts_folder_and_the_series(tmp_path):
    write(tmp_path, {
        "hugo.toml": "title = 'Blog'\nbaseURL = 'https://blog.test/'\n",
        "content/posts/a.md": post("A", tags=["rust", "intro"]),
        "content/posts/b.md": post("B", tags=["rust"], categories=["notes"]),
        "content/about.md": post("About"),
    })
    blog = scan(tmp_path)
    assert blog.engine == "hugo"
    assert blog.folder == tmp_path.resolve() / "content/posts"
    assert sorted(p.rel for p in blog.posts) == ["content/posts/a.md", "content/posts/b.md"]
    series = [(s.kind, s.name, len(s.posts)) for s in blog.series()]
    assert series == [("all", "(all posts)", 2), ("tag", "rust", 2), ("tag", "intro", 1), ("category", "notes", 1)]


@pytest.mark.parametrize("url, placeholder", [
    ("https://example.com/", True), ("http://blog.example.org/x", True), ("http://localhost:1313/", True),
    ("https://blog.rust-lang.org/", False), ("https://example.community/", False),
])
def test_placeholder_urls_are_recognised(url, placeholder):
    assert is_placeholder_url(url) is placeholder
