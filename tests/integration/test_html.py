"""The HTML backend, built for real (the CLI, or the backend in-process with a real BuildContext)
and checked on the parsed output: the DOM of every page, the sitemap, the search index, and the
Nu HTML Checker's verdict. Each fixture book is built once per module."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
from lxml import etree

from helpers import ROOT, compile_manifest, make_book, post, run_cli

VNU = ROOT / "tests/.tools/node_modules/vnu-jar/build/dist/vnu.jar"
SITE = "https://blog.example.com/"
UNIQUE = "quizzaciously"          # appears in chapter two only
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}

ONE = post("Chapter One", """
    Opening words of the first chapter.

    ## Setting Out

    See [the second chapter](/chapter-two) and [its far section](/chapter-two#far-section).
    A note here.[^n]

    ![A small dot](img/dot.png)

    ```python
    def greet(name):
        return "hello " + name
    ```

    | Left | Right |
    |------|------:|
    | a    | 1     |

    <p><img src="https://example.com/remote.png" alt="Remote picture"> and
    <a href="../relative/page.html">a relative link</a> and <a href="#setting-out">a raw anchor</a>
    and <a href="#nowhere-at-all">a dead anchor</a>.</p>
    <center>Centred the old way</center>
    <table><tr><td align="right">old cell</td></tr></table>

    [^n]: The footnote text.
    """, date="2024-01-15", description="The first chapter.")
TWO = post("Chapter Two", f"""
    The second chapter begins.

    ## Far Section

    A word found nowhere else: {UNIQUE}.

    #### Skipped level

    Deeper text.

    <h6>A raw heading two levels too deep</h6>
    """, date="2024-02-20")
INDEX_POST = post("Index of Things", "## Things\n\nA post whose slug is index.\n", date="2024-03-01", slug="index")


def png() -> bytes:
    """A valid 1×1 PNG, made here so the test needs no image library."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def write_book(folder: Path, html_options: dict | None = None) -> Path:
    manifest = {
        "title": "Feature Book", "authors": ["Tess Ter"], "language": "en", "site_url": SITE,
        "description": "A book that uses every feature.",
        "parts": [{"title": "First Part", "chapters": ["posts/one.md", "posts/chapter-two.md"]},
                  {"title": "Second Part", "chapters": ["posts/things.md"]}],
        "outputs": {"html": {"post_url": "{yyyy}/{mm}/{slug}/", **(html_options or {})}},
    }
    path = make_book(folder, {"posts/one.md": ONE, "posts/chapter-two.md": TWO, "posts/things.md": INDEX_POST},
                     manifest)
    (folder / "posts/img").mkdir()
    (folder / "posts/img/dot.png").write_bytes(png())
    return path


def build(manifest: Path, out: Path, *extra: str) -> Path:
    result = run_cli("build", str(manifest), "--format", "html", "--out", str(out), *extra, env=EPOCH)
    assert result.returncode == 0, result.stderr
    return out / "html"


def parse(path: Path):
    return lxml.html.fromstring(path.read_bytes())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    return build(write_book(folder / "book"), folder / "out")


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("single")
    return build(write_book(folder / "book", {"mode": "single"}), folder / "out")


@pytest.fixture(scope="module")
def default_book(tmp_path_factory) -> Path:
    return build(ROOT / "book.yml", tmp_path_factory.mktemp("default"))


def pages(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.html"))


# --- the folder ---------------------------------------------------------------------------------

def test_site_folder_holds_index_chapters_and_support_files(site):
    names = {p.name for p in site.iterdir()}
    assert {"index.html", "one.html", "chapter-two.html", "book.css", "book.js", "search-index.js",
            "sitemap.xml", "assets"} <= names
    assert (site / "assets/posts/img/dot.png").read_bytes() == png()
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_a_post_named_index_does_not_replace_the_index_page(site):
    index = parse(site / "index.html")
    assert index.xpath("string(//h1)") == "Feature Book"
    other = [p for p in pages(site) if parse(p).xpath("string(//article//h1)") == "Index of Things"]
    assert [p.name for p in other] == ["index-2.html"]


def test_every_page_has_title_contents_skip_link_and_metadata(site):
    chapters = ["one.html", "chapter-two.html", "index-2.html"]
    for path in pages(site):
        doc = parse(path)
        assert doc.get("lang") == "en"
        assert doc.xpath("string(//title)")
        assert doc.xpath("//a[@class='skip-link']/@href") == ["#cb-main"] and doc.xpath("//main[@id='cb-main']")
        assert doc.xpath("//a[@class='book-title']/@href") == ["index.html"]
        assert doc.xpath("//nav[@id='cb-toc']//a[not(ancestor::ol[@class='toc-sections'])]/@href")[1:] == chapters
        assert doc.xpath("//meta[@name='description']/@content")
        assert doc.xpath("//meta[@property='og:title']/@content")
        csp = doc.xpath("string(//meta[@http-equiv='Content-Security-Policy']/@content)")
        assert "default-src 'none'" in csp and "script-src 'self'" in csp


def test_current_chapter_is_marked_and_pager_follows_reading_order(site):
    order = ["index.html", "one.html", "chapter-two.html", "index-2.html"]
    for i, name in enumerate(order[1:], start=1):
        doc = parse(site / name)
        assert doc.xpath("//nav[@id='cb-toc']//a[@aria-current='page']/@href") == [name]
        assert doc.xpath("//a[@rel='prev']/@href") == [order[i - 1]]
        assert doc.xpath("//a[@rel='next']/@href") == ([order[i + 1]] if i + 1 < len(order) else [])
    assert parse(site / "index.html").xpath("//a[@class='start-reading' or ancestor::p[@class='start-reading']]/@href") \
        == ["one.html"]


def test_chapter_heading_sections_and_parts(site):
    doc = parse(site / "one.html")
    assert doc.xpath("//article/header/h1/@id") == ["one"]
    assert doc.xpath("string(//p[@class='chapter-part'])") == "First Part"
    assert doc.xpath("//nav[@id='cb-toc']//ol[@class='toc-sections']//a/@href") == ["#one--setting-out"]
    index = parse(site / "index.html")
    assert index.xpath("//h3[@class='contents-part']/@id") == ["part-first-part", "part-second-part"]


def test_in_book_links_point_at_the_page_holding_the_target(site):
    doc = parse(site / "one.html")
    hrefs = doc.xpath("//article//a/@href")
    assert "chapter-two.html" in hrefs
    assert "chapter-two.html#chapter-two--far-section" in hrefs
    assert "#one--setting-out" in hrefs, "a raw-HTML anchor is scoped to its chapter"
    dead = doc.xpath("//article//a[normalize-space()='a dead anchor']")
    assert dead and dead[0].get("href") == "#one", "a dead anchor links to its chapter, as in Markdown (CB107)"


def test_footnotes_link_both_ways(site):
    doc = parse(site / "one.html")
    ref = doc.xpath("//a[@role='doc-noteref']")[0]
    note = doc.get_element_by_id(ref.get("href")[1:])
    back = note.xpath(".//a[@role='doc-backlink']")[0]
    assert back.get("href") == "#" + ref.get("id")


def test_skipped_heading_levels_are_closed_up(site):
    doc = parse(site / "chapter-two.html")
    headings = doc.xpath("//article//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]")
    assert [h.tag for h in headings] == ["h1", "h2", "h3", "h4"]
    assert headings[-1].text == "A raw heading two levels too deep"


def test_nothing_is_loaded_from_elsewhere(site):
    for path in pages(site):
        doc = parse(path)
        loaded = doc.xpath("//img/@src | //script/@src | //link[@rel='stylesheet']/@href | //iframe/@src")
        assert all(not u.startswith(("http:", "https:", "//")) for u in loaded), (path.name, loaded)
    doc = parse(site / "one.html")
    assert doc.xpath("//a[@class='remote-image']/@href") == ["https://example.com/remote.png"]
    assert doc.xpath("//img/@src") == ["assets/posts/img/dot.png"]


def test_relative_raw_links_resolve_against_the_original_post(site):
    doc = parse(site / "one.html")
    original = SITE + "2024/01/one/"
    assert doc.xpath("//article//a[normalize-space()='a relative link']/@href") == [urljoin(original, "../relative/page.html")]


def test_obsolete_markup_is_modernised(site):
    doc = parse(site / "one.html")
    assert not doc.xpath("//center | //td[@align]")
    assert doc.xpath("//div[contains(@class, 'center')]") and doc.xpath("//td[contains(@style, 'text-align:right')]")
    assert all(t.getparent().get("class") == "table-wrap" for t in doc.xpath("//article//table"))


def test_original_post_canonical_and_sitemap(site):
    doc = parse(site / "one.html")
    original = SITE + "2024/01/one/"
    assert doc.xpath("//link[@rel='canonical']/@href") == [original]
    assert doc.xpath("//a[@class='original']/@href") == [original]
    assert doc.xpath("//article//time/@datetime") == ["2024-01-15"]
    assert doc.xpath("//meta[@name='description']/@content") == ["The first chapter."]
    tree = etree.parse(str(site / "sitemap.xml"))
    locs = tree.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    base = SITE + "feature-book/"
    assert locs == [base, base + "one.html", base + "chapter-two.html", base + "index-2.html"]


def load_index(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    prefix = "window.chapbookSearchIndex="
    assert text.startswith(prefix)
    return json.loads(text[len(prefix):].rstrip().rstrip(";"))


def test_search_index_finds_a_word_in_its_section_only(site):
    data = load_index(site / "search-index.js")
    hits = [s for s in data["sections"] if UNIQUE in s[3]]
    assert [(data["pages"][s[0]][0], s[1]) for s in hits] == [("chapter-two.html", "chapter-two--far-section")]
    assert all("<" not in s[3] for s in data["sections"]), "section text is plain text"


def test_no_site_url_means_no_canonical_sitemap_or_original_link(default_book):
    assert not (default_book / "sitemap.xml").exists()
    for path in pages(default_book):
        doc = parse(path)
        assert not doc.xpath("//link[@rel='canonical'] | //a[@class='original']")
    chapter = parse(default_book / "working-with-product-managers.html")
    assert chapter.xpath("//article//time/@datetime") == ["2026-02-03"]


# --- single mode ----------------------------------------------------------------------------------

def test_single_mode_is_one_self_contained_file(single):
    files = [p.name for p in single.iterdir()]
    assert files == ["feature-book.html"]
    doc = parse(single / "feature-book.html")
    assert not doc.xpath("//link[@rel='stylesheet'] | //script[@src]")
    assert "--bg" in doc.xpath("string(//style)")
    assert doc.xpath("//img/@src")[0].startswith("data:image/png;base64,")
    assert doc.xpath("//article/header/h1/@id") == ["one", "chapter-two", "index"]
    assert "#chapter-two--far-section" in doc.xpath("//article//a/@href")
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), "ids are unique in the single file"


def test_single_mode_scripts_are_allowed_by_hash(single):
    doc = parse(single / "feature-book.html")
    csp = doc.xpath("string(//meta[@http-equiv='Content-Security-Policy']/@content)")
    scripts = doc.xpath("//script")
    assert len(scripts) == 2
    raw = (single / "feature-book.html").read_text(encoding="utf-8")
    for script in scripts:
        body = raw.split("<script>", 1)[1].split("</script>", 1)[0] if script is scripts[0] else \
            raw.rsplit("<script>", 1)[1].rsplit("</script>", 1)[0]
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]


# --- validity, reproducibility, options -------------------------------------------------------------

@pytest.mark.skipif(not VNU.exists() or not shutil.which("java"), reason="the Nu HTML Checker is not installed")
def test_nu_html_checker_finds_no_errors(site, single, default_book):
    files = [str(p) for folder in (site, single, default_book) for p in pages(folder)]
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or "{}").get("messages", [])
    assert messages == [], messages[:5]


