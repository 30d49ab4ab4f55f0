"""The PDF backend, end to end: real builds, checked with poppler (pdfinfo, pdffonts, pdftotext)
and pypdf. Each book is built once per module: the default book (twice, for reproducibility), a
fixture book (parts, front and back matter, footnotes, code, a table, an image, cross-chapter and
external links with link notes), and a hostile book whose HTML tries to read outside the book.
"""

from __future__ import annotations

import dataclasses
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image
from pydantic import ValidationError
from pypdf import PdfReader

from compiler.backends import BuildContext
from compiler.backends.pdf import (BOOK_URL, THEME_URL, FetchPolicy, PdfBackend, PdfOptions, Refused, make_fetcher,
                                   prepare_chapter, render_job, toc_entries)
from compiler.backends.pdf.chapters import BookIds
from compiler.load.theme import load_theme
from helpers import ROOT, compile_manifest, make_book, post, run_cli

EPOCH = "1700000000"          # 2023-11-14 22:13:20 UTC
LONG_CODE = ("let answer = compute_the_answer(first_argument, second_argument, third_argument_that_is_long, "
             "fourth_argument_even_longer, END_OF_LINE_MARK);")
WIDE_CELL = "averyveryverylongunbrokentablecellvaluethatmustwrapinsidethecolumn" * 2
PAGE_NUMBER = re.compile(r"[ivxlc]+|\d+")


# --- helpers -----------------------------------------------------------------------------------

def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def pdfinfo(pdf: Path) -> dict[str, str]:
    rows = (line.partition(":") for line in tool("pdfinfo", str(pdf)).splitlines())
    return {key.strip(): value.strip() for key, _, value in rows}


def page_texts(pdf: Path, layout: bool = False) -> list[str]:
    return tool("pdftotext", *(["-layout"] if layout else []), str(pdf), "-").split("\f")[:-1]


def flat(text: str) -> str:
    """Whitespace collapsed and hyphenation undone, for 'is this text on the page' checks."""
    return " ".join(re.sub(r"[\u2010-]\n", "", text).split())


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


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


def toc_lines(layout_pages: list[str], first_chapter: int) -> list[tuple[str, str]]:
    """(title, printed page number) of each entry of the Contents (pdftotext -layout): the pages
    from the one titled Contents up to the first bookmarked page."""
    start = next(i for i, text in enumerate(layout_pages) if "Contents" in lines(text)[:2])
    entries, pending = [], ""
    for text in layout_pages[start:first_chapter]:
        for line in lines(text)[1:]:
            match = re.match(r"^(.*?)\s+(?:\.\s?)*\s*([ivxlc]+|\d+)$", line)
            if match:
                title = re.sub(r"\s*(?:\.\s?){3,}$", "", _join(pending, match[1]))    # a leader that wrapped
                entries.append((title, match[2]))
                pending = ""
            elif line != "Contents" and not PAGE_NUMBER.fullmatch(line):
                pending = _join(pending, line)
    return entries


def _join(first: str, second: str) -> str:
    """Two lines of a wrapped title: no space after a line-end hyphen."""
    return f"{first}{second}" if first.endswith(("-", "‐")) else " ".join(f"{first} {second}".split())


def annotations(reader: PdfReader) -> tuple[set[str], int]:
    """External URIs and the number of internal link annotations."""
    uris, internal = set(), 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A") or {}
            if "/URI" in action:
                uris.add(action["/URI"])
            elif "/Dest" in annot or action.get("/S") == "/GoTo":
                internal += 1
    return uris, internal


def build(manifest: Path, out: Path) -> subprocess.CompletedProcess:
    return run_cli("build", str(manifest), "--format", "pdf", "--out", str(out), env={"SOURCE_DATE_EPOCH": EPOCH})


def built(manifest: Path, out: Path, pdf_name: str) -> dict:
    result = build(manifest, out)
    assert result.returncode == 0, result.stderr
    pdf = out / pdf_name
    return {"pdf": pdf, "reader": PdfReader(pdf), "stderr": result.stderr,
            "pages": page_texts(pdf), "layout": page_texts(pdf, layout=True)}


