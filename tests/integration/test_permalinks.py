"""Links between posts become in-book links, by the blog engine's own permalinks (issue 18).

The fixture blogs (tests/fixtures/blogs/{hugo,jekyll,zola}-links) and the Rust blog are built for
real; every link of the outputs is then mapped back to a post with the URLs each engine serves its
posts at, written out below by hand from the engines' documented rules (not computed by Chapbook):
no link may leave the book for a post that is one of its chapters, and every in-book link must land
on an id that exists.
"""

from __future__ import annotations

import html as htmlmod
import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
import yaml
from lxml import etree

from helpers import ROOT, run_cli
from test_epub import epubcheck_problems

FIXTURES = ROOT / "tests" / "fixtures" / "blogs"
from helpers import RUST_BLOG  # noqa: E402  (shared/ beside the clone)

# Where each engine serves each post: its canonical URL first, then its aliases/redirects.
ENGINE_URLS = {
    "hugo-links": ("https://hugo-links.test/", {   # [permalinks] posts = "/:year/:month/:day/:slug/"
        "content/posts/governance.md": ["/2021/03/04/linkerds-commitment-to-open-governance/"],   # urlize(title)
        "content/posts/second.md": ["/2021/04/05/custom-slug/", "/old/second/"],
        "content/posts/url-post.md": ["/special/place/"],                          # url:
        "content/posts/twin.md": ["/2021/06/01/twin/"],
        "content/notes/twin.md": ["/notes/twin/"],                                 # default: /section/filename/
        "content/notes/bundle/index.md": ["/notes/bundle/"],                       # page bundle
    }),
    "jekyll-links": ("https://jekyll-links.test/blog/", {   # permalink: pretty, baseurl /blog
        "_posts/2020-01-15-first-post.md": ["/rust/learning/2020/01/15/first-post/"],   # categories, lower case
        "_posts/2020-02-01-second.md": ["/custom/second.html", "/old-second/"],           # permalink, redirect_from
        "news/_posts/2020-03-01-launch.md": ["/news/2020/03/01/launch/"],                # folder above _posts
        "_posts/2020-04-01-twin.md": ["/2020/04/01/twin/"],
        "news/_posts/2020-04-01-twin.md": ["/news/2020/04/01/twin/"],
        "_recipes/breads/sourdough.md": ["/recipes/breads/sourdough/"],                  # collection, :path
    }),
    "zola-links": ("https://zola-links.test/", {
        "content/blog/2022-01-10-first-post.md": ["/blog/first-post/"],            # date stripped from the slug
        "content/blog/second.md": ["/blog/the-second/", "/old/second/"],           # slug, aliases
        "content/blog/bundle-post/index.md": ["/blog/bundle-post/"],
        "content/docs/guide/intro.md": ["/docs/guide/intro/"],                     # nested section
        "content/pages/about.md": ["/about-us/"],                                  # path
        "content/blog/2022-05-05-twin.md": ["/blog/twin/"],
        "content/docs/2022-05-05-twin.md": ["/docs/twin/"],
    }),
}
# Links written to a heading or an anchor of another post: they must land on it, not on the chapter.
ANCHORS = {
    "hugo-links": ["governance--why-open-governance-tada", "governance--qa--the-details", "bundle--a-written-anchor"],
    "jekyll-links": ["first-post--ownership--borrowing", "first-post--131--whats-new", "sourdough--the-dough"],
    "zola-links": ["first-post--getting-started--fast"],
}
AMBIGUOUS = {
    "hugo-links": ("content/notes/twin.md", "content/posts/twin.md"),
    "jekyll-links": ("_posts/2020-04-01-twin.md", "news/_posts/2020-04-01-twin.md"),
    "zola-links": ("content/blog/2022-05-05-twin.md", "content/docs/2022-05-05-twin.md"),
}


# --- reading the outputs -------------------------------------------------------------------------

