"""The chunked PDF (outputs.pdf.jobs > 1): chapters typeset in several renderer processes, the page
furniture in skeleton segments, everything stitched with pikepdf. The books are small, so the
chunk and segment bounds are made tiny (CHAPBOOK_PDF_CHUNK_PAGES, CHAPBOOK_PDF_SEGMENT_PAGES)
to get several chunks and segments; each post links to headings and footnotes of posts in other
chunks. The same book built with `jobs: 1` (one WeasyPrint render) is the reference.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest

from compiler.build.chunkcache import ChunkCache, cache_key
from helpers import make_book, post, run_cli
from tests.integration.test_pdf import EPOCH, flat, lines, outline, page_texts, toc_lines, tool
from pypdf import PdfReader

SMALL = {"CHAPBOOK_PDF_CHUNK_PAGES": "3", "CHAPBOOK_PDF_SEGMENT_PAGES": "5", "SOURCE_DATE_EPOCH": EPOCH}
FILLER = "A sentence that fills the page with ordinary words and keeps going for a while. " * 6


def chapter(title: str, intro: str, sections: list[tuple[str, str]], notes: str = "", paragraphs: int = 3) -> str:
    parts = [intro, *[FILLER] * paragraphs]
    for heading, text in sections:
        parts += [f"## {heading}", text, *[FILLER] * paragraphs]
    return post(title, "\n\n".join(parts) + "\n\n" + notes, date="2024-01-02")


def write_book(folder: Path, pdf_options: dict) -> Path:
    posts = {
        "front/preface.md": post("Preface", "Start with [the gamma note](/gamma#fn1) or "
                                            "[delta's last section](/delta#delta-last).\n"),
        "posts/alpha.md": chapter("Alpha Chapter", "Alpha opens.[^1] Go to [beta details](/beta#beta-details).",
                                  [("Alpha Section", "See [the epsilon note](/epsilon#fn2).")],
                                  "[^1]: Alpha's own note.\n"),
        "posts/beta.md": chapter("Beta Chapter", "Beta opens. Back to [alpha section](/alpha#alpha-section).",
                                 [("Beta Details", "Details, and [the alpha note](/alpha#fn1)."),
                                  ("Beta More", "More.")]),
        "posts/gamma.md": chapter("Gamma Chapter", "Gamma opens.[^1] Read [delta](/delta).",
                                  [("Gamma Section", "Text.")], "[^1]: The gamma note, cited from the preface.\n",
                                  paragraphs=5),
        "posts/delta.md": chapter("Delta Chapter", "Delta opens. [Preface](/preface).",
                                  [("Delta Middle", "Middle."), ("Delta Last", "Last, [beta more](/beta#beta-more).")]),
        "posts/epsilon.md": chapter("Epsilon Chapter", "Epsilon opens.[^1][^2]",
                                    [("Epsilon Section", "[Alpha chapter](/alpha).")],
                                    "[^1]: First.\n[^2]: The epsilon note, cited from alpha.\n"),
        "back/afterword.md": post("Afterword", "Back to [the beta details](/beta#beta-details).\n"),
    }
    manifest = {
        "title": "Chunk Book", "authors": ["Ada Writer"], "language": "en",
        "front_matter": ["front/preface.md"],
        "parts": [{"title": "Part One", "chapters": ["posts/alpha.md", "posts/beta.md", "posts/gamma.md"]},
                  {"title": "Part Two", "chapters": ["posts/delta.md", "posts/epsilon.md"]}],
        "back_matter": ["back/afterword.md"],
        "outputs": {"pdf": {"toc_depth": 2, **pdf_options}},
    }
    return make_book(folder, posts, manifest)


def set_jobs(manifest: Path, jobs: int) -> None:
    text = manifest.read_text()
    manifest.write_text(re.sub(r"(\n  pdf:\n)", rf"\1    jobs: {jobs}\n", text, count=1))


def build(manifest: Path, out: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli("build", str(manifest), "--format", "pdf", "--out", str(out), "-v", env={**SMALL, **(env or {})})


def resolved_links(pdf: Path) -> list[tuple[int, int]]:
    """(page of the link, page of its target) of every internal link; asserts nothing points outside."""
    found = []
    with pikepdf.open(pdf) as doc:
        index = {page.obj.objgen: i for i, page in enumerate(doc.pages)}
        names = {}
        if "/Names" in doc.Root and "/Dests" in doc.Root.Names:
            names = dict(pikepdf.NameTree(doc.Root.Names.Dests).items())
        for i, page in enumerate(doc.pages):
            for annot in page.obj.get("/Annots", []):
                action = annot.get("/A")
                if action is not None and "/URI" in action:
                    assert str(action.URI).startswith(("https://example", "http")), action.URI
                    assert "anchor.invalid" not in str(action.URI)
                    continue
                dest = annot.get("/Dest")
                if dest is None and action is not None and action.get("/S") == "/GoTo":
                    dest = action.D
                if isinstance(dest, (pikepdf.String, pikepdf.Name)):
                    dest = names[str(dest)]
                assert dest is not None, annot
                assert dest[0].objgen in index, "a link points outside the document"
                found.append((i, index[dest[0].objgen]))
    return found


def made(manifest: Path, out: Path, env: dict | None = None) -> dict:
    result = build(manifest, out, env)
    assert result.returncode == 0, result.stderr
    pdf = next(out.glob("*.pdf"))
    return {"pdf": pdf, "stderr": result.stderr, "pages": page_texts(pdf), "layout": page_texts(pdf, layout=True),
            "reader": PdfReader(pdf)}


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The recto book chunked (twice, for reproducibility) and in one pass."""
    base = tmp_path_factory.mktemp("chunks")
    manifest = write_book(base / "book", {"recto_chapters": True, "link_notes": True, "page_size": "A5"})
    chunked = made(manifest, base / "out1")
    again = made(manifest, base / "out2", {"CHAPBOOK_CACHE": "off"})
    sliced = made(manifest, base / "sliced", {"CHAPBOOK_CACHE": "off", "CHAPBOOK_PDF_CONTENTS_ENTRIES": "3"})
    set_jobs(manifest, 1)
    single = made(manifest, base / "single")
    return {"chunked": chunked, "again": again, "single": single, "manifest": manifest, "base": base,
            "sliced": sliced}