def assert_running_headers(build: dict, title: str, book_title: str) -> int:
    """On the pages of chapter `title` after its opening, right pages carry its title at the top and
    left pages the book's; returns how many pages were checked."""
    marks = outline(build["reader"])
    depth, start = next((d, index) for d, t, index in marks if t == title)
    end = min([index for d, _, index in marks if index > start and d <= depth] + [len(build["pages"])])
    checked = 0
    for index in range(start + 1, end):
        page = lines(build["layout"][index])
        if not page:
            continue                                                  # a blank page
        expected = title if index % 2 == 0 else book_title           # index 0 is page 1, a right-hand page
        assert flat(page[0]) == expected, (index, page[0], expected)
        checked += 1
    return checked


# --- books -------------------------------------------------------------------------------------

def write_fixture(folder: Path) -> Path:
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (1600, 900), (200, 60, 40)).save(folder / "images" / "wide.png")
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

            [^a]: The alpha footnote text.
            [^b]: The second alpha note, [with a link](https://example.net/in-note).
            """, date="2024-01-02", tags=["fixture", "alpha"]),
        "posts/beta.md": post("Beta Chapter", "\n\n".join([
            "Beta begins. Back to [alpha section one](/alpha#alpha-section-one).[^c]",
            "## Beta Details",
            "Details of beta.",
            *["Filler paragraph for beta that keeps going for a while to fill a page or two. " * 3] * 14,
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
def fixture_book(tmp_path_factory):
    base = tmp_path_factory.mktemp("fixture")
    return built(write_fixture(base / "book"), base / "out", "fixture-book.pdf")


@pytest.fixture(scope="module")
def default_books(tmp_path_factory):
    return [built(ROOT / "book.yml", tmp_path_factory.mktemp(f"default{i}"), "the-tech-lead-series.pdf")
            for i in (1, 2)]


# --- the default book ------------------------------------------------------------------------------

def test_default_book_metadata(default_books):
    info = pdfinfo(default_books[0]["pdf"])
    assert info["Title"] == "The Tech Lead Series"
    assert info["Author"] == "The Author"
    assert info["Creator"] == "chapbook " + __import__("compiler").__version__
    assert info["Subject"].startswith("Essays on the tech lead")
    assert "tech-lead" in info["Keywords"].split(", ")
    assert info["Page size"] == "419.528 x 595.276 pts"              # A5, the default
    assert info["CreationDate"].endswith("Nov 14 22:13:20 2023 UTC")  # SOURCE_DATE_EPOCH
    assert info["ModDate"].endswith("Nov 14 22:13:20 2023 UTC")
    assert default_books[0]["reader"].trailer["/Root"]["/Lang"] == "en-GB"


def test_every_font_is_embedded(default_books, fixture_book):
    for pdf in (default_books[0]["pdf"], fixture_book["pdf"]):
        rows = tool("pdffonts", str(pdf)).splitlines()[2:]
        assert rows
        for row in rows:
            emb = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row)
            assert emb and emb[1] == "yes", row
        names = " ".join(rows)
        assert "Chapbook-Serif" in names


def test_fixture_code_uses_the_embedded_monospace_font(fixture_book):
    assert "Chapbook-Mono" in tool("pdffonts", str(fixture_book["pdf"]))


def test_default_book_is_byte_identical_across_builds(default_books):
    assert default_books[0]["pdf"].read_bytes() == default_books[1]["pdf"].read_bytes()


def test_default_book_has_no_series_blockquote(default_books):
    assert "This post is part of" not in flat(" ".join(default_books[0]["pages"]))


def test_default_book_outline_and_running_headers(default_books):
    book = default_books[0]
    chapters = [title for depth, title, _ in outline(book["reader"]) if depth == 1]
    assert chapters == ["Working Effectively With Product Managers", "Working with Product Managers"]
    assert assert_running_headers(book, "Working with Product Managers", "The Tech Lead Series") >= 2


# --- the fixture book: structure ---------------------------------------------------------------------

def test_fixture_metadata(fixture_book):
    info = pdfinfo(fixture_book["pdf"])
    assert info["Title"] == "Fixture Book"
    assert info["Author"] == "Ada Writer, Bo Editor"
    assert info["Page size"] == "432 x 648 pts"                      # 6in x 9in
    assert info["Keywords"] == "fixture, alpha, beta"


def test_outline_is_the_book_outline(fixture_book):
    assert [(depth, title) for depth, title, _ in outline(fixture_book["reader"])] == [
        (1, "Preface"),
        (1, "First Part"),
        (2, "Alpha Chapter"), (3, "Alpha Section One"), (4, "Alpha Deep Section"),
        (2, "Beta Chapter"), (3, "Beta Details"),
        (1, "Second Part"),
        (2, "Gamma Chapter"), (3, "Gamma Only Section"),
        (1, "Afterword"),
    ]


def test_bookmarks_point_at_their_headings_and_contents_numbers_match(fixture_book):
    reader, pages = fixture_book["reader"], fixture_book["pages"]
    labels = reader.page_labels
    marks = outline(reader)
    toc = toc_lines(fixture_book["layout"], marks[0][2])
    assert [title for title, _ in toc] == [title for _, title, _ in marks]
    for (_, title, index), (_, printed) in zip(marks, toc):
        assert title in flat(pages[index]), (title, index)
        assert labels[index] == printed, (title, labels[index], printed)
    assert re.fullmatch(r"[ivx]+", labels[marks[0][2]])           # the preface: roman numbers
    assert labels[marks[1][2]] == "1"                             # main matter starts at 1


def test_sections_below_toc_depth_are_printed_but_not_listed(fixture_book):
    first = outline(fixture_book["reader"])[0][2]
    assert "Too Deep For The Contents" not in [title for title, _ in toc_lines(fixture_book["layout"], first)]
    assert "Too Deep For The Contents" in flat(" ".join(fixture_book["pages"]))


def test_no_page_number_on_cover_and_openings_roman_in_front(fixture_book):
    reader, layout = fixture_book["reader"], fixture_book["layout"]

    def foot(index):
        page = lines(layout[index])
        return page[-1] if page else ""
    assert not PAGE_NUMBER.fullmatch(foot(0))                       # the cover
    for _, title, index in outline(reader):
        if title in ("Preface", "First Part", "Alpha Chapter", "Beta Chapter", "Second Part", "Gamma Chapter",
                     "Afterword"):
            assert not PAGE_NUMBER.fullmatch(foot(index)), (title, foot(index))
    contents = next(i for i, text in enumerate(layout) if lines(text)[:2].count("Contents"))
    assert re.fullmatch(r"[ivx]+", foot(contents))
    numbered = [i for i in range(len(layout)) if re.fullmatch(r"\d+", foot(i))]
    assert len(numbered) >= 2
    assert all(reader.page_labels[i] == foot(i) for i in numbered)


def test_chapters_and_parts_start_on_right_hand_pages(fixture_book):
    for _, title, index in outline(fixture_book["reader"]):
        if title.endswith(("Chapter", "Part")) or title in ("Preface", "Afterword"):
            assert index % 2 == 0, (title, index)                    # index 0 is page 1, a right-hand page


def test_running_headers_carry_the_chapter_title(fixture_book):
    assert assert_running_headers(fixture_book, "Beta Chapter", "Fixture Book") >= 1
    assert assert_running_headers(fixture_book, "Alpha Chapter", "Fixture Book") >= 1


# --- the fixture book: content -----------------------------------------------------------------------

def test_footnotes_at_the_foot_of_their_page_numbered_per_chapter(fixture_book):
    pages = [flat(p) for p in fixture_book["pages"]]
    alpha = next(i for i, p in enumerate(pages) if "Opening words of alpha" in p)
    assert "1. The alpha footnote text." in pages[alpha]
    assert lines(fixture_book["layout"][alpha])[-1].startswith("4.") or "4. The second alpha note" in pages[alpha]
    beta = next(i for i, p in enumerate(pages) if "Beta begins" in p)
    assert "1. Beta’s first note: numbering starts again." in " ".join(pages[beta:beta + 2])
    assert not any("↩" in p for p in pages)


def test_link_notes_deduplicated_per_chapter_and_links_clickable(fixture_book):
    whole = flat(" ".join(fixture_book["pages"]))
    assert whole.count("https://example.com/docs") == 1               # two links, one note
    assert "2. https://example.com/docs" in whole and "3. https://example.org/other" in whole
    assert "<https://example.net/in-note>" in whole                   # a link inside a note: inline
    uris, internal = annotations(fixture_book["reader"])
    assert {"https://example.com/docs", "https://example.org/other", "https://example.net/in-note"} <= uris
    assert internal >= 11 + 3                                          # contents entries and in-book links


def test_code_and_tables_stay_inside_the_page(fixture_book):
    assert "END_OF_LINE_MARK" in flat(" ".join(fixture_book["pages"]))
    boxes = tool("pdftotext", "-bbox", str(fixture_book["pdf"]), "-")
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    assert right_edges and max(right_edges) <= 432 - 20               # inside the outer margin


def test_image_is_embedded(fixture_book):
    assert sum(len(page.images) for page in fixture_book["reader"].pages) >= 1


# --- options --------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"page_size": "A7"}, "use A4, A5, Letter, 6in x 9in"),
    ({"page_size": "6 x 9"}, "use A4, A5, Letter"),
    ({"margins": "20"}, "is not a length"),
    ({"margins": {"inner": "3in", "outer": "3in"}, "page_size": "A5"}, "margins leave too little room"),
    ({"margins": {"left": "1cm"}}, "Extra inputs are not permitted"),
    ({"font_size": "40pt"}, "between 6pt and 24pt"),
    ({"variant": "pdf/x-4"}, "'none', 'pdf/ua-1' or 'pdf/a-3b'"),
    ({"toc_depth": 9}, "less than or equal to 6"),
])
def test_invalid_options_are_explained(options, message):
    with pytest.raises(ValidationError) as info:
        PdfOptions.model_validate(options)
    assert message in str(info.value)


def test_valid_page_sizes():
    for size in ("A4", "a5", "Letter", "6in × 9in", "6in x 9in", "148mm 210mm", "15cm x 22cm"):
        PdfOptions.model_validate({"page_size": size, "margins": "15mm", "font_size": 11})


def test_bad_option_in_manifest_names_file_and_line(book_dir):
    manifest = make_book(book_dir, {"a.md": post("A")}, {
        "title": "T", "chapters": ["a.md"], "outputs": {"pdf": {"page_size": "A7"}}})
    result = run_cli("build", str(manifest), "--format", "pdf")
    assert result.returncode == 2
    assert re.search(r"book\.yml:\d+: outputs\.pdf\.page_size: page_size 'A7' is not a page size", result.stderr)
    assert "Traceback" not in result.stderr


# --- variants and failure -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    manifest = make_book(folder, {"a.md": post("Only Chapter", "Some text.\n\n## A Section\n\nMore.\n")})
    book, _ = compile_manifest(manifest)
    return book


def build_direct(book, out: Path, **options):
    ctx = BuildContext(out_dir=out, theme=load_theme("default", book.root), formats=("pdf",))
    paths = PdfBackend().build(book, PdfOptions.model_validate(options), ctx)
    return paths, ctx.diagnostics


def test_pdf_ua_variant_is_tagged(tiny_book, tmp_path):
    paths, _ = build_direct(tiny_book, tmp_path, variant="pdf/ua-1")
    info = pdfinfo(paths[0])
    assert info["Tagged"] == "yes"
    assert b"pdfuaid:part" in paths[0].read_bytes() or "/StructTreeRoot" in PdfReader(paths[0]).trailer["/Root"]


def test_pdf_a_variant_declares_conformance(tiny_book, tmp_path):
    paths, _ = build_direct(tiny_book, tmp_path, variant="pdf/a-3b")
    reader = PdfReader(paths[0])
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp and b"3" in xmp
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_failed_render_is_reported_and_keeps_the_previous_pdf(tmp_path):
    """Through the one build (compiler.build.run): the backend writes into the staging folder, a
    failed render is an error, so nothing is published and the previous PDF stays."""
    from compiler.build import run
    folder = tmp_path / "book"
    folder.mkdir()
    manifest = make_book(folder, {"a.md": post("Only Chapter", "Some text.\n\n## A Section\n\nMore.\n")},
                         {"title": "Test Book", "chapters": ["a.md"], "outputs": {"pdf": {"memory_limit": 64}}})
    loaded = run.load(manifest)
    book, _ = run.compile(loaded)
    target = tmp_path / "test-book.pdf"
    target.write_bytes(b"previous")
    result = run.write(book, loaded, run.prepare(loaded, ["pdf"]), tmp_path)
    paths, diagnostics = [p for w in result.written for p in w.paths], result.diagnostics
    assert paths == [] and not result.published
    assert not list(tmp_path.glob(".chapbook-build-*")), "the staging folder was left behind"
    assert target.read_bytes() == b"previous"
    errors = [d for d in diagnostics if d.severity.value == "error"]
    assert errors and errors[0].code == "CB220" and "PDF not written" in errors[0].message


def test_cover_image_fills_the_first_page(tiny_book, tmp_path):
    cover = tiny_book.root / "cover.png"
    Image.new("RGB", (600, 900), (20, 120, 60)).save(cover)
    book = dataclasses.replace(tiny_book, meta=dataclasses.replace(tiny_book.meta, cover=cover))
    paths, diagnostics = build_direct(book, tmp_path)
    first = PdfReader(paths[0]).pages[0]
    assert len(first.images) == 1 and not first.extract_text().strip()
    assert not [d for d in diagnostics if d.code == "CB202"]


def test_unreadable_cover_falls_back_to_a_typeset_one(tiny_book, tmp_path):
    cover = tiny_book.root / "broken.png"
    cover.write_text("not an image")
    book = dataclasses.replace(tiny_book, meta=dataclasses.replace(tiny_book.meta, cover=cover))
    paths, diagnostics = build_direct(book, tmp_path)
    assert "Test Book" in PdfReader(paths[0]).pages[0].extract_text()
    assert [d.code for d in diagnostics if d.code == "CB202"] == ["CB202"]


# --- resources: nothing outside the book is read -------------------------------------------------

HOSTILE_HTML = """
<p>Hostile chapter.</p>
<p><img src="file:///etc/hostname" alt="a"><img src="../../../../../../etc/hostname" alt="b">
<img src="/etc/passwd" alt="c"><img src="https://book.invalid/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd" alt="d">
<img src="sneaky.png" alt="e"><img src="pipe.png" alt="f"><img src="file:///dev/urandom" alt="g">
<img src="https://theme.invalid/../../../../etc/passwd" alt="h"><img src="http://127.0.0.1:9/remote.png" alt="i">
<img src="ftp://example.com/x.png" alt="j"></p>
<div style="background-image: url(file:///etc/hostname)">background</div>
<link rel="attachment" href="file:///etc/hostname">
<a rel="attachment" href="file:///etc/passwd">attachment</a>
<style>@import url("file:///etc/passwd"); p { background: url(/etc/hostname) }</style>
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, tiny_book):
    """The tiny book with a chapter whose HTML (as if the sanitiser had let it through) reaches out."""
    root = tiny_book.root
    (root / "sneaky.png").symlink_to("/etc/hostname")
    os.mkfifo(root / "pipe.png")
    chapter = dataclasses.replace(tiny_book.chapters[0], html=HOSTILE_HTML)
    part = dataclasses.replace(tiny_book.parts[0], chapters=(chapter,))
    book = dataclasses.replace(tiny_book, parts=(part,))
    out = tmp_path_factory.mktemp("hostile-out")
    paths, diagnostics = build_direct(book, out)
    return {"book": book, "paths": paths, "diagnostics": diagnostics}


