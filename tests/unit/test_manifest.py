"""compiler.load.manifest: the schema, its messages, and the stable identifier."""

from __future__ import annotations

import pytest

from compiler.model.diagnostics import FatalError
from compiler.load.manifest import load_manifest


def _load(tmp_path, text):
    path = tmp_path / "book.yml"
    path.write_text(text)
    return load_manifest(path)


def test_minimal_manifest_defaults(tmp_path):
    m = _load(tmp_path, "title: My Book\nchapters: [a.md]\n").manifest
    assert (m.language, m.drafts, m.markdown_flavor, m.network, m.theme) == ("en", "warn", "commonmark_x", False, "default")
    assert m.book_identifier.startswith("urn:uuid:")


def test_identifier_is_stable_and_depends_on_title(tmp_path):
    a = _load(tmp_path, "title: One\nchapters: []\n").manifest.book_identifier
    b = _load(tmp_path, "title: One\nchapters: []\nlanguage: fr\n").manifest.book_identifier
    c = _load(tmp_path, "title: Two\nchapters: []\n").manifest.book_identifier
    assert a == b != c


@pytest.mark.parametrize("text, needle", [
    ("title: X\n", "exactly one of `chapters`, `parts` or `series`"),
    ("title: X\nchapters: []\nseries: {from: posts}\n", "found chapters, series"),
    ("title: X\nchapters: []\nsite_url: example.com\n", "site_url must be an absolute"),
    ("title: X\nchapters: []\nmarkdown_flavor: rst\n", "unknown markdown flavor"),
    ("title: X\nchapters: []\neditorial_notes: ['(']\n", "not a valid regular expression"),
    ("title: X\nchapters: []\nboilerplate: [{kind: blockquote}]\n", "needs one of starts_with"),
    ("title: X\nseries: {from: posts, order: random}\n", "series.order"),
    ("title: ''\nchapters: []\n", "title is empty"),
    ("- a\n- b\n", "must be a mapping"),
    ("title: X\nchapters: []\nx: &a 1\ny: *a\n", "aliases"),
])
def test_refusals(tmp_path, text, needle):
    with pytest.raises(FatalError) as info:
        _load(tmp_path, text)
    assert needle in str(info.value)
    assert info.value.exit_code == 2


def test_lines_and_key_paths_in_messages(tmp_path):
    with pytest.raises(FatalError) as info:
        _load(tmp_path, "title: X\nparts:\n  - title: P\n    chapterz: [a.md]\n")
    text = str(info.value)
    assert "book.yml:4: unknown key 'parts.0.chapterz'" in text
    assert "book.yml:3: parts.0.chapters: required key is missing" in text


def test_entry_lines_are_kept(tmp_path):
    loaded = _load(tmp_path, "title: X\nchapters:\n  - a.md\n  - b.md\n")
    assert loaded.line("chapters", 1) == 4
    assert loaded.root == tmp_path.resolve()
