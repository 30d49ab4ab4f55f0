"""The acceptance checks of the core on the project's own book (book.yml, content/posts)."""

from __future__ import annotations

import pytest

from helpers import ROOT, run_cli, run_json

LATE = "content/posts/working-effectively-with-product-managers.md"
EARLY = "content/posts/working-with-product-managers.md"


@pytest.fixture(scope="module")
def toc():
    result, data = run_json("toc", "--format", "json")
    assert result.returncode == 0, result.stderr
    return data


@pytest.fixture(scope="module")
def check():
    result, data = run_json("check", "--format", "json")
    return result, data


def test_chapters_in_date_order(toc):
    assert [c["date"] for c in toc["chapters"]] == ["2025-08-07", "2026-02-03"]
    assert [c["source"] for c in toc["chapters"]] == [LATE, EARLY]
    assert toc["title"] == "The Tech Lead Series"


def test_sections_are_level_two_and_subsections_three(toc):
    first, second = toc["chapters"]
    assert [h["text"] for h in first["headings"]] == [
        "What Product Managers Do", "Owning the How, Partnering on the What",
        "Balancing Delivery and Quality", "Common Challenges"]
    assert {h["level"] for h in first["headings"]} == {2}
    levels = {h["text"]: h["level"] for h in second["headings"]}
    assert levels["The Partnership Model"] == 2 and levels["Early involvement"] == 3


def test_no_series_blockquote_anywhere(toc):
    texts = " ".join(h["text"] for c in toc["chapters"] for h in c["headings"])
    assert "series" not in texts.lower()


def test_ids_unique_and_scoped_by_chapter(toc):
    ids = [h["id"] for c in toc["chapters"] for h in c["headings"]]
    assert len(ids) == len(set(ids))
    for chapter in toc["chapters"]:
        assert all(h["id"].startswith(chapter["slug"] + "--") for h in chapter["headings"])


def _find(diags, code, path=None):
    return [d for d in diags if d["code"] == code and (path is None or d["path"] == path)]


def test_check_reports_the_drafts_problems_at_their_lines(check):
    result, diags = check
    assert result.returncode == 0, result.stderr
    assert sorted(d["line"] for d in _find(diags, "CB101", LATE)) == [30, 32]
    assert [d["line"] for d in _find(diags, "CB102", LATE)] == [38]
    (lastmod,) = _find(diags, "CB105", LATE)
    assert "sitemap.lastmod" in lastmod["message"] and lastmod["line"] == 8
    assert len(_find(diags, "CB104", LATE)) == 1 and not _find(diags, "CB104", EARLY)
    (similar,) = _find(diags, "CB109")
    assert {similar["path"], *[p for p in (LATE, EARLY) if p in similar["message"]]} == {LATE, EARLY}
    (link,) = _find(diags, "CB110")
    assert link["path"] == EARLY and "/product-engineers" in link["message"] and link["line"] == 62
    assert all(set(d) == {"code", "severity", "path", "line", "message"} for d in diags)
    assert all(d["severity"] != "error" for d in diags)


def test_check_strict_fails_on_warnings():
    assert run_cli("check", "--strict", "-q").returncode == 1


def test_text_output_names_file_and_line():
    result = run_cli("check")
    assert f"{LATE}:30: warning CB101" in result.stderr


def test_sources_are_never_modified(check):
    before = {p: p.read_bytes() for p in (ROOT / "content").rglob("*.md")}
    run_cli("toc")
    assert before == {p: p.read_bytes() for p in (ROOT / "content").rglob("*.md")}


def test_content_is_the_seeds_verbatim():
    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    ours = sorted(p.read_bytes() for p in (ROOT / "content" / "posts").glob("*.md"))
    assert ours == sorted(p.read_bytes() for p in seeds.iterdir())
