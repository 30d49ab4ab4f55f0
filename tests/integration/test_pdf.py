"""The PDF backend, end to end: real builds with the CLI, checked with poppler and pypdf.

Books are built once per module: the default book (twice, for reproducibility), a fixture book
with parts, front and back matter, footnotes, code, a table, an image, cross-chapter and
external links, and a hostile book whose chapters try to read files outside the book.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader

from tests.conftest import ROOT, compile_manifest, make_book, post, run_cli

EPOCH = "1700000000"          # 2023-11-14 22:13:20 UTC
LONG_CODE = "let answer = compute_the_answer(first_argument, second_argument, third_argument_that_is_long, fourth_argument_even_longer, END_OF_LINE_MARK);"
WIDE_CELL = "averyveryverylongunbrokentablecellvaluethatmustwrapinsidethecolumn" * 2

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


# --- helpers -----------------------------------------------------------------------------------

def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def pdfinfo(pdf: Path) -> dict[str, str]:
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in tool("pdfinfo", str(pdf)).splitlines())}


def page_texts(pdf: Path, layout: bool = False) -> list[str]:
    """Text of each page (pdftotext; form feeds separate pages)."""
    text = tool("pdftotext", *(["-layout"] if layout else []), str(pdf), "-")
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    """Whitespace collapsed and soft hyphens undone, for 'is this text on the page' checks."""
    return " ".join(text.replace("\u2010\n", "").replace("-\n", "").split())


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark, in order."""
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))
    walk(reader.outline, 1)
    return found


def toc_lines(pages: list[str]) -> list[tuple[str, str]]:
    """(title, printed page number) of each entry on the Contents pages (pdftotext -layout)."""
    entries = []
    for text in pages:
        if "Contents" not in text:
            continue
        pending = ""
        for line in text.splitlines():
            match = re.match(r"^\s*(.*?)[\s.]*\.{3,}[\s.]*([ivxlc]+|\d+)\s*$", line)
            if match:
                entries.append((" ".join((pending + " " + match[1]).split()), match[2]))
                pending = ""
            elif line.strip() and line.strip() != "Contents" and not re.fullmatch(r"\s*[ivxlc]+\s*", line):
                pending += " " + line.strip()
    return entries


def build(manifest: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli("build", str(manifest), "--format", "pdf", "--out", str(out), *extra,
                   env={"SOURCE_DATE_EPOCH": EPOCH, **(env or {})})


# --- the fixture book --------------------------------------------------------------------------

def write_fixture(folder: Path, outside: Path) -> Path:
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (1600, 900), (200, 60, 40)).save(folder / "images" / "wide.png")
    outside.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (10, 10), (0, 0, 0)).save(outside / "outside.png")
    posts = {
        "front/preface.md": post("Preface", "Why this book exists. Read [the first chapter](/alpha).\n"),
        "posts/alpha.md": post("Alpha Chapter", f"""
            > This post is part of the Fixture Series.

            Opening words of alpha with a note.[^a] See [the beta details](/beta#beta-details) later.

            Visit [the Example site](https://example.com/docs) and again [the same site](https://example.com/docs),
            then [another site](https://example.org/other).

            ## Alpha Section One

            Text of section one. A second note here.[^b]

            ```rust
            {LONG_CODE}
            fn main() {{ println!("hello"); }}
            ```

            ### Alpha Deep Section

            Deep text.

            #### Too Deep For The Contents

            Below the depth limit.

            | Name | Value |
            |------|-------|
            | one  | {WIDE_CELL} |
            | two  | 2 |

            ![A wide red picture](../images/wide.png)

            <img src="../../outside-dir/outside.png" alt="escapes">

            [^a]: The alpha footnote text.
            [^b]: The second alpha note, [with a link](https://example.net/in-note).
            """, date="2024-01-02", tags=["fixture", "alpha"]),
        "posts/beta.md": post("Beta Chapter", "\n\n".join([
            "Beta begins. Back to [alpha section one](/alpha#alpha-section-one).[^c]",
            "## Beta Details",
            "Details of beta.",
            *["Filler paragraph for beta that keeps going for a while to fill a page or two of text." * 3] * 14,
            "[^c]: Beta's first note: numbering starts again.",
        ]) + "\n", date="2024-02-03", tags=["fixture", "beta"]),
        "posts/gamma.md": post("Gamma Chapter", "Gamma text.\n\n## Gamma Only Section\n\nMore gamma.\n", date="2024-03-04"),
        "back/afterword.md": post("Afterword", "Thanks for reading.\n"),
    }
    manifest = {
        "title": "Fixture Book", "subtitle": "Everything a PDF needs", "authors": ["Ada Writer", "Bo Editor"],
        "language": "en-GB", "description": "A book for testing the PDF backend.",
        "publisher": "Test Press", "rights": "CC BY 4.0",
        "front_matter": ["front/preface.md"],
        "parts": [{"title": "First Part", "chapters": ["posts/alpha.md", "posts/beta.md"]},
                  {"title": "Second Part", "chapters": ["posts/gamma.md"]}],
        "back_matter": ["back/afterword.md"],
        "boilerplate": [{"kind": "blockquote", "starts_with": "This post is part of"}],
        "outputs": {"pdf": {"page_size": "6in x 9in", "recto_chapters": True, "link_notes": True, "toc_depth": 3}},
    }
    return make_book(folder, posts, manifest)


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("fixture")
    manifest = write_fixture(base / "book", base / "outside-dir")
    result = build(manifest, base / "out")
    assert result.returncode == 0, result.stderr
    pdf = base / "out" / "fixture-book.pdf"
    book, _ = compile_manifest(manifest)
    return {"pdf": pdf, "reader": PdfReader(pdf), "result": result, "book": book,
            "pages": page_texts(pdf), "layout": page_texts(pdf, layout=True)}