def test_hostile_resources_are_refused_and_reported(hostile):
    assert hostile["paths"], [d.message for d in hostile["diagnostics"]]
    pdf = hostile["paths"][0]
    text = flat(" ".join(page_texts(pdf)))
    assert "Hostile chapter." in text
    assert Path("/etc/hostname").read_text().strip() not in text
    assert "root:x:0:0" not in text
    reader = PdfReader(pdf)
    assert not reader.attachments
    assert not any(len(page.images) for page in reader.pages)
    refused = [d.message for d in hostile["diagnostics"] if d.code == "CB201"]
    for needle in ("/etc/hostname", "etc/passwd", "sneaky.png", "pipe.png", "/dev/urandom", "127.0.0.1", "ftp://"):
        assert any(needle in m for m in refused), (needle, refused)
    assert all(d.path == "a.md" for d in hostile["diagnostics"] if d.code == "CB201" and "sneaky" in d.message)


def test_renderer_opens_no_file_outside_book_and_theme(hostile, tmp_path):
    """Python-level opens during a render (audit hook): only the book, the theme and Python itself."""
    book = hostile["book"]
    theme = load_theme("default", book.root)
    ctx = BuildContext(out_dir=tmp_path, theme=theme, formats=("pdf",))
    backend = PdfBackend()
    from compiler.backends.pdf import assemble
    options = PdfOptions()
    job = backend.job(book, options, ctx, assemble(book, options, theme), tmp_path / "audit.pdf")
    import weasyprint.pdf.anchors  # noqa: F401  (its import reads /etc/mime.types: library set-up, not the render)
    opened: list[str] = []
    recording = threading.Event()

    def hook(event, args):
        if recording.is_set() and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.fsdecode(args[0]))
    sys.addaudithook(hook)
    recording.set()
    try:
        render_job(job)
    finally:
        recording.clear()
    allowed = (str(book.root), *(str(f) for f in theme.folders), sys.prefix, sys.base_prefix, str(tmp_path))
    outside = [p for p in opened if p.startswith("/") and not p.startswith(allowed)]
    sensitive = [p for p in outside if p.startswith(("/etc", "/dev", "/proc", "/root")) and p != "/dev/null"]
    assert not sensitive, sensitive
    assert any(p.startswith(str(theme.folders[-1])) for p in opened)     # the hook saw the theme's fonts