def test_the_book_is_built_in_several_chunks_and_segments(books):
    stats = re.search(r"CB262.*?(\d+) pages from (\d+) chunks and (\d+) skeleton segments", books["chunked"]["stderr"],
                      re.S)
    assert stats, books["chunked"]["stderr"]
    assert int(stats[2]) >= 3 and int(stats[3]) >= 2


def test_a_long_contents_is_typeset_in_slices_and_the_rest_is_unchanged(books):
    """With at most 3 entries a slice, the contents (preface, two parts, afterword) is typeset by
    four renderers, each slice on a new page; every page after the contents is the one render's."""
    counts = [int(re.search(r"(\d+) chunks and (\d+) skeleton segments", books[k]["stderr"])[2])
              for k in ("chunked", "sliced")]
    assert counts[1] == counts[0] + 3
    sliced, single = books["sliced"]["pages"], books["single"]["pages"]
    start = [i for i, page in enumerate(single) if "Start with" in page][0]     # the preface's text
    extra = len(sliced) - len(single)
    assert extra >= 2
    assert sliced[start + extra:] == single[start:]
    contents = [lines(page)[0] for page in sliced[:start + extra] if re.search(r"(Part One|Part Two|Afterword)\s+\.", page)]
    assert len(contents) >= 3
    # the running heads go on: the book's title on a left-hand page, "Contents" on a right-hand one
    assert set(contents) == {"Contents", "Chunk Book"}, contents


def test_same_text_on_every_page_as_one_render(books):
    chunked, single = books["chunked"]["pages"], books["single"]["pages"]
    assert len(chunked) == len(single)
    for index, (a, b) in enumerate(zip(chunked, single)):
        assert a == b, index


def test_same_layout_as_one_render(books):
    """pdftotext -layout keeps positions: the text block sits on the same side of each page."""
    assert books["chunked"]["layout"] == books["single"]["layout"]


def test_every_internal_link_resolves_to_the_page_of_one_render(books):
    chunked = resolved_links(books["chunked"]["pdf"])
    single = resolved_links(books["single"]["pdf"])
    assert len(chunked) >= 15
    assert sorted(chunked) == sorted(single)
    sliced = resolved_links(books["sliced"]["pdf"])     # the contents' links included: same targets, moved on
    shift = len(books["sliced"]["pages"]) - len(books["single"]["pages"])
    assert sorted(target - shift for _, target in sliced) == sorted(target for _, target in single)


