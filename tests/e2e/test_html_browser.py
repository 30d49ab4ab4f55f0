"""The HTML book in a real Chromium (Debian's, driven by Playwright): served from a local
http.server on 127.0.0.1, and opened from disk with file://.

Every page is crawled from the index: no console error, no failed request, every internal link and
anchor resolves. Search, the colour-scheme toggle, the contents toggle and a 360 px phone width are
exercised as a reader would; axe-core checks accessibility. Each book is built once per module.

Set CHAPBOOK_HTML_CRAWL to a book.yml (for instance a copy of the Rust blog corpus) to crawl
that book too.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from helpers import CHROMIUM, ROOT, compile_manifest, make_book, post, run_cli

playwright_sync = pytest.importorskip("playwright.sync_api")
AXE = ROOT / "tests/.tools/node_modules/axe-core/axe.min.js"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

UNIQUE = "quizzaciously"          # in chapter two only
LONG_URL = "https://example.com/" + "a-very-long-path-segment-" * 8
FIRST = post("First Light", f"""
    Opening words.

    ## Morning

    Read [the second chapter](/second-wind) or [its noon](/second-wind#noon).[^1]
    A long link: <{LONG_URL}>.

    ![A tiny square](square.png)

    ```python
    def a_function_with_a_rather_long_name(first_argument, second_argument, third_argument, fourth):
        return first_argument + second_argument + third_argument + fourth  # and a trailing comment
    ```

    | Column one | Column two | Column three | Column four | Column five | Column six | Column seven |
    |------------|------------|--------------|-------------|-------------|------------|--------------|
    | some value | some value | some value   | some value  | some value  | some value | some value   |

    [^1]: A footnote that links back.
    """, date="2024-01-01")
SECOND = post("Second Wind", f"""
    The second chapter.

    ## Noon

    A steady paragraph with the word {UNIQUE} in it.
    """, date="2024-02-01", description="The second chapter.")
THIRD = post("Third Time", "## Evening\n\nThe last chapter.\n", date="2024-03-01")


def square_png() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x33\x66\x99" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def build_fixture(folder: Path, mode: str = "site") -> Path:
    """The fixture book, built in-process with dummy EPUB and PDF files as this run's other outputs."""
    from compiler.backends import BuildContext
    from compiler.backends.html import HtmlBackend, HtmlOptions
    from compiler.load.theme import load_theme

    manifest = make_book(folder / "book", {"posts/first.md": FIRST, "posts/second-wind.md": SECOND,
                                           "posts/third.md": THIRD},
                         {"title": "Browser Book", "authors": ["Tess Ter"], "language": "en",
                          "description": "A book read by a real browser.",
                          "chapters": ["posts/first.md", "posts/second-wind.md", "posts/third.md"]})
    (folder / "book/posts/square.png").write_bytes(square_png())
    book, _ = compile_manifest(manifest)
    out = folder / "out"
    out.mkdir()
    (out / "browser-book.epub").write_bytes(b"PK epub stand-in")
    (out / "browser-book.pdf").write_bytes(b"%PDF pdf stand-in")
    ctx = BuildContext(out_dir=out, theme=load_theme("default", book.root), formats=("epub", "pdf", "html"),
                       outputs={"epub": [out / "browser-book.epub"], "pdf": [out / "browser-book.pdf"]})
    [html] = HtmlBackend().build(book, HtmlOptions(mode=mode), ctx)
    return html


class Served:
    """A folder served by http.server on 127.0.0.1 from a thread."""

    def __init__(self, folder: Path):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass
        handler = functools.partial(Quiet, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = build_fixture(tmp_path_factory.mktemp("site"))
    served = Served(folder)
    yield folder, served.url
    served.close()


@pytest.fixture(scope="module")
def default_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    result = run_cli("build", str(ROOT / "book.yml"), "--format", "html", "--out", str(out))
    assert result.returncode == 0, result.stderr
    served = Served(out / "html")
    yield out / "html", served.url
    served.close()


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("single"), mode="single") / "browser-book.html"


class Watch:
    """Console errors, uncaught exceptions and failed requests of one page."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"exception: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))


def crawl(browser, start: str) -> dict:
    """Open every page reachable from `start`; return problems, broken links and the pages seen."""
    page = browser.new_page()
    watch = Watch(page)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start))
    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str]] = []
    queue, seen, downloads = deque([start]), {start}, set()
    while queue:
        url = queue.popleft()
        page.goto(url, wait_until="load")
        ids[url] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            if not href.startswith(origin):
                continue
            target, fragment = urldefrag(href)
            if not target.endswith(".html") and not target.endswith("/"):
                downloads.add(target)
                continue
            links.append((url, href))
            if target not in seen:
                seen.add(target)
                queue.append(target)
    for target in sorted(downloads):
        response = page.request.get(target)
        if response.status != 200:
            watch.problems.append(f"download {target}: HTTP {response.status}")
    page.close()
    broken = []
    for source, href in links:
        target, fragment = urldefrag(href)
        if target not in ids:
            broken.append((source, href, "page not found"))
        elif fragment and unquote(fragment) not in ids[target]:
            broken.append((source, href, "no such id"))
    return {"problems": watch.problems, "broken": broken, "pages": sorted(seen), "downloads": sorted(downloads)}


# --- loading and links ------------------------------------------------------------------------------

def test_every_page_loads_cleanly_and_every_link_resolves(browser, site):
    folder, url = site
    result = crawl(browser, url + "index.html")
    assert result["problems"] == []
    assert result["broken"] == []
    assert len(result["pages"]) == 4, "index and three chapters"
    assert [d.rsplit("/", 1)[1] for d in result["downloads"]] == ["browser-book.epub", "browser-book.pdf"]


def test_the_default_book_loads_cleanly_and_every_link_resolves(browser, default_site):
    _, url = default_site
    result = crawl(browser, url)
    assert result["problems"] == [] and result["broken"] == []
    assert len(result["pages"]) >= 3


def test_download_links_serve_the_files_of_the_same_build(browser, site):
    folder, url = site
    page = browser.new_page()
    page.goto(url + "first.html")
    hrefs = page.eval_on_selector_all("#cb-toc a[download]", "els => els.map(a => a.getAttribute('href'))")
    assert hrefs == ["browser-book.epub", "browser-book.pdf"]
    for href in hrefs:
        assert page.request.get(url + href).body() == (folder.parent / href).read_bytes()
    page.close()


@pytest.mark.skipif(not os.environ.get("CHAPBOOK_HTML_CRAWL"), reason="set CHAPBOOK_HTML_CRAWL=<book.yml> to crawl a big book")
def test_a_big_book_crawls_cleanly(browser, tmp_path):
    result = run_cli("build", os.environ["CHAPBOOK_HTML_CRAWL"], "--format", "html", "--out", str(tmp_path))
    assert (tmp_path / "html/index.html").exists(), result.stderr
    served = Served(tmp_path / "html")
    try:
        crawled = crawl(browser, served.url + "index.html")
    finally:
        served.close()
    assert crawled["problems"] == [] and crawled["broken"] == []


# --- reading ------------------------------------------------------------------------------------------

def test_search_finds_the_chapter_with_the_word_and_the_result_lands_on_it(browser, site):
    _, url = site
    page = browser.new_page()
    watch = Watch(page)
    page.goto(url + "index.html")
    page.fill("#cb-search-input", UNIQUE)
    results = page.locator("#cb-search-results a")
    results.first.wait_for()
    assert results.count() == 1
    assert results.first.get_attribute("href") == "second-wind.html#second-wind--noon"
    assert "Second Wind" in results.first.inner_text()
    assert page.locator("#cb-search-results mark").first.inner_text().lower() == UNIQUE
    results.first.click()
    page.wait_for_url("**/second-wind.html#second-wind--noon")
    assert page.locator("#second-wind--noon").is_visible()
    assert page.evaluate("document.querySelector('#second-wind--noon').getBoundingClientRect().top") < 200
    assert watch.problems == []
    page.close()


def test_search_says_so_when_nothing_matches(browser, site):
    _, url = site
    page = browser.new_page()
    page.goto(url + "first.html")
    page.fill("#cb-search-input", "xylophonically")
    page.locator("#cb-search-results .search-status").wait_for()
    assert "No results" in page.inner_text("#cb-search-results")
    assert page.locator("#cb-search-results a").count() == 0
    page.keyboard.press("Escape")
    assert page.locator("#cb-search-results").is_hidden()
    page.close()


def background_is_dark(page) -> bool:
    rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return (r + g + b) / 3 < 80


def test_dark_toggle_switches_and_is_remembered(browser, site):
    _, url = site
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    watch = Watch(page)
    page.goto(url + "first.html")
    toggle = page.locator("#cb-theme-toggle")
    assert not background_is_dark(page) and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert page.get_attribute("html", "data-theme") == "dark" and background_is_dark(page)
    assert toggle.get_attribute("aria-pressed") == "true"
    page.goto(url + "second-wind.html")
    assert background_is_dark(page), "the choice is remembered on the next page"
    page.locator("#cb-theme-toggle").click()
    assert not background_is_dark(page)
    assert watch.problems == []
    context.close()


def test_dark_by_system_preference_and_toggle_back_to_light(browser, site):
    _, url = site
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(url + "index.html")
    assert background_is_dark(page)
    assert page.evaluate("getComputedStyle(document.querySelector('code span.kw') || document.body).color") \
        is not None
    page.locator("#cb-theme-toggle").click()
    assert not background_is_dark(page)
    context.close()


def test_phone_width_never_scrolls_sideways_and_contents_toggle(browser, site):
    folder, url = site
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    for path in sorted(folder.glob("*.html")):
        page.goto(url + path.name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path.name} is {width}px wide"
    page.goto(url + "first.html")
    toc, button = page.locator("#cb-toc"), page.locator("#cb-toc-toggle")
    assert toc.is_hidden() and button.is_visible()
    button.click()
    assert toc.is_visible() and button.get_attribute("aria-expanded") == "true"
    assert page.locator("#cb-toc a[aria-current='page']").inner_text() == "First Light"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Escape")
    assert toc.is_hidden()
    context.close()


def test_desktop_shows_contents_beside_the_text(browser, site):
    _, url = site
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(url + "second-wind.html")
    assert page.locator("#cb-toc").is_visible() and page.locator("#cb-toc-toggle").is_hidden()
    toc_box, main_box = page.locator("#cb-toc").bounding_box(), page.locator("main").bounding_box()
    assert toc_box["x"] + toc_box["width"] <= main_box["x"] + 1
    text_width = page.evaluate("document.querySelector('article p').getBoundingClientRect().width")
    assert 400 < text_width < 760, "a readable line length"
    context.close()


def test_footnote_links_both_ways(browser, site):
    _, url = site
    page = browser.new_page()
    page.goto(url + "first.html")
    page.click("a.footnote-ref")
    assert page.url.endswith("#first--fn1")
    page.click("#first--fn1 a.footnote-back")
    assert page.url.endswith("#first--fnref1")
    page.close()


# --- file:// ---------------------------------------------------------------------------------------------

def test_site_works_from_disk(browser, site):
    folder, _ = site
    page = browser.new_page()
    watch = Watch(page)
    page.goto((folder / "index.html").as_uri())
    page.locator("#cb-theme-toggle").click()
    assert page.get_attribute("html", "data-theme") == "dark"
    page.fill("#cb-search-input", UNIQUE)
    page.locator("#cb-search-results a").first.click()
    page.wait_for_url("**/second-wind.html#second-wind--noon")
    assert watch.problems == []
    page.close()


def test_single_file_works_from_disk(browser, single):
    page = browser.new_page()
    watch = Watch(page)
    page.goto(single.as_uri())
    assert page.locator("article h1").all_inner_texts() == ["First Light", "Second Wind", "Third Time"]
    page.fill("#cb-search-input", UNIQUE)
    result = page.locator("#cb-search-results a").first
    result.wait_for()
    assert result.get_attribute("href") == "#second-wind--noon"
    result.click()
    assert page.url.endswith("#second-wind--noon")
    assert page.evaluate("document.querySelector('#second-wind--noon').getBoundingClientRect().top") < 200
    page.locator("#cb-theme-toggle").click()
    assert background_is_dark(page)
    assert page.evaluate("document.images[0].naturalWidth") == 8
    assert watch.problems == []
    page.close()


# --- accessibility ------------------------------------------------------------------------------------------

@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed")
@pytest.mark.parametrize("scheme, width", [("light", 1280), ("dark", 360)])
def test_axe_finds_no_violation_of_any_impact(browser, site, default_site, scheme, width):
    """Every page of both books, at a desktop width in the light scheme and a phone width in the dark
    one: axe-core's rules at every impact (minor and moderate too), not only serious and critical."""
    context = browser.new_context(bypass_csp=True, color_scheme=scheme,   # axe is injected inline
                                  viewport={"width": width, "height": 800})
    page = context.new_page()
    found, pages = [], 0
    for folder, url in (site, default_site):
        for path in sorted(folder.glob("*.html")):
            page.goto(url + path.name)
            assert page.evaluate("window.matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            assert page.evaluate("document.documentElement.clientWidth") <= width
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate("async () => (await axe.run(document)).violations"
                                       ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,"
                                       " target: v.nodes[0].target.join(' ')}))")
            found += [(path.name, v) for v in violations]
            pages += 1
    assert pages >= 6 and found == []
    context.close()
