"""The build cache's memo (issue 12): entries, and the pieces whose stored form must give back
exactly what computing them gives (ids of stored blocks, front matter)."""

from __future__ import annotations

from pathlib import Path

from compiler.build.memo import Memo
from compiler.compile.memos import Stored
from compiler.compile.transforms.ids import apply_ids, assign_ids, heading_heads
from compiler.load import yamlsafe


def header(level, ident, text):
    return {"t": "Header", "c": [level, [ident, [], []], [{"t": "Str", "c": text}]]}


BLOCKS = [header(2, "", "Intro"), {"t": "Para", "c": [{"t": "Str", "c": "x"}]},
          {"t": "Div", "c": [["box", [], []], [header(3, "own", "Inside"), header(3, "", "Intro")]]},
          header(2, "", "Intro")]


def test_stored_blocks_get_the_ids_assign_ids_gives(tmp_path):
    taken = {"post--intro"}   # an id another chapter took first
    blocks, idmap, outline = assign_ids(BLOCKS, "post", set(taken))
    stored = Stored(b"[]", None, len(BLOCKS), heading_heads(BLOCKS))
    lazy, lazy_idmap, lazy_outline = assign_ids(stored, "post", set(taken))
    assert (lazy_idmap, lazy_outline) == (idmap, outline)
    assert [h.id for h in outline] == ["post--intro-2", "post--own", "post--intro-3", "post--intro-4"]
    assert apply_ids(BLOCKS, lazy.ids) == blocks and len(lazy) == len(BLOCKS)


def test_entries_round_trip_and_a_damaged_one_is_reported(tmp_path):
    problems = []
    memo = Memo(tmp_path / ".chapbook-cache" / "memo", problems)
    key = memo.key("post", "text", 1)
    assert memo.get("post", key) is None
    memo.put("post", key, {"blocks": [1, "é", None, 2.5]})
    again = Memo(tmp_path / ".chapbook-cache" / "memo", problems)
    assert again.get("post", key) == {"blocks": [1, "é", None, 2.5]}
    entry = next(p for p in (tmp_path / ".chapbook-cache").rglob("*") if p.is_file())
    entry.write_bytes(entry.read_bytes()[:-3])
    assert Memo(tmp_path / ".chapbook-cache" / "memo", problems).get("post", key) is None
    assert [p.code for p in problems] == ["CB145"] and not entry.exists()


def test_prune_keeps_what_the_build_used(tmp_path):
    memo = Memo(tmp_path / "memo", [])
    memo.put("post", "a" * 64, 1)
    memo.put("post", "b" * 64, 2)
    (tmp_path / "memo" / "old-code-version").mkdir()
    later = Memo(tmp_path / "memo", [])
    assert later.get("post", "a" * 64) == 1
    later.prune()
    assert sorted(p.name for p in (tmp_path / "memo").rglob("*") if p.is_file()) == ["a" * 64]
    assert not (tmp_path / "memo" / "old-code-version").exists()


def test_remembered_front_matter_is_what_parsing_gives(tmp_path):
    text = "title: A\ntags: [x, y]\nnested:\n  key: 1\n  when: 2025-01-01\ntitle: B\n"
    fresh = yamlsafe.load(text)
    memo = Memo(tmp_path / "memo", [])
    with yamlsafe.remembered(memo):
        first = yamlsafe.load(text)
    with yamlsafe.remembered(Memo(tmp_path / "memo", [])):
        second = yamlsafe.load(text)
    assert fresh == first == second and second.duplicates
    odd = "when: !!set {a, b}\n"   # not JSON: never kept
    with yamlsafe.remembered(memo):
        assert yamlsafe.load(odd) == yamlsafe.load(odd)
    assert len(list(Path(tmp_path / "memo").rglob("*/yaml/*/*"))) == 1


def test_a_stored_ast_is_read_by_whatever_looks_at_it():
    import copy
    import json

    import orjson

    from compiler.compile.memos import StoredAst, StoredBlocks, chapter_ast

    blocks = [{"t": "Para", "c": [{"t": "Str", "c": "x"}]}]
    plain = chapter_ast(blocks)

    def stored():
        return chapter_ast(StoredBlocks(orjson.dumps(blocks), orjson.loads))
    assert isinstance(stored(), StoredAst) and isinstance(stored(), dict)
    assert stored()["blocks"] == blocks and stored().get("blocks") == blocks
    assert json.dumps(stored()) == json.dumps(plain)
    assert {**stored()} == plain == dict(stored()) == stored() == copy.deepcopy(stored())
    assert sorted(stored()) == sorted(plain) and len(stored()) == 3 and "blocks" in stored()


def test_a_compiled_book_keeps_its_chapters_blocks_as_json(tmp_path):
    """Without the build cache too, a compiled chapter's AST is kept as JSON bytes (memory does not
    grow with the book's lists and dicts) and reads back as the blocks pandoc's writers are given."""
    from compiler.compile.memos import StoredAst
    from helpers import compile_manifest, make_book, post

    manifest = make_book(tmp_path, {"a.md": post("A", "## One\n\nSome *text* and `code`.\n\n- a\n- b\n"),
                                    "b.md": post("B", "Just a line.\n")})
    book, problems = compile_manifest(manifest)
    chapters = list(book.all_chapters)
    assert len(chapters) == 2 and all(type(c.ast) is StoredAst for c in chapters), problems
    first = chapters[0].ast["blocks"]
    assert [b["t"] for b in first] == ["Header", "Para", "BulletList"]
    assert first[0]["c"][1][0] == chapters[0].headings[0].id == "a--one"   # the book-wide id given to it
