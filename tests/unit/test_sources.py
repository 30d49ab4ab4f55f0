"""compiler.load.sources: front matter in its real-world forms, dates, slugs, line numbers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from compiler.load.sources import load_post, parse_date, parse_post


def _post(tmp_path: Path, raw: bytes, name: str = "2024-05-06-hello-world.md"):
    path = tmp_path / name
    path.write_bytes(raw)
    return load_post(path, name)


def codes(p):
    return [(d.code, d.line) for d in p.diagnostics]


@pytest.mark.parametrize("value, expected", [
    ("2025-08-07", datetime(2025, 8, 7)),
    ("2025-08-07 08:00:00", datetime(2025, 8, 7, 8)),
    ("2025-08-07T08:00:00+01:00", datetime.fromisoformat("2025-08-07T08:00:00+01:00")),
    ("2025-08-07T08:00:00Z", datetime.fromisoformat("2025-08-07T08:00:00+00:00")),
])
def test_iso_dates_parse(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2025-08-07 T05:00:00+01:00", "2025-02-30", "07/08/2025", "Aug 7 2025", 20250807])
def test_malformed_dates_raise(value):
    with pytest.raises(ValueError):
        parse_date(value)


def test_bom_crlf_and_lines(tmp_path):
    raw = "\ufeff---\r\ntitle: Hi\r\ndescription: d\r\ndate: 2024-13-01\r\n---\r\n\r\nBody TODO\r\n".encode()
    p = _post(tmp_path, raw)
    assert p.title == "Hi" and ("CB105", 4) in codes(p)
    assert p.locate("Body") == 7
    assert p.date == datetime(2024, 5, 6)  # from the file name, since the front matter date is bad


def test_toml_front_matter(tmp_path):
    p = _post(tmp_path, b'+++\ntitle = "Toml"\ndate = 2023-01-02\ntags = ["x"]\ndescription = "d"\n+++\n\nText\n', "post.md")
    assert (p.title, p.tags, p.date, p.slug) == ("Toml", ("x",), datetime(2023, 1, 2), "post")
    assert not p.diagnostics


def test_yaml_aliases_are_refused(tmp_path):
    bomb = b"---\ntitle: x\na: &a [1, 2]\nb: [*a, *a]\n---\nText\n"
    p = _post(tmp_path, bomb)
    assert codes(p)[0] == ("CB113", 4)


def test_yaml_11_booleans_stay_strings(tmp_path):
    p = _post(tmp_path, b"---\ntitle: NO\ndescription: d\n---\nText\n")
    assert p.title == "NO"


def test_list_front_matter_is_an_error(tmp_path):
    p = _post(tmp_path, b"---\n- a\n- b\n---\nText\n")
    assert "CB113" in [c for c, _ in codes(p)]


def test_unclosed_front_matter(tmp_path):
    p = _post(tmp_path, b"---\ntitle: x\n\nText\n")
    assert codes(p)[0] == ("CB113", 1)


def test_missing_opening_delimiter_is_recovered(tmp_path):
    p = _post(tmp_path, b"layout: post\ntitle: Recovered\ndescription: d\n---\n\nBody\n")
    assert p.title == "Recovered" and codes(p) == [("CB114", 1)]
    assert p.locate("Body") == 6


def test_leading_blank_lines_keep_line_numbers(tmp_path):
    p = _post(tmp_path, b"\n\n---\ntitle: x\ndescription: d\nlastmod: nope\n---\nText\n")
    assert codes(p) == [("CB105", 6)]


def test_slug_and_date_from_file_name_and_front_matter(tmp_path):
    p = _post(tmp_path, b"---\ntitle: x\ndescription: d\n---\nText\n")
    assert (p.slug, p.date) == ("hello-world", datetime(2024, 5, 6))
    q = _post(tmp_path, b"---\ntitle: x\nslug: ../../etc/passwd\ndescription: d\n---\nText\n", "b.md")
    assert "/" not in q.slug and ".." not in q.slug


def test_missing_title_and_description(tmp_path):
    p = _post(tmp_path, b"---\ndate: 2024-01-01\n---\nText\n")
    assert {c for c, _ in codes(p)} == {"CB103", "CB104"}


def test_not_utf8(tmp_path):
    p = _post(tmp_path, b"---\ntitle: x\n---\n\ncaf\xe9\n")
    assert codes(p) == [("CB100", 5)]


def test_draft_flag_and_tags_string(tmp_path):
    p = parse_post("---\ntitle: x\ndescription: d\ndraft: true\ntags: a, b\ncategories: [c]\n---\nT\n", tmp_path / "x.md", "x.md")
    assert p.draft is True and p.tags == ("a", "b", "c")
