"""compiler.compile.lint: the editor's checks, with lines."""

from __future__ import annotations

from helpers import compile_manifest, make_book, post


def found(problems, code):
    return [(d.path, d.line) for d in problems if d.code == code]


def test_editorial_notes_in_prose_not_in_code(book_dir):
    body = "Intro.\n\nTK: a figure here.\n\n```python\n# TODO: not a note\n```\n\nUse `FIXME` markers? FIXME later.\n"
    _, problems = compile_manifest(make_book(book_dir, {"a.md": post("A", body)}))
    assert found(problems, "CB102") == [("a.md", 8), ("a.md", 14)]


def test_custom_editorial_patterns(book_dir):
    manifest = make_book(book_dir, {"a.md": post("A", "Write more here [[later]].\n")},
                         {"title": "T", "chapters": ["a.md"], "editorial_notes": [r"\[\[later\]\]"]})
    assert found(compile_manifest(manifest)[1], "CB102") == [("a.md", 6)]


def test_heading_jump_and_empty_last_section(book_dir):
    body = "## A\n\ntext\n\n#### Deep\n\ntext\n\n## Last\n"
    _, problems = compile_manifest(make_book(book_dir, {"a.md": post("A", body)}))
    assert found(problems, "CB106") == [("a.md", 10)]
    assert found(problems, "CB101") == [("a.md", 14)]


def test_versions_of_one_text_by_headings(book_dir):
    body = "## Why\n\nx\n\n## How it works\n\nx\n\n## Pitfalls\n\nx\n"
    posts = {"a.md": post("Caching for beginners", body), "b.md": post("A fresh look at caches", body),
             "c.md": post("Rust 1.10 released"), "d.md": post("Rust 1.11 released")}
    _, problems = compile_manifest(make_book(book_dir, posts))
    assert [p for p, _ in found(problems, "CB109")] == ["b.md"]
