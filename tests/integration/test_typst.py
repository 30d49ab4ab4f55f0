"""The Typst PDF engine (outputs.pdf.engine: typst): the same book as the WeasyPrint PDF, checked
against it (outline, contents numbers, page labels, links, fonts, each chapter's words), hostile
posts, limits, diagnostics and reproducibility. Typst, WeasyPrint and poppler run for real."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from helpers import ROOT, make_book, post, run_cli
from tests.integration import pdfcompare as pc

typst = pytest.importorskip("typst")


def build(manifest: Path, *extra: str, engine: str = "typst", env: dict | None = None) -> tuple[subprocess.CompletedProcess, Path]:
    out = manifest.parent / f"out-{engine}"
    result = run_cli("build", str(manifest), "-f", "pdf", "--pdf-engine", engine, "-o", str(out), *extra, env=env)
    pdfs = sorted(out.glob("*.pdf"))
    return result, (pdfs[0] if pdfs else out / "missing.pdf")


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def assert_same_book(weasy: Path, typ: Path, running: set[str], depth: int = 0) -> None:
    """What the issue promises: both engines agree on everything but the layout."""
    outline_w, outline_t = pc.outline(weasy), pc.outline(typ)
    assert [(d, t) for d, t, _ in outline_t] == [(d, t) for d, t, _ in outline_w]
    labels = pc.page_labels(typ)
    folios = pc.folios(typ)
    assert folios, "no folio printed"
    assert all(labels[i] == f for i, f in folios.items()), [(i, labels[i], f) for i, f in folios.items() if labels[i] != f]
    contents = pc.contents_numbers(typ, [t for _, t, _ in outline_t])
    assert len(contents) == len(outline_t)
    for (title, number), (_, _, page) in zip(contents, outline_t):
        assert number == labels[page], (title, number, labels[page])
    assert pc.broken_links(typ) == 0
    assert pc.unembedded_fonts(typ) == []
    words_w = pc.chapter_words(weasy, {r.lower() for r in running}, depth)
    words_t = pc.chapter_words(typ, {r.lower() for r in running}, depth)
    assert words_t.keys() == words_w.keys()
    for title in words_w:
        same, why = pc.same_words(words_w[title], words_t[title])
        assert same, f"{title}: {why}"


def test_default_book_matches_weasyprint(tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "book.yml", tmp_path / "book.yml")
    result_t, typ = build(tmp_path / "book.yml")
    assert result_t.returncode == 0, result_t.stderr
    result_w, weasy = build(tmp_path / "book.yml", engine="weasyprint")
    assert result_w.returncode == 0, result_w.stderr
    titles = {t for _, t, _ in pc.outline(weasy)} | {"The Tech Lead Series", "Contents"}
    assert_same_book(weasy, typ, titles)
    info = pypdf.PdfReader(typ).metadata
    assert info.title == "The Tech Lead Series" and info.author == "The Author"
    assert pc.page_labels(typ)[:3] == ["i", "ii", "iii"]


def test_generated_book_with_parts_matches_weasyprint(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "12", str(tmp_path / "gen")], check=True,
                   capture_output=True)
    posts = sorted(p.relative_to(tmp_path / "gen").as_posix() for p in (tmp_path / "gen").rglob("*.md"))
    manifest = tmp_path / "gen" / "book.yml"
    manifest.write_text(json.dumps({
        "title": "Bench Book", "authors": ["Bench Author"], "language": "en",
        "parts": [{"title": "First part", "chapters": posts[:6]}, {"title": "Second part", "chapters": posts[6:]}],
        "outputs": {"pdf": {"link_notes": True, "toc_depth": 3}},
    }), encoding="utf-8")
    result_w, weasy = build(manifest, engine="weasyprint")
    assert result_w.returncode == 0, result_w.stderr
    titles = {t for _, t, _ in pc.outline(weasy)} | {"Bench Book", "Contents"}
    result_t, typ = build(manifest)
    assert result_t.returncode == 0, result_t.stderr
    assert_same_book(weasy, typ, titles, depth=1)          # chapters are one level under their part
    assert [d for d, t, _ in pc.outline(typ) if t == "First part"] == [0]
    # The same book in chunks of 4 chapters (as a 1,000-post book is built), merged into one PDF.
    shutil.move(typ, tmp_path / "one-pass.pdf")
    result_c, chunked = build(manifest, env={"CHAPBOOK_TYPST_CHUNK": "4"})
    assert result_c.returncode == 0, result_c.stderr
    assert_same_book(weasy, chunked, titles, depth=1)
    assert len(pypdf.PdfReader(chunked).pages) == len(pypdf.PdfReader(tmp_path / "one-pass.pdf").pages)


HOSTILE = r"""
Typst code stays text: #set page(width: 1mm) and #import "@preview/cetz:0.2.0" and
#read(/etc/passwd) and $x^2$ and @ref and &lt;label&gt; and \#escaped and `#code` and \\ and // comment
and /* block */ and = not a heading and - not a list and + not an enum and ~ and https://example.com/x.