def test_cross_chunk_links_land_on_their_targets(books):
    pages = books["chunked"]["pages"]
    links = resolved_links(books["chunked"]["pdf"])

    def page_of(text):                     # the last page that has it: headings are in the contents too
        return max(i for i, page in enumerate(pages) if text in flat(page))
    # from the preface (front segment) to a footnote of gamma and to the last section of delta
    targets = {target for source, target in links if source == page_of("Start with")}
    assert page_of("The gamma note, cited from the preface.") in targets
    assert page_of("Delta Last") in targets
    # from alpha to a footnote of epsilon (another chunk and another part)
    targets = {target for source, target in links if source == page_of("See the epsilon note")}
    assert page_of("The epsilon note, cited from alpha.") in targets


@pytest.mark.parametrize("kind", ["chunked", "sliced"])
def test_outline_entries_are_the_contents_on_the_right_pages(books, kind):
    reader, pages = books[kind]["reader"], books[kind]["pages"]
    marks = outline(reader)
    assert [(d, t) for d, t, _ in marks] == [(d, t) for d, t, _ in outline(books["single"]["reader"])]
    toc = toc_lines(books[kind]["layout"], marks[0][2])
    assert [title for title, _ in toc] == [title for _, title, _ in marks]
    labels = reader.page_labels
    for (_, title, index), (_, printed) in zip(marks, toc):
        assert title in flat(pages[index]), (title, index)
        assert labels[index] == printed, (title, labels[index], printed)
    shift = len(pages) - len(books["single"]["pages"])     # the sliced contents' extra pages
    assert [index - shift for _, _, index in marks] == [index for _, _, index in outline(books["single"]["reader"])]


@pytest.mark.parametrize("kind", ["chunked", "sliced"])
def test_printed_folios_are_the_page_labels(books, kind):
    reader, layout = books[kind]["reader"], books[kind]["layout"]
    checked = 0
    for index, text in enumerate(layout):
        page = lines(text)
        if page and re.fullmatch(r"[ivxlc]+|\d+", page[-1]):
            assert reader.page_labels[index] == page[-1], index
            checked += 1
    assert checked >= 5
    single = books["single"]["reader"].page_labels
    if kind == "chunked":
        assert reader.page_labels == single
    else:       # more roman pages (the contents), the same arabic ones
        assert [label for label in reader.page_labels if label.isdigit()] == [label for label in single if label.isdigit()]
        assert len(reader.page_labels) > len(single)


@pytest.mark.parametrize("kind", ["chunked", "sliced"])
def test_chapters_open_on_right_hand_pages(books, kind):
    for _, title, index in outline(books[kind]["reader"]):
        if title.endswith(("Chapter", "One", "Two")) or title in ("Preface", "Afterword"):
            assert index % 2 == 0, (title, index)


def test_fonts_embedded_and_the_file_checks_clean(books):
    rows = tool("pdffonts", str(books["chunked"]["pdf"])).splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), rows
    with pikepdf.open(books["chunked"]["pdf"]) as pdf:
        assert pdf.check_pdf_syntax() == []
    qpdf = subprocess.run(["qpdf", "--check", str(books["chunked"]["pdf"])], capture_output=True, text=True)
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr


def test_metadata_and_language_kept(books):
    info = tool("pdfinfo", str(books["chunked"]["pdf"]))
    assert "Title:           Chunk Book" in info and "Author:          Ada Writer" in info
    with pikepdf.open(books["chunked"]["pdf"]) as pdf:
        assert str(pdf.Root.Lang) == "en"


def test_two_builds_are_byte_identical(books):
    assert books["chunked"]["pdf"].read_bytes() == books["again"]["pdf"].read_bytes()


def test_an_edit_re_renders_only_its_chunk(books, tmp_path):
    manifest = books["manifest"]
    set_jobs_back = manifest.read_text().replace("    jobs: 1\n", "")
    manifest.write_text(set_jobs_back)
    post_file = manifest.parent / "posts" / "delta.md"
    post_file.write_text(post_file.read_text().replace("Middle.", "Center."))
    result = build(manifest, tmp_path)
    assert result.returncode == 0, result.stderr
    stats = re.search(r"from (\d+) chunks and (\d+) skeleton segments.*?\((\d+) of (\d+) reused", result.stderr, re.S)
    chunks, segments, reused, total = map(int, stats.groups())
    assert reused == total - 1, result.stderr                  # delta's chunk only
    assert "Center." in flat(" ".join(page_texts(next(tmp_path.glob("*.pdf")))))


