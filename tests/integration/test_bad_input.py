"""Bad input never yields a traceback: one clear message with file:line, a documented exit code."""

from __future__ import annotations

import json
import os

from conftest import make_book, post, run_cli


def _assert_clean(result, code: int):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout


def test_yaml_syntax_error_in_manifest(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, "title: X\nchapters: [a.md\nlanguage: en\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    assert f"{manifest}:3:" in result.stderr and "YAML" in result.stderr


def test_unknown_key_names_its_line(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, "title: X\nchapters: [a.md]\nauthor: Me\n")
    result = run_cli("build", str(manifest))
    _assert_clean(result, 2)
    assert f"{manifest}:3:" in result.stderr and "unknown key 'author'" in result.stderr


def test_every_manifest_problem_reported_at_once(book_dir):
    manifest = make_book(book_dir, {"a.md": post()},
                         "title: X\nlanguage: not a tag\nchapters: [a.md]\ndrafts: maybe\noutputs:\n  epub: {nonsense: 1}\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    for line in (2, 4, 6):
        assert f"{manifest}:{line}:" in result.stderr


def test_missing_manifest(book_dir):
    result = run_cli("check", str(book_dir / "nope.yml"))
    _assert_clean(result, 2)
    assert "manifest not found" in result.stderr


def test_missing_post_file_is_a_book_error(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, {"title": "X", "chapters": ["a.md", "missing.md"]})
    result = run_cli("check", str(manifest), "--format", "json")
    _assert_clean(result, 1)
    (d,) = [d for d in json.loads(result.stdout) if d["code"] == "CB100"]
    assert d["path"] == "book.yml" and d["line"] == 4  # the list entry itself
    assert "missing.md does not exist" in d["message"]


def test_broken_front_matter_is_a_book_error_with_line(book_dir):
    bad = "---\ntitle: Broken\ntags: [a, b\ndate: 2024-01-01\n---\n\nText\n"
    manifest = make_book(book_dir, {"a.md": post(), "b.md": bad})
    result = run_cli("check", str(manifest), "--format", "json")
    _assert_clean(result, 1)
    (d,) = [d for d in json.loads(result.stdout) if d["code"] == "CB113"]
    assert d["path"] == "b.md" and d["line"] in (3, 4)


def test_build_with_errors_writes_nothing_and_keeps_old_output(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, {"title": "X", "chapters": ["a.md", "gone.md"], "outputs": {"html": {}}})
    out = book_dir / "dist"
    out.mkdir()
    (out / "keep.txt").write_text("previous good book")
    result = run_cli("build", str(manifest))
    _assert_clean(result, 1)
    assert "Not built" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_not_utf8_post(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, {"title": "X", "chapters": ["a.md", "latin.md"]})
    (book_dir / "latin.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n\nText\n")
    result = run_cli("check", str(manifest), "--format", "json")
    _assert_clean(result, 1)
    (d,) = [d for d in json.loads(result.stdout) if d["code"] == "CB100"]
    assert d["path"] == "latin.md" and d["line"] == 2 and "UTF-8" in d["message"]


def test_unknown_format_is_usage_error(book_dir):
    manifest = make_book(book_dir, {"a.md": post()})
    result = run_cli("build", str(manifest), "--format", "mobi")
    _assert_clean(result, 2)
    assert "unknown output format 'mobi'" in result.stderr


def test_outside_paths_refused(book_dir):
    outside = book_dir.parent / "secret.md"
    outside.write_text(post("Secret"))
    os.symlink(outside, book_dir / "link.md")
    manifest = make_book(book_dir, {"a.md": post()}, {"title": "X", "chapters": ["a.md", "../secret.md", "link.md"]})
    result = run_cli("check", str(manifest), "--format", "json")
    _assert_clean(result, 1)
    messages = [d["message"] for d in json.loads(result.stdout) if d["code"] == "CB100"]
    assert len(messages) == 2 and all("outside the book folder" in m for m in messages)