```{=typst}
#set text(fill: red)
SMUGGLED TYPST
```

Right to left: שלום עולם and مرحبا بالعالم.

> > > > > > > deep quote

Control: a\u0007b.
"""


def test_hostile_post_is_typeset_literally(tmp_path):
    body = HOSTILE.replace("\\u0007", "\u0007")
    manifest = make_book(tmp_path, {"a.md": post("*Markup* #title $x$ <t>", body)})
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result, typ = build(manifest, env={"TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stderr
    text = " ".join(pdf_text(typ).split())
    for literal in ['#set page(width: 1mm)', '#import', '@preview/', 'cetz:0.2.0', '#read(/etc/passwd)', r"\(x^2\)",
                    "@ref", "<label>", "#escaped", "#code", "// comment", "/* block */", "= not a heading",
                    "+ not an enum", "deep quote", "Markup #title", "x <t>"]:  # the title is Markdown: *markup* and $math$ are formatting (issue 13)
        assert literal in text, literal
    assert "SMUGGLED" not in text and "root:" not in text
    assert "CB271" in result.stderr                 # the raw Typst block was dropped, and said so
    assert "שלום" in text or "םולש" in text
    assert list(tmp.glob("chapbook-typst-*")) == []     # the private root and the source are removed


def test_every_ascii_character_is_literal(tmp_path):
    printable = "".join(chr(c) for c in range(33, 127) if chr(c) not in "\\`*_[]<>#!|~")
    words = [printable[i:i + 9] for i in range(0, len(printable), 9)]
    body = "\n\n".join("Line " + " ".join(f"`{w}`" for w in words) + " and \\" + c + "x" for c in "\\`*_[]<>#!|~")
    manifest = make_book(tmp_path, {"a.md": post("Characters", body)})
    result, typ = build(manifest)
    assert result.returncode == 0, result.stderr
    text = pdf_text(typ)
    for word in words:
        assert word in text, word


def test_recto_and_variants_build(tmp_path):
    manifest = make_book(tmp_path, {"a.md": post("One", "Text [link](https://example.com/a).\n"),
                                    "b.md": post("Two", "More.\n\n## Section\n\nEnd.\n")})
    data = manifest.read_text() + "outputs:\n  pdf:\n    recto_chapters: true\n    variant: pdf/a-3b\n"
    manifest.write_text(data)
    result, typ = build(manifest)
    assert result.returncode == 0, result.stderr
    reader = pypdf.PdfReader(typ)
    starts = [page for depth, title, page in pc.outline(typ) if depth == 0]
    assert all(page % 2 == 0 for page in starts), starts          # index 0, 2, 4…: right-hand pages
    assert b"pdfaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    manifest.write_text(data.replace("pdf/a-3b", "pdf/ua-1"))
    result, typ = build(manifest)
    assert result.returncode == 0, result.stderr
    assert pypdf.PdfReader(typ).trailer["/Root"].get("/StructTreeRoot") is not None


@pytest.mark.parametrize("chunk", ["", "1"])       # one pass, and one chunk per chapter (merged by pikepdf)
def test_reproducible_bytes(tmp_path, chunk):
    manifest = make_book(tmp_path, {"a.md": post("One", "Text with a footnote.[^1]\n\n[^1]: The note.\n"),
                                    "b.md": post("Two", "A [link back](a.md).\n")})
    env = {"SOURCE_DATE_EPOCH": "1700000000", **({"CHAPBOOK_TYPST_CHUNK": chunk} if chunk else {})}
    first = build(manifest, env=env)[1].read_bytes()
    shutil.rmtree(tmp_path / "out-typst")
    second = build(manifest, env=env)[1].read_bytes()
    assert first == second
    assert ("in chunks" in pypdf.PdfReader(io.BytesIO(first)).metadata.creator) == bool(chunk)


def test_engine_option_is_validated_with_its_line(tmp_path):
    manifest = make_book(tmp_path, {"a.md": post("One")})
    plain = manifest.read_text()
    manifest.write_text(plain + "outputs:\n  pdf:\n    engine: latex\n")
    result = run_cli("build", str(manifest), "-f", "pdf")
    assert result.returncode == 2
    assert "book.yml:" in result.stderr and "outputs.pdf.engine" in result.stderr
    manifest.write_text(plain)
    bad = run_cli("build", str(manifest), "-f", "pdf", "--pdf-engine", "troff")
    assert bad.returncode == 2 and "--pdf-engine" in bad.stderr


def test_template_error_is_a_diagnostic_and_keeps_the_previous_pdf(tmp_path):
    manifest = make_book(tmp_path, {"a.md": post("One")})
    result, typ = build(manifest)
    assert result.returncode == 0, result.stderr
    before = typ.read_bytes()
    theme = tmp_path / "broken" / "typst"
    theme.mkdir(parents=True)
    (theme / "book.typ").write_text((ROOT / "themes/default/typst/book.typ").read_text().replace(
        "#let cb-quote(body) =", "#let cb-quote(body) = undefined-thing +"))
    (tmp_path / "broken" / "theme.yml").write_text("description: broken\n")
    manifest.write_text(manifest.read_text() + "theme: broken\n")
    (tmp_path / "a.md").write_text(post("One", "> a quote\n"))
    result, typ = build(manifest)
    assert result.returncode == 1
    assert "CB270" in result.stderr and "Traceback" not in result.stderr and "#let" not in result.stderr
    assert typ.read_bytes() == before


def test_memory_limit_is_a_diagnostic(tmp_path):
    manifest = make_book(tmp_path, {"a.md": post("One", "Text.\n" * 50)})
    manifest.write_text(manifest.read_text() + "outputs:\n  pdf:\n    memory_limit: 64\n")
    result, typ = build(manifest)
    assert result.returncode == 1
    assert "CB270" in result.stderr and "Traceback" not in result.stderr
    assert not typ.exists()


def test_backends_lists_typst_with_its_version():
    result = run_cli("backends", "--format", "json")
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    if "typst" not in rows:
        pytest.skip("the installed chapbook metadata predates the typst entry point (pip install -e .)")
    assert rows["typst"]["loads"] and rows["typst"]["object"] == "compiler.backends.typst:TypstBackend"


def test_images_cover_and_bomb(tmp_path):
    from PIL import Image
    Image.new("RGB", (600, 900), "#884422").save(tmp_path / "cover.png")
    Image.new("RGB", (1600, 400), "#224488").save(tmp_path / "wide.png")
    Image.new("1", (10000, 6000)).save(tmp_path / "bomb.png")        # 60 megapixels, a few KB
    manifest = make_book(tmp_path, {"a.md": post("Pictures", "Wide: ![wide](wide.png)\n\nBomb: ![a bomb](bomb.png)\n")})
    manifest.write_text(manifest.read_text() + "cover: cover.png\n")
    result, typ = build(manifest)
    assert result.returncode == 0, result.stderr
    assert "CB272" in result.stderr and "bomb.png" not in pdf_text(typ)
    listing = subprocess.run(["pdfimages", "-list", str(typ)], capture_output=True, text=True, check=True).stdout
    sizes = [tuple(line.split()[3:5]) for line in listing.splitlines()[2:]]
    assert sizes == [("600", "900"), ("1600", "400")]
    assert "a bomb" in pdf_text(typ)                                 # its alt text instead
    first = pypdf.PdfReader(typ).pages[0]
    assert "/XObject" in first["/Resources"]                          # the cover image is page 1


def test_typst_only_build_reports_what_raw_html_points_at(tmp_path):
    """A Typst-only build renders only the chapters holding raw HTML (nothing prints the HTML),
    and still reports what their links and images point at, as a build with HTML does."""
    manifest = make_book(tmp_path, {
        "a.md": post("One", 'Raw: <a href="missing.md">gone</a> and <img src="nowhere.png" alt="x">.\n'),
        "b.md": post("Two", "Plain text, a [link](a.md) and a [broken one](absent.md).\n")})

    def found(*args: str) -> set:
        result = run_cli("build", str(manifest), "--json", "--force", "-o", str(tmp_path / "out"), *args)
        return {(d["code"], d["path"], d["line"]) for d in json.loads(result.stdout)
                if d["severity"] != "info" and d["code"] < "CB200"}      # the compile's, not a backend's

    typst_only = found("-f", "pdf", "--pdf-engine", "typst")
    with_html = found("-f", "html")
    assert typst_only == with_html
    assert {path for _, path, _ in typst_only} >= {"a.md", "b.md"}, typst_only