# --- another geometry, no recto: chunks start on either side ------------------------------------------

def test_no_recto_and_unequal_margins_match_one_render(tmp_path):
    options = {"page_size": "6in x 9in", "margins": {"inner": "30mm", "outer": "10mm", "top": "15mm",
                                                       "bottom": "20mm"}}
    manifest = write_book(tmp_path / "book", options)
    chunked = made(manifest, tmp_path / "out")
    set_jobs(manifest, 1)
    single = made(manifest, tmp_path / "single")
    assert "CB262" in chunked["stderr"]
    assert chunked["layout"] == single["layout"]
    assert sorted(resolved_links(chunked["pdf"])) == sorted(resolved_links(single["pdf"]))
    assert chunked["reader"].page_labels == single["reader"].page_labels


def test_pdf_a_variant_after_the_merge(tmp_path):
    manifest = write_book(tmp_path / "book", {"variant": "pdf/a-3b"})
    chunked = made(manifest, tmp_path / "out")
    assert "CB262" in chunked["stderr"]
    with pikepdf.open(chunked["pdf"]) as pdf:
        assert b"pdfaid:part" in pdf.Root.Metadata.read_bytes()
        assert "/OutputIntents" in pdf.Root
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                assert int(annot.get("/F", 0)) & 4, "PDF/A: annotations must be printable"


def test_pdf_ua_is_rendered_in_one_pass(tmp_path):
    manifest = write_book(tmp_path / "book", {"variant": "pdf/ua-1"})
    result = made(manifest, tmp_path / "out")
    assert "CB262" not in result["stderr"] and "CB220" in result["stderr"]
    assert "Tagged:          yes" in tool("pdfinfo", str(result["pdf"]))


# --- a huge post -------------------------------------------------------------------------------------------

def test_a_post_over_the_bound_is_split_at_its_sections(tmp_path):
    sections = [(f"Long Section {n}", "Words.") for n in range(8)]
    posts = {"long.md": chapter("Long Chapter", "Opening.", sections, paragraphs=4),
             "short.md": post("Short Chapter", "Short, see [section 7](/long#long-section-7).\n")}
    manifest = make_book(tmp_path / "book", posts)
    result = made(manifest, tmp_path / "out")
    stats = re.search(r"from (\d+) chunks", result["stderr"])
    assert stats and int(stats[1]) >= 3, result["stderr"]
    text = flat(" ".join(result["pages"]))
    assert all(f"Long Section {n}" in text for n in range(8))
    assert [t for _, t, _ in outline(result["reader"])][:3] == ["Long Chapter", "Long Section 0", "Long Section 1"]
    links = resolved_links(result["pdf"])
    page7 = next(i for i, page in enumerate(result["pages"]) if "Long Section 7" in lines(page))
    assert any(target == page7 for _, target in links)


def test_a_post_too_large_is_refused_quickly_naming_the_file(tmp_path):
    posts = {"huge.md": post("Huge", (FILLER + "\n\n") * 200), "small.md": post("Small", "Text.\n")}
    manifest = make_book(tmp_path / "book", posts)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "test-book.pdf").write_bytes(b"previous")
    start = time.monotonic()
    result = build(manifest, tmp_path / "out")
    assert time.monotonic() - start < 60
    assert result.returncode == 1
    assert "CB260" in result.stderr and "huge.md" in result.stderr and "post too large for the PDF (limit" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "out" / "test-book.pdf").read_bytes() == b"previous"


# --- failures ----------------------------------------------------------------------------------------------

def _renderers_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            parent = int(stat[stat.rindex(")") + 2:].split()[1])
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == pid and b"child_main" in command:
            found.append(int(entry))
    return found