@pytest.fixture(scope="module")
def default_builds(tmp_path_factory):
    outs = [tmp_path_factory.mktemp(f"default{i}") for i in (1, 2)]
    results = [build(ROOT / "book.yml", out) for out in outs]
    for result in results:
        assert result.returncode == 0, result.stderr
    return [out / "the-tech-lead-series.pdf" for out in outs]


# --- the default book ------------------------------------------------------------------------------

def test_default_book_metadata_and_fonts(default_builds):
    pdf = default_builds[0]
    info = pdfinfo(pdf)
    assert info["Title"] == "The Tech Lead Series"
    assert info["Author"] == "The Author"
    assert info["Creator"].startswith("chapbook ")
    assert info["Subject"].startswith("Essays on the tech lead")
    assert "tech-lead" in info["Keywords"]
    assert info["Page size"].startswith("419.5")          # A5 by default
    assert "2023" in info["CreationDate"] and "Nov 14 22:13:20" in info["ModDate"]
    fonts = tool("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts and all(re.split(r"\s{1,}", row.split("Identity-H")[-1].strip())[0] == "yes" for row in fonts), fonts
    assert any("Chapbook-Serif" in row for row in fonts)
    assert PdfReader(pdf).trailer["/Root"]["/Lang"] == "en-GB"


def test_default_book_is_reproducible(default_builds):
    first, second = (p.read_bytes() for p in default_builds)
    assert first == second


def test_default_book_has_no_series_blockquote_and_running_headers(default_builds):
    pdf = default_builds[0]
    text = flat(" ".join(page_texts(pdf)))
    assert "This post is part of" not in text
    reader = PdfReader(pdf)
    entries = [e for e in outline(reader) if e[0] == 1]
    assert [e[1] for e in entries] == ["Working Effectively With Product Managers", "Working with Product Managers"]
    _assert_running_headers(page_texts(pdf, layout=True), entries, len(reader.pages), "The Tech Lead Series")


def _assert_running_headers(layout: list[str], chapters: list[tuple], page_count: int, book_title: str):
    """Right pages of a chapter carry its title at the top, left pages the book title."""
    starts = [index for _, _, index in chapters] + [page_count]
    checked = 0
    for (_, title, start), end in zip(chapters, starts[1:]):
        for index in range(start + 1, end):
            head = next((line.strip() for line in layout[index].splitlines() if line.strip()), "")
            if not head:
                continue                                   # a blank page
            expected = title if index % 2 == 0 else book_title   # index 0 is page 1, a right page
            assert flat(head) == flat(expected) or flat(expected).startswith(flat(head)), (index, head, expected)
            checked += 1
    assert checked >= 2


# --- the fixture book ----------------------------------------------------------------------------

def test_fixture_metadata(fixture_build):
    info = pdfinfo(fixture_build["pdf"])
    assert info["Title"] == "Fixture Book"
    assert info["Author"] == "Ada Writer, Bo Editor"
    assert info["Page size"] == "432 x 648 pts"          # 6in x 9in
    assert info["Keywords"] == "fixture, alpha, beta"


def test_outline_equals_the_book_outline(fixture_build):
    got = [(depth, title) for depth, title, _ in outline(fixture_build["reader"])]
    assert got == [
        (1, "Preface"),
        (1, "First Part"),
        (2, "Alpha Chapter"), (3, "Alpha Section One"), (4, "Alpha Deep Section"),
        (2, "Beta Chapter"), (3, "Beta Details"),
        (1, "Second Part"),
        (2, "Gamma Chapter"), (3, "Gamma Only Section"),
        (1, "Afterword"),
    ]


def test_bookmarks_point_at_their_headings_and_toc_numbers_match(fixture_build):
    reader, pages = fixture_build["reader"], fixture_build["pages"]
    labels = reader.page_labels
    marks = outline(reader)
    toc = toc_lines(fixture_build["layout"])
    assert [title for title, _ in toc] == [title for _, title, _ in marks]
    for (_, title, index), (_, printed) in zip(marks, toc):
        assert title in flat(pages[index]), (title, index)
        assert labels[index] == printed, (title, labels[index], printed)
    assert labels[marks[0][2]] in ("v", "vii")            # preface: roman, after cover, title, colophon, contents
    assert labels[marks[2][2]] == "1"                     # the first chapter after the first part page
    assert labels[marks[1][2]] == "1" or labels[marks[1][2]].isdigit()


def test_no_page_numbers_on_cover_and_openings_but_roman_in_front(fixture_build):
    reader, layout = fixture_build["reader"], fixture_build["layout"]
    def last_line(i):
        lines = [l.strip() for l in layout[i].splitlines() if l.strip()]
        return lines[-1] if lines else ""
    assert not re.fullmatch(r"[ivx]+|\d+", last_line(0))                 # the cover
    for _, title, index in outline(reader):
        if title in ("Alpha Chapter", "Beta Chapter", "Gamma Chapter", "Preface", "Afterword", "First Part"):
            assert not re.fullmatch(r"[ivx]+|\d+", last_line(index)), (title, last_line(index))
    contents = next(i for i, text in enumerate(layout) if "Contents" in text)
    assert re.fullmatch(r"[ivx]+", last_line(contents))
    numbered = [i for i in range(len(layout)) if re.fullmatch(r"\d+", last_line(i))]
    assert numbered and all(reader.page_labels[i] == last_line(i) for i in numbered)


def test_chapters_start_on_right_hand_pages(fixture_build):
    for depth, title, index in outline(fixture_build["reader"]):
        if title.endswith("Chapter") or title.endswith("Part"):
            assert index % 2 == 0, (title, index)         # index 0 is page 1, a right-hand page


def test_running_headers_carry_the_chapter_title(fixture_build):
    chapters = [e for e in outline(fixture_build["reader"]) if e[1] in ("Beta Chapter",)]
    _assert_running_headers(fixture_build["layout"], chapters + [(2, "end", len(fixture_build["pages"]))][:0] or chapters,
                            _next_start(fixture_build, "Beta Chapter"), "Fixture Book")


def _next_start(build, title):
    marks = outline(build["reader"])
    after = [index for _, t, index in marks if index > dict((t, i) for _, t, i in marks)[title]]
    return min(after) if after else len(build["pages"])


def test_footnotes_on_their_page_numbered_per_chapter(fixture_build):
    pages = [flat(p) for p in fixture_build["pages"]]
    alpha = next(i for i, p in enumerate(pages) if "Opening words of alpha" in p)
    assert "1. The alpha footnote text." in pages[alpha]
    second = next(i for i, p in enumerate(pages) if "A second note here" in p)
    assert "The second alpha note" in pages[second]
    assert "<https://example.net/in-note>" in pages[second]
    beta = next(i for i, p in enumerate(pages) if "Beta begins" in p)
    assert "1. Beta's first note: numbering starts again." in pages[beta]
    assert not any("↩" in p for p in pages)


def test_external_links_clickable_with_deduplicated_link_notes(fixture_build):
    pages = fixture_build["pages"]
    whole = flat(" ".join(pages))
    assert whole.count("https://example.com/docs") == 1          # two links, one note
    assert "https://example.org/other" in whole
    uris, internal = set(), 0
    for page in fixture_build["reader"].pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A") or {}
            if "/URI" in action:
                uris.add(action["/URI"])
            elif "/Dest" in annot or action.get("/S") == "/GoTo":
                internal += 1
    assert {"https://example.com/docs", "https://example.org/other"} <= uris
    assert internal >= 11 + 2                                     # the contents entries and in-book links


def test_code_and_tables_fit_the_page(fixture_build):
    whole = flat(" ".join(fixture_build["pages"]))
    assert "END_OF_LINE_MARK" in whole
    width = 432
    bbox = tool("pdftotext", "-bbox", str(fixture_build["pdf"]), "-")
    boxes = [float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert boxes and max(boxes) <= width - 20, max(boxes)


def test_image_embedded_and_outside_image_reported(fixture_build):
    reader = fixture_build["reader"]
    assert any(len(page.images) for page in reader.pages)
    assert "CB201" in fixture_build["result"].stderr or "CB116" in fixture_build["result"].stderr


def test_sections_below_toc_depth_are_not_in_toc(fixture_build):
    titles = [t for t, _ in toc_lines(fixture_build["layout"])]
    assert "Too Deep For The Contents" not in titles
    assert "Too Deep For The Contents" in flat(" ".join(fixture_build["pages"]))
