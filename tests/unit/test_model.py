"""compiler.model: the Book every backend gets (reading order, id owners, the ids of a fragment),
build_time and shorten."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from helpers import book, chapter

from compiler.compile.transforms.ids import Heading
from compiler.model.book import Part, build_time, shorten
from compiler.model.diagnostics import FatalError


def test_reading_order_is_front_then_parts_then_back():
    b = book(front=[chapter("pre", "front")],
             parts=[Part("One", "part-one", (chapter("a"), chapter("b"))), Part("Two", "part-two", (chapter("c"),))],
             back=[chapter("post", "back")])
    assert [c.slug for c in b.chapters] == ["a", "b", "c"]
    assert [c.slug for c in b.all_chapters] == ["pre", "a", "b", "c", "post"]
    assert b.has_parts
    assert not book(parts=[Part(None, None, (chapter("a"),))]).has_parts


def test_chapter_of_maps_every_chapter_heading_and_part_id_to_its_owner():
    b = book(parts=[Part("One", "part-one", (chapter("a", headings=[Heading(2, "Setup", "a--setup")]),))],
             back=[chapter("z", "back")])
    assert b.chapter_of() == {"a": "a", "a--setup": "a", "z": "z", "part-one": "part-one"}


def test_chapter_ids_come_from_its_fragment_and_follow_a_replaced_fragment():
    c = chapter("a", html='<h2 id="a--x">X</h2><p><span id="a--fn1">1</span></p>')
    assert c.ids == ("a--x", "a--fn1")
    assert dataclasses.replace(c, html='<p id="other">o</p>').ids == ("other",)
    assert chapter("b").ids == ()


def test_build_time_reads_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_time() == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(FatalError) as exc:
        build_time()
    assert exc.value.exit_code == 2
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert build_time().tzinfo == timezone.utc and build_time().microsecond == 0


@pytest.mark.parametrize("text, limit, short", [
    ("Short title", 20, "Short title"),
    ("A rather long title for a running head", 20, "A rather long title\u2026"),
    ("Words, commas; and more", 15, "Words, commas\u2026"),
    ("Words, commas; and more", 14, "Words\u2026"),
    ("Unbreakablewordthatgoeson", 10, "Unbreakab\u2026"),
])
def test_shorten_cuts_at_a_word_and_adds_an_ellipsis(text, limit, short):
    assert shorten(text, limit) == short
    assert len(shorten(text, limit)) <= limit