def test_two_builds_are_byte_identical(site, tmp_path):
    again = build(site.parent.parent / "book" / "book.yml", tmp_path / "again")
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


@pytest.mark.parametrize("options, needle", [
    ({"mode": "scroll"}, "mode"),
    ({"post_url": "{slug}/{nope}"}, "post_url"),
    ({"colour": "red"}, "colour"),
])
def test_bad_options_are_refused_with_the_key(tmp_path, options, needle):
    manifest = write_book(tmp_path / "book", options)
    result = run_cli("build", str(manifest), "--format", "html", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_download_links_point_at_copies_of_this_runs_files(tmp_path):
    """The other formats as dummy files: the pages link copies of exactly these bytes."""
    from compiler.backends import BuildContext
    from compiler.backends.html import HtmlBackend, HtmlOptions
    from compiler.load.theme import load_theme

    book, _ = compile_manifest(write_book(tmp_path / "book"))
    out = tmp_path / "out"
    out.mkdir()
    epub, pdf = out / "feature-book.epub", out / "feature-book.pdf"
    epub.write_bytes(b"PK dummy epub " * 10)
    pdf.write_bytes(b"%PDF-1.7 dummy " * 100)
    ctx = BuildContext(out_dir=out, theme=load_theme("default", book.root), formats=("epub", "pdf", "html"),
                       outputs={"epub": [epub], "pdf": [pdf]})
    [folder] = HtmlBackend().build(book, HtmlOptions(), ctx)
    for page in pages(folder):
        links = parse(page).xpath("//nav[@id='cb-toc']//a[@download]")
        assert [(a.get("href"), a.get("type"), a.text) for a in links] == [
            ("feature-book.epub", "application/epub+zip", "EPUB"), ("feature-book.pdf", "application/pdf", "PDF")]
    assert (folder / "feature-book.epub").read_bytes() == epub.read_bytes()
    assert (folder / "feature-book.pdf").read_bytes() == pdf.read_bytes()
    assert parse(folder / "index.html").xpath("//ul[@class='downloads']//a/@href") == ["feature-book.epub",
                                                                                       "feature-book.pdf"]


def test_real_epub_and_pdf_of_the_same_run_are_linked(tmp_path):
    from compiler.backends import load_backend
    from compiler.model.diagnostics import FatalError
    try:
        load_backend("epub"), load_backend("pdf")
    except FatalError as exc:
        pytest.skip(f"EPUB or PDF backend not available yet: {exc}")
    result = run_cli("build", str(ROOT / "book.yml"), "--format", "epub,pdf,html", "--out", str(tmp_path), env=EPOCH)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "html"
    links = parse(folder / "index.html").xpath("//ul[@class='downloads']//a/@href")
    assert sorted(Path(h).suffix for h in links) == [".epub", ".pdf"]
    for href in links:
        assert (folder / href).read_bytes() == (tmp_path / href).read_bytes()


def build_in_process(manifest: Path, out: Path, **options) -> Path:
    from compiler.backends import BuildContext
    from compiler.backends.html import HtmlBackend, HtmlOptions
    from compiler.load.theme import load_theme

    book, _ = compile_manifest(manifest)
    ctx = BuildContext(out_dir=out, theme=load_theme("default", book.root), formats=("html",))
    [folder] = HtmlBackend().build(book, HtmlOptions(**options), ctx)
    return folder


def test_cover_front_and_back_matter(tmp_path):
    manifest = make_book(tmp_path / "book", {
        "front/preface.md": post("Preface", "Why this book.\n"),
        "posts/one.md": ONE, "back/afterword.md": post("Afterword", "Thanks.\n"),
    }, {"title": "Framed", "language": "en-GB", "cover": "cover.png", "front_matter": ["front/preface.md"],
        "chapters": ["posts/one.md"], "back_matter": ["back/afterword.md"]})
    (tmp_path / "book/cover.png").write_bytes(png())
    (tmp_path / "book/posts/img").mkdir()
    (tmp_path / "book/posts/img/dot.png").write_bytes(png())
    folder = build_in_process(manifest, tmp_path / "out")
    index = parse(folder / "index.html")
    assert index.xpath("//img[@class='cover-image']/@src") == ["cover.png"]
    assert (folder / "cover.png").read_bytes() == png()
    assert index.xpath("//ol[@class='contents-list']/li/@class") == ["contents-front", "contents-chapter",
                                                                     "contents-back"]
    assert index.xpath("//html/@lang") == ["en-GB"]
    chapter = parse(folder / "one.html")
    assert chapter.xpath("//a[@rel='prev']/@href") == ["preface.html"]
    assert chapter.xpath("//a[@rel='next']/@href") == ["afterword.html"]
    assert chapter.xpath("//article//time")[0].text == "15 January 2024"


def test_a_book_without_chapters_still_has_an_index(tmp_path):
    # issue 13: a manifest that selects no posts is refused (tests/integration/test_hardening.py);
    # the backend itself still copes with a Book without chapters (a plugin may hand it one)
    import dataclasses

    from compiler.backends import BuildContext
    from compiler.backends.html import HtmlBackend, HtmlOptions
    from compiler.load.theme import load_theme
    from compiler.model.book import Part
    manifest = make_book(tmp_path / "book", {"posts/a.md": post("A")}, {"title": "Empty", "series": {"from": "posts"}})
    book, _ = compile_manifest(manifest)
    book = dataclasses.replace(book, parts=(Part(None, None, ()),), assets={})
    ctx = BuildContext(out_dir=tmp_path / "out", theme=load_theme("default", book.root), formats=("html",))
    [folder] = HtmlBackend().build(book, HtmlOptions(), ctx)
    assert [p.name for p in pages(folder)] == ["index.html"]
    assert parse(folder / "index.html").xpath("string(//h1)") == "Empty"
    assert load_index(folder / "search-index.js") == {"pages": [], "sections": []}


def test_long_books_show_a_window_of_the_contents(tmp_path):
    posts = {f"posts/p{i:02}.md": post(f"Post {i}", f"Body {i}.\n", date=f"2024-01-{i + 1:02}") for i in range(30)}
    manifest = make_book(tmp_path / "book", posts, {"title": "Long", "series": {"from": "posts"}})
    folder = build_in_process(manifest, tmp_path / "out", toc_limit=12)
    toc = parse(folder / "p15.html").xpath("//nav[@id='cb-toc']//li/a/@href")
    assert "p15.html" in toc and "p00.html" not in toc and "p29.html" not in toc and len(toc) == 11
    assert parse(folder / "p15.html").xpath("//p[@class='toc-more']/a/@href") == ["index.html#cb-contents"] * 2
    assert len(parse(folder / "index.html").xpath("//ol[@class='contents-list']/li")) == 30


def test_the_booklet_speaks_the_book_language(tmp_path):
    """A French book: the interface words, the dates and the search labels are French, and no
    English interface word is left on the pages."""
    manifest = make_book(tmp_path, {
        "un.md": post("Premier", "Du texte.\n\n## Une section\n\nEncore.\n", date="2025-08-07"),
        "deux.md": post("Second", "Suite.\n", date="2025-09-01"),
    }, {"title": "Livre", "authors": ["Anne"], "language": "fr-CA", "chapters": ["un.md", "deux.md"],
        "publisher": "Maison"})
    folder = build_in_process(manifest, tmp_path / "out")
    index, first = parse(folder / "index.html"), parse(folder / "un.html")
    assert index.xpath("//h2[@id='cb-contents']/text()") == ["Table des matières"]
    assert index.xpath("//dl[@class='colophon']/dt/text()")[0] == "Éditeur"
    assert first.xpath("//a[@class='skip-link']/text()") == ["Aller au contenu"]
    assert first.xpath("//article//time/text()") == ["7 août 2025"]
    assert first.xpath("//a[@rel='next']/span[@class='pager-label']/text()") == ["Suivant"]
    assert first.xpath("//div[@id='cb-search']/@data-label-none") == ["Aucun résultat pour"]
    english = ("Skip to content", "Contents", "Search the book", "Previous", "Next", "Made with", "Dark theme",
               "Cover and contents", "Publisher")
    for page in (folder / "index.html", folder / "un.html", folder / "deux.html"):
        text = page.read_text(encoding="utf-8")
        assert not [w for w in english if f">{w}" in text or f'"{w}' in text], page.name


def test_dates_follow_the_region_and_fall_back_to_iso():
    from compiler.support.locales import long_date, words
    assert long_date("2025-08-07", "en") == "7 August 2025"
    assert long_date("2025-08-07", "en-US") == "August 7, 2025"
    assert long_date("2025-08-07", "de") == "7. August 2025"
    assert long_date("2025-08-07", "xx-nowhere") == "2025-08-07"
    assert words("sv")["contents"] == "Innehåll" and words("sv")["next"] == "Next"   # English where none
