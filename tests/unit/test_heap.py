import gc

import pytest

from compiler.support.heap import paused_gc


def test_pause_restores_the_collector_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with paused_gc():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_pauses_keep_the_outer_one():
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_compile_book_leaves_the_collector_on(tmp_path):
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n\nText.\n")
    (tmp_path / "book.yml").write_text("title: T\nauthors: [Me]\nchapters: [a.md]\n")
    book, _ = compile_book(load_manifest(tmp_path / "book.yml"), render=False)
    assert [c.title for c in book.all_chapters] == ["A"]
    assert gc.isenabled()


def test_freeze_keeps_what_the_block_built_out_of_later_collections():
    gc.unfreeze()
    with paused_gc(freeze=True):
        kept = [{"t": "Str", "c": str(i)} for i in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() >= 1000
    gc.unfreeze()
    assert kept
