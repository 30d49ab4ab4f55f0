"""compiler.build.output: a failed write leaves the previous file or folder in place."""

from __future__ import annotations

import pytest

from compiler.build.output import atomic_dir, atomic_path, write_bytes


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "out" / "book.epub"
    write_bytes(target, b"one")
    write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["book.epub"]


def test_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "book.pdf"
    target.write_bytes(b"good")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("render failed")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["book.pdf"]


def test_failure_keeps_previous_folder(tmp_path):
    target = tmp_path / "html"
    with atomic_dir(target) as tmp:
        (tmp / "index.html").write_text("v1")
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "index.html").write_text("v2")
            raise RuntimeError("boom")
    assert (target / "index.html").read_text() == "v1"
    with atomic_dir(target) as tmp:
        (tmp / "other.html").write_text("v3")
    assert [p.name for p in target.iterdir()] == ["other.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["html"]