def documents(out: Path) -> dict[str, bytes]:
    """Every page of the outputs: `html/<file>` and `epub/<file in the zip>`."""
    found = {f"html/{p.relative_to(out / 'html').as_posix()}": p.read_bytes() for p in (out / "html").rglob("*.html")}
    for epub in out.glob("*.epub"):
        with zipfile.ZipFile(epub) as z:
            found.update({f"epub/{n}": z.read(n) for n in z.namelist() if n.endswith((".xhtml", ".html"))})
    return found


def parse(data: bytes):
    try:
        return etree.fromstring(data, etree.XMLParser(recover=False))
    except etree.XMLSyntaxError:
        return lxml.html.fromstring(data)


def anchors_of(out: Path) -> list[tuple[str, str, dict[str, set[str]]]]:
    """(page, href) of every `<a>` in the outputs, but "Read the original post", and the ids of each page."""
    docs = {name: parse(data) for name, data in documents(out).items()}
    ids = {name: {e.get("id") for e in tree.iter() if isinstance(e.tag, str) and e.get("id")} for name, tree in docs.items()}
    links = []
    for name, tree in docs.items():
        for a in tree.iter():
            if isinstance(a.tag, str) and etree.QName(a).localname == "a" and a.get("href") is not None:
                if "original" not in (a.get("class") or "").split():
                    links.append((name, a.get("href")))
    return links, ids