def test_fetcher_refuses_outside_paths_when_called_directly(tiny_book, tmp_path):
    theme = load_theme("default", tiny_book.root)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (tiny_book.root / "escape.png").unlink(missing_ok=True)
    (tiny_book.root / "escape.png").symlink_to(outside)
    fetcher = make_fetcher(FetchPolicy(tiny_book.root, theme.folders, {"assets/escape.png": outside}, False))
    for url in (f"file://{outside}", "file:///etc/passwd", BOOK_URL + "escape.png", BOOK_URL + "assets/escape.png",
                BOOK_URL + "%2e%2e/" * 8 + "etc/passwd", THEME_URL + "../" * 8 + "etc/passwd",
                THEME_URL + "%2e%2e/" * 8 + "etc/passwd", "https://example.com/x.png", "gopher://x/y", "javascript:1"):
        with pytest.raises(Refused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 10
    font = fetcher.fetch(THEME_URL + "fonts/LinLibertine_R.otf")
    assert font.read(4) == b"OTTO"
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"


def test_decompression_bomb_is_refused(tiny_book, tmp_path):
    bomb = tiny_book.root / "bomb.png"
    Image.new("1", (10_000, 9_000)).save(bomb)                  # 90 Mpx: above Pillow's warning limit
    chapter = dataclasses.replace(tiny_book.chapters[0], html='<p>Bomb: <img src="assets/bomb.png" alt="b"></p>')
    book = dataclasses.replace(tiny_book, assets={"assets/bomb.png": bomb},
                               parts=(dataclasses.replace(tiny_book.parts[0], chapters=(chapter,)),))
    paths, diagnostics = build_direct(book, tmp_path)
    assert max(len(p.images) for p in PdfReader(paths[0]).pages) == 0
    assert any(d.code == "CB220" and "bomb.png" in d.message for d in diagnostics), [d.message for d in diagnostics]


def test_remote_images_only_with_network(tiny_book, tmp_path):
    folder = tmp_path / "www"
    folder.mkdir()
    Image.new("RGB", (40, 20), (0, 90, 200)).save(folder / "remote.png")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/remote.png"
        chapter = dataclasses.replace(tiny_book.chapters[0], html=f'<p>Remote: <img src="{url}" alt="r"></p>')
        book = dataclasses.replace(tiny_book, parts=(dataclasses.replace(tiny_book.parts[0], chapters=(chapter,)),))
        paths, diagnostics = build_direct(dataclasses.replace(book, network=True), tmp_path / "on")
        assert max(len(p.images) for p in PdfReader(paths[0]).pages) == 1
        paths, diagnostics = build_direct(book, tmp_path / "off")
        assert max(len(p.images) for p in PdfReader(paths[0]).pages) == 0
        assert any(d.code == "CB201" and "network" in d.message for d in diagnostics)
    finally:
        server.shutdown()


# --- HTML preparation (no rendering) ------------------------------------------------------------------

def test_deeply_nested_content_is_flattened(tiny_book):
    chapter = dataclasses.replace(tiny_book.chapters[0], html="<blockquote>" * 200 + "deep" + "</blockquote>" * 200)
    html, flattened = prepare_chapter(chapter, {}, BookIds({}, set()), False)
    assert flattened >= 1 and "deep" in html and html.count("<blockquote>") < 60


def test_raw_html_ids_repeated_across_chapters_are_renamed_with_their_links(tiny_book):
    ids = BookIds({"a": "a", "a--a-section": "a"}, {"a", "a--a-section", "faq"})
    first = dataclasses.replace(tiny_book.chapters[0], slug="one", html='<h3 id="faq">FAQ</h3><a href="#faq">up</a>')
    second = dataclasses.replace(tiny_book.chapters[0], slug="two", html='<h3 id="faq">FAQ</h3><a href="#faq">up</a>'
                                 '<p id="a--a-section">steals a heading id</p>')
    assert prepare_chapter(first, {}, ids, False)[0] == '<h3 id="faq">FAQ</h3><a href="#faq">up</a>'
    html, _ = prepare_chapter(second, {}, ids, False)
    assert '<h3 id="two--faq">' in html and 'href="#two--faq"' in html
    assert 'id="two--a--a-section"' in html


def test_toc_entries_follow_heading_nesting(tiny_book):
    entries = toc_entries(tiny_book, 2)
    assert [(e.level, e.text) for e in entries] == [(1, "Only Chapter"), (2, "A Section")]
    assert [(e.level, e.text) for e in toc_entries(tiny_book, 1)] == [(1, "Only Chapter")]


@pytest.mark.parametrize("theme", ["default", "classic"])
def test_a_long_chapter_title_keeps_its_running_header_on_one_line(tmp_path, theme):
    long_title = ("How to Lead a Team Through a Difficult Migration Without Losing Anybody Along the Way, "
                  "and Other Stories of Quiet Leadership")
    body = "\n\n".join(["Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 12] * 30)
    manifest = make_book(tmp_path, {"a.md": post(long_title, body)}, {
        "title": "Test Book", "authors": ["Tess Ter"], "language": "en", "chapters": ["a.md"], "theme": theme})
    book = built(manifest, tmp_path / "out", "test-book.pdf")
    marks = outline(book["reader"])
    start = next(index for _, t, index in marks if t == long_title)
    right = [lines(book["layout"][i]) for i in range(start + 1, len(book["pages"])) if i % 2 == 0]
    right = [page for page in right if page]
    assert right, "the chapter should run over a right-hand page"
    for page in right:
        head = re.sub(r"\s+\d+$", "", flat(page[0]))    # the classic theme prints the page number beside it
        assert head.endswith("…") and long_title.startswith(head[:-1].strip()), page[:2]
        assert "Stories" not in flat(page[1]) and "Along the Way" not in flat(page[1]), page[:2]


def test_running_titles_are_cut_at_a_word_with_an_ellipsis():
    from compiler.backends.pdf.document import running_chars
    from compiler.model.book import shorten as running_title
    title = "How to Lead a Team Through a Difficult Migration, Without Losing Anybody"
    assert running_title(title, 200) == title
    assert running_title(title, 50) == "How to Lead a Team Through a Difficult Migration\u2026"   # comma dropped
    assert running_title("Supercalifragilisticexpialidocious", 20) == "Supercalifragilisti\u2026"
    assert running_chars(PdfOptions.model_validate({"page_size": "A4"})) > running_chars(PdfOptions())