def _with_tmpdir(tmp: Path) -> list[int]:
    """Processes whose environment names our temporary folder (none may outlive the build)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if f"TMPDIR={tmp}".encode() in Path(f"/proc/{entry}/environ").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def _build_and_signal(tmp_path: Path, options: dict, sig: int) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """Build in a child process, send `sig` to one of its renderers, wait for the end."""
    manifest = write_book(tmp_path / "book", options)
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    tmp.mkdir()
    (out / "chunk-book.pdf").write_bytes(b"previous")
    env = {**os.environ, **SMALL, "NO_COLOR": "1", "TMPDIR": str(tmp), "CHAPBOOK_CACHE": "off"}
    proc = subprocess.Popen([sys.executable, "-m", "compiler", "build", str(manifest), "--format", "pdf", "--out",
                             str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    signalled = None
    deadline = time.monotonic() + 300
    while signalled is None and time.monotonic() < deadline and proc.poll() is None:
        renderers = _renderers_of(proc.pid)
        if renderers:
            time.sleep(0.5)
            os.kill(renderers[0], sig)
            signalled = renderers[0]
        time.sleep(0.05)
    _, stderr = proc.communicate(timeout=400)
    assert signalled, "no renderer was seen"
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr), out, tmp


def _failed_cleanly(result: subprocess.CompletedProcess, out: Path, tmp: Path) -> None:
    assert result.returncode == 1, result.stderr
    assert "CB261" in result.stderr and "PDF not written" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "chunk-book.pdf").read_bytes() == b"previous"
    assert _with_tmpdir(tmp) == []                       # no renderer left running
    assert not list(tmp.glob("chapbook-pdf-*"))          # the chunks' folder is gone


def test_a_crashed_renderer_is_a_clear_error(tmp_path):
    result, out, tmp = _build_and_signal(tmp_path, {}, signal.SIGKILL)
    _failed_cleanly(result, out, tmp)
    assert "killed by signal 9" in result.stderr


def test_a_hung_renderer_is_stopped_at_the_time_limit(tmp_path):
    """A renderer that stops using CPU (here: SIGSTOP) is killed by the wall-clock backstop."""
    start = time.monotonic()
    result, out, tmp = _build_and_signal(tmp_path, {"timeout": 10}, signal.SIGSTOP)
    _failed_cleanly(result, out, tmp)
    assert "rendering took longer than 40 s" in result.stderr
    assert time.monotonic() - start < 240


def test_a_renderer_out_of_memory_is_a_clear_error(tmp_path):
    manifest = write_book(tmp_path / "book", {"memory_limit": 64})
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = build(manifest, tmp_path / "out", {"TMPDIR": str(tmp)})
    assert result.returncode == 1
    assert "CB261" in result.stderr and "PDF not written" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "out").glob("*.pdf"))
    assert not list(tmp.glob("chapbook-pdf-*"))


# --- the cache ---------------------------------------------------------------------------------------------

def test_chunk_cache_stores_atomically_and_prunes(tmp_path):
    cache = ChunkCache(tmp_path / "cache", ".pdf")
    key = cache_key("a", "bc")
    assert key != cache_key("ab", "c")
    assert cache.get(key) is None
    source = tmp_path / "x.pdf"
    source.write_bytes(b"%PDF-1.7 chunk")
    cache.put(key, source)
    assert cache.get(key).read_bytes() == b"%PDF-1.7 chunk"
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [key + ".pdf"]      # no temporary left
    other = cache_key("other")
    cache.put(other, source)
    cache.prune({other})
    assert cache.get(key) is None and cache.get(other) is not None


def test_the_chunk_cache_follows_no_cache_and_cache_dir(tmp_path):
    """`--no-cache` keeps no rendered chunk anywhere; `--cache-dir` keeps them there, not beside book.yml."""
    manifest = write_book(tmp_path / "book", {})
    args = ["build", str(manifest), "--format", "pdf", "-v"]
    none = run_cli(*args, "--out", str(tmp_path / "out1"), "--no-cache", env=SMALL)
    assert none.returncode == 0, none.stderr
    assert re.search(r"CB262.*? chunks", none.stderr, re.S), none.stderr
    assert not (tmp_path / "book" / ".chapbook-cache").exists()
    elsewhere = tmp_path / "cache"
    kept = run_cli(*args, "--out", str(tmp_path / "out2"), "--cache-dir", str(elsewhere), env=SMALL)
    assert kept.returncode == 0, kept.stderr
    assert not (tmp_path / "book" / ".chapbook-cache").exists()
    assert len(list((elsewhere / "pdf").iterdir())) >= 3
    again = run_cli(*args, "--out", str(tmp_path / "out3"), "--cache-dir", str(elsewhere), "--force", env=SMALL)
    assert again.returncode == 0 and re.search(r"\((\d+) of \1 reused from the cache\)", again.stderr), again.stderr