def leaving_for_chapters(links, site: str, urls: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Links that point at the blog (absolute or site-relative) at a URL of a post of the book."""
    host = urlsplit(site).hostname.removeprefix("www.")
    base = urlsplit(site).path.rstrip("/")
    known = {u.rstrip("/").lower() for paths in urls.values() for u in paths}
    bad = []
    for page, href in links:
        parts = urlsplit(htmlmod.unescape(href))
        if parts.scheme in ("http", "https"):
            if (parts.hostname or "").removeprefix("www.") != host:
                continue
        elif not href.startswith("/"):
            continue
        path = unquote(parts.path)
        if base and path.startswith(base + "/"):
            path = path[len(base):]
        if path.rstrip("/").lower() in known:
            bad.append((page, href))
    return bad


def dangling(links, ids) -> list[tuple[str, str]]:
    """In-book links (no scheme) whose file or fragment does not exist in the outputs."""
    bad = []
    for page, href in links:
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href) or href.startswith("/"):
            continue
        file, _, frag = href.partition("#")
        target = page if not file else str(PurePosixPath(page).parent / file)
        target = re.sub(r"[^/]+/\.\./", "", target)
        if target not in ids and not file.endswith((".epub", ".js", ".css", ".xml", ".docx", ".pdf")):
            bad.append((page, href))
        elif frag and target in ids and unquote(frag) not in ids[target]:
            bad.append((page, href))
    return bad


def build(folder: Path, out: Path, *formats: str) -> str:
    args = ["-f", ",".join(formats)] if formats else []
    result = run_cli("build", str(folder / "book.yml"), "-o", str(out), *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


# --- fixture blogs -------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=sorted(ENGINE_URLS))
def blog(request, tmp_path_factory):
    name = request.param
    folder = tmp_path_factory.mktemp(name) / name
    shutil.copytree(FIXTURES / name, folder)
    out = folder.parent / "out"
    log = build(folder, out, "epub", "html")
    return name, folder, out, log


def test_no_link_leaves_the_book_for_one_of_its_posts(blog):
    name, _, out, _ = blog
    site, urls = ENGINE_URLS[name]
    links, ids = anchors_of(out)
    assert len(links) > 20
    assert leaving_for_chapters(links, site, urls) == []
    assert dangling(links, ids) == []


def test_links_to_anchors_land_on_them(blog):
    name, _, out, _ = blog
    links, _ = anchors_of(out)
    for kind in ("html/", "epub/"):
        targets = {href.partition("#")[2] for page, href in links if page.startswith(kind)}
        assert set(ANCHORS[name]) <= targets, kind


def test_an_ambiguous_link_is_a_warning_naming_both_posts(blog):
    name, _, _, log = blog
    first, second = AMBIGUOUS[name]
    warning = next(line for line in log.splitlines() if "CB128" in line)
    assert f"{first} and {second}" in warning or f"{second} and {first}" in warning


def test_read_the_original_post_is_the_real_url(blog):
    name, _, out, _ = blog
    site, urls = ENGINE_URLS[name]
    originals = set()
    for page in (out / "html").glob("*.html"):
        tree = lxml.html.fromstring(page.read_bytes())
        originals |= {a.get("href") for a in tree.iterfind(".//a[@class='original']")}
    assert originals == {site.rstrip("/") + paths[0] for paths in urls.values()}


def test_fixture_epubs_pass_epubcheck(blog):
    _, _, out, _ = blog
    assert epubcheck_problems(next(out.glob("*.epub"))) == []


def test_bylines_and_contributors(blog):
    name, _, out, _ = blog
    expected = {
        "hugo-links": {"governance.html": "Grace Hopper", "custom-slug.html": "Grace Hopper and Alan Kay",
                       "url-post.html": "Alan Kay", "bundle.html": None},
        "jekyll-links": {"second.html": "Charles Babbage", "launch.html": "Ada Lovelace and Charles Babbage",
                         "first-post.html": None},      # `ada` is the book's author, by _data/authors.yml
        "zola-links": {"the-second.html": "Zed Shaw", "first-post.html": None},
    }[name]
    for page, line in expected.items():
        tree = lxml.html.fromstring((out / "html" / page).read_bytes())
        found = [p.text_content() for p in tree.iterfind(".//p[@class='byline']")]
        assert found == ([line] if line else []), page
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "opf": "http://www.idpf.org/2007/opf"}
    contributors = {c.text: c.get("id") for c in opf.iterfind(".//dc:contributor", ns)}
    wanted = {line for line in expected.values() if line for line in line.split(" and ")}
    assert wanted <= set(contributors)
    roles = {m.get("refines"): m.text for m in opf.iterfind(".//opf:meta[@property='role']", ns)}
    assert all(roles["#" + ident] == "aut" for ident in contributors.values())


def test_docx_byline_and_bylines_off(tmp_path):
    from docx import Document
    folder = tmp_path / "jekyll-links"
    shutil.copytree(FIXTURES / "jekyll-links", folder)
    build(folder, tmp_path / "out", "docx")
    doc = Document(str(next((tmp_path / "out").glob("*.docx"))))
    assert [p.text for p in doc.paragraphs if p.style.name == "Byline"].count("Charles Babbage") == 2
    manifest = folder / "book.yml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "bylines: false\n", encoding="utf-8")
    build(folder, tmp_path / "off", "html")
    assert "byline" not in (tmp_path / "off" / "html" / "second.html").read_text(encoding="utf-8")


def test_check_without_site_url_suggests_it(tmp_path):
    folder = tmp_path / "zola-links"
    shutil.copytree(FIXTURES / "zola-links", folder)
    manifest = folder / "book.yml"
    manifest.write_text(re.sub(r"(?m)^site_url:.*\n", "", manifest.read_text(encoding="utf-8")), encoding="utf-8")
    result = run_cli("check", str(manifest))
    assert "CB130 3 link(s) look like posts of this book on https://zola-links.test/: set site_url" in result.stdout + result.stderr


def test_init_writes_the_site_url_of_zola(tmp_path):
    folder = tmp_path / "zola-links"
    shutil.copytree(FIXTURES / "zola-links", folder)
    (folder / "book.yml").unlink()
    result = run_cli("init", str(folder))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((folder / "book.yml").read_text(encoding="utf-8"))["site_url"] == "https://zola-links.test/"


# --- the Rust blog -------------------------------------------------------------------------------

def rust_rule(rel: str) -> str | None:
    """The Rust blog's URL for a post file: /[inside-rust/]YYYY/MM/DD/slug.html."""
    m = re.match(r"^posts/(inside-rust/)?(\d{4})-(\d{2})-(\d{2})-(.+?)(\.md)?$", rel)
    return f"/{m[1] or ''}{m[2]}/{m[3]}/{m[4]}/{m[5]}.html" if m else None


def rust_book(folder: Path, extra: dict, **manifest) -> Path:
    shutil.copytree(RUST_BLOG / "posts", folder / "posts")
    data = {"title": "The Rust Blog", "authors": ["The Rust Blog"], **manifest, **extra}
    (folder / "book.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def rust(tmp_path_factory):
    if not RUST_BLOG.is_dir():
        pytest.skip("the Rust blog corpus is not on this machine")
    folder = rust_book(tmp_path_factory.mktemp("rust") / "blog",
                       {"site_url": "https://blog.rust-lang.org/", "site": {"permalink": "date"}},
                       series={"from": "posts", "exclude": ["README.md"]})
    out = folder.parent / "out"
    build(folder, out, "epub", "html")
    return folder, out


def rust_posts(folder: Path) -> dict[str, str]:
    """Post file (relative) -> its URL on the blog, for every Markdown post of the book."""
    found = {}
    for path in (folder / "posts").rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rust_rule(rel) and path.suffix == ".md":
            found[rel] = rust_rule(rel)
    return found


def test_rust_blog_no_link_leaves_the_book_for_a_chapter(rust):
    folder, out = rust
    links, ids = anchors_of(out)
    urls = {rel: [url] for rel, url in rust_posts(folder).items()}
    assert len(links) > 5000
    assert leaving_for_chapters(links, "https://blog.rust-lang.org/", urls) == []
    assert dangling(links, ids) == []


def test_rust_blog_read_the_original_post_is_the_real_url(rust):
    folder, out = rust
    originals = []
    for page in (out / "html").glob("*.html"):
        originals += re.findall(r'<a class="original" href="([^"]*)"', page.read_text(encoding="utf-8"))
    real = {"https://blog.rust-lang.org" + url for url in rust_posts(folder).values()}
    assert len(originals) == len(set(originals)) == len(real) == 584
    assert set(originals) == real
    assert "https://blog.rust-lang.org/inside-rust/2023/01/30/cargo-sparse-protocol.html" in originals


def test_rust_blog_bylines_and_contributors(rust):
    _, out = rust
    page = (out / "html" / "Fearless-Concurrency.html").read_text(encoding="utf-8")
    assert '<h1 id="Fearless-Concurrency">Fearless Concurrency with Rust</h1>\n<p class="byline">Aaron Turon</p>' in page
    bylines = sum(p.read_text(encoding="utf-8").count('<p class="byline">') for p in (out / "html").glob("*.html"))
    epub = next(out.glob("*.epub"))
    with zipfile.ZipFile(epub) as z:
        texts = [z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml")]
        opf = z.read("EPUB/content.opf").decode()
    assert bylines == sum(t.count('<p class="byline">') for t in texts) >= 580
    assert opf.count("<dc:contributor") >= 130 and ">Niko Matsakis</dc:contributor>" in opf
    assert epubcheck_problems(epub) == []


def test_rust_blog_without_a_rule_has_no_original_links(tmp_path):
    if not RUST_BLOG.is_dir():
        pytest.skip("the Rust blog corpus is not on this machine")
    chapters = ["posts/2015-04-10-Fearless-Concurrency.md", "posts/inside-rust/2023-01-30-cargo-sparse-protocol.md",
                "posts/2014-12-12-1.0-Timeline.md"]
    folder = rust_book(tmp_path / "blog", {"site_url": "https://blog.rust-lang.org/"}, chapters=chapters)
    log = build(folder, tmp_path / "out", "html", "pdf")
    assert 'class="original"' not in "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "html").glob("*.html"))
    result = run_cli("check", "-v", str(folder / "book.yml"))
    assert "CB129 3 post(s) have no known address on the blog" in result.stdout + result.stderr, log
    from pypdf import PdfReader
    text = "\n".join(page.extract_text() for page in PdfReader(next((tmp_path / "out").glob("*.pdf"))).pages)
    assert re.search(r"Fearless Concurrency with Rust\s*\n\s*Aaron Turon", text)
    assert re.search(r"Help test Cargo.s new index protocol\s*\n\s*Eric Huss", text)
    assert re.search(r"Rust 1.0: Scheduling the trains\s*\n\s*Aaron Turon", text)
