"""`chapbook serve` as an author uses it: a real server process, a real Chromium, real file edits.

One server runs for the module (started as `python -m compiler serve`); tests that need a server of
their own (another --host, Ctrl-C) start one. Edits are made the way an editor saves a file.
"""

from __future__ import annotations

import html
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from helpers import CHROMIUM, ROOT, make_book, post

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

FIRST = post("First Light", "## Morning\n\nThe original sentence about dawn.\n\n![A dot](dot.png)\n", date="2024-01-01")
SECOND = post("Second Wind", "## Noon\n\nA steady paragraph at noon.\n\n```python\ndef noon():\n    pass\n```\n",
              date="2024-02-01")
KEYWORD_CSS = "code span.kw {{ color: {}; }}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m compiler serve` in a subprocess, its stderr collected as it comes."""

    def __init__(self, manifest: Path, tmpdir: Path, *extra: str):
        self.port = free_port()
        self.tmpdir = tmpdir
        tmpdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "NO_COLOR": "1", "TMPDIR": str(tmpdir)}
        self.proc = subprocess.Popen([sys.executable, "-m", "compiler", "serve", str(manifest), "--port",
                                      str(self.port), *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/"

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def status(self) -> dict:
        with urllib.request.urlopen(self.url + "__chapbook/status", timeout=5) as answer:
            return json.loads(answer.read())

    def wait_built(self, build: int = 1, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve exited early:\n{self.log}"
            try:
                status = self.status()
                if status["build"] is not None and status["build"] >= build:
                    return status
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"no build {build} after {timeout} s:\n{self.log}")

    def interrupt(self, timeout: float = 20) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=timeout)
        time.sleep(0.1)  # let the reader thread take the last lines
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def save(path: Path, text: str) -> None:
    """Write the way editors do: a new file renamed over the old one."""
    tmp = path.with_name(path.name + ".tmp-save")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def get(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def chapter_url(server: Server, text: str) -> str:
    """The served page holding `text`: the index, or one of the pages it links to."""
    import re
    status, index = get(server.url)
    assert status == 200, index
    if text in index:
        return server.url
    for href in dict.fromkeys(re.findall(r'href="([^"#:]+\.html|[^"#:]+/)(?:#[^"]*)?"', index)):
        url = urllib.request.urljoin(server.url, href)
        if text in get(url)[1]:
            return url
    raise AssertionError(f"no served page contains {text!r}")


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """Two posts, an image, and a theme of the book's own that colours code keywords."""
    folder = tmp_path_factory.mktemp("serve") / "book"
    manifest = {"title": "Test Book", "authors": ["Tess Ter"], "language": "en", "theme": "look",
                "chapters": ["posts/first.md", "posts/second.md"]}
    path = make_book(folder, {"posts/first.md": FIRST, "posts/second.md": SECOND,
                              "look/theme.yml": "extends: default\n",
                              "look/common/highlight.css": KEYWORD_CSS.format("rgb(0, 0, 255)")}, manifest)
    Image.new("RGB", (10, 10), "red").save(folder / "posts" / "dot.png")
    return path


@pytest.fixture(scope="module")
def server(book: Path, tmp_path_factory):
    srv = Server(book, tmp_path_factory.mktemp("serve-tmp"))
    srv.wait_built()
    yield srv
    srv.kill()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    yield page
    context.close()


def body_text(page) -> str:
    return page.inner_text("body")


def wait_for_text(page, text: str, timeout: float = 10) -> float:
    """Seconds until the page shows `text` (polled from outside, so a page CSP cannot interfere)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if text in body_text(page):
                return time.monotonic() - start
        except playwright_sync.Error:
            pass  # the page is reloading
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not shown after {timeout} s; the page says: {body_text(page)[:300]!r}")


def test_edited_post_appears_in_the_open_page_within_two_seconds(server, book, page):
    url = chapter_url(server, "The original sentence about dawn.")
    page.goto(url)
    assert "The original sentence about dawn." in body_text(page)
    page.evaluate("() => { window.__notReloaded = true; }")
    before = server.status()["build"]
    start = time.monotonic()
    save(book.parent / "posts/first.md", FIRST.replace("The original sentence", "A rewritten sentence"))
    wait_for_text(page, "A rewritten sentence about dawn.")
    elapsed = time.monotonic() - start
    print(f"the open page changed {elapsed:.2f} s after the save")
    assert elapsed < 2.0, f"the page changed after {elapsed:.2f} s"
    assert page.evaluate("() => window.__notReloaded === undefined"), "the page was not reloaded"
    assert server.status()["build"] > before
    assert "Rebuilt" in server.log
    assert not [e for e in page.js_errors if "Content Security Policy" in e], page.js_errors


def test_reload_script_is_served_not_built(server, book):
    status, html = get(server.url)
    assert status == 200 and '<script src="/__chapbook/reload.js?build=' in html
    built = [p for p in server.tmpdir.rglob("*") if p.suffix in (".html", ".xhtml", ".htm")]
    assert built, f"no built page under {server.tmpdir}"
    for path in built:
        assert "__chapbook" not in path.read_text(encoding="utf-8"), path
    assert not (book.parent / "dist").exists(), "serve wrote into the book's dist/"


def test_broken_front_matter_shows_the_error_and_keeps_the_last_good_book(server, book, page):
    source = book.parent / "posts/second.md"
    url = chapter_url(server, "A steady paragraph at noon.")
    page.goto(url)
    good = server.status()["build"]
    save(source, "---\ntitle: Second Wind\ndescription: [unclosed\n---\n\nA broken paragraph.\n")
    overlay = page.wait_for_selector("#chapbook-error-overlay", timeout=10_000)
    message = overlay.inner_text()
    assert "posts/second.md" in message and "CB113" in message, message
    assert "A steady paragraph at noon." in body_text(page), "the last good book is no longer shown"
    assert server.status()["build"] == good and server.status()["error"]
    assert "Build failed" in server.log and "posts/second.md" in server.log
    status, html = get(url)
    assert status == 200 and "A steady paragraph at noon." in html and "A broken paragraph." not in html

    save(source, SECOND.replace("A steady paragraph", "A repaired paragraph"))
    wait_for_text(page, "A repaired paragraph at noon.")
    assert page.query_selector("#chapbook-error-overlay") is None
    assert server.status()["error"] is None


def test_theme_change_restyles_without_recompiling(server, book, page):
    page.goto(chapter_url(server, "paragraph at noon."))  # the page of the post with code
    colour = "() => getComputedStyle(document.querySelector('code span.kw')).color"
    assert page.evaluate(colour) == "rgb(0, 0, 255)"
    save(book.parent / "look/common/highlight.css", KEYWORD_CSS.format("rgb(0, 128, 0)"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if page.evaluate(colour) == "rgb(0, 128, 0)":
                break
        except playwright_sync.Error:
            pass  # reloading
        time.sleep(0.05)
    assert page.evaluate(colour) == "rgb(0, 128, 0)"
    assert "Restyled" in server.log and "look/common/highlight.css" in server.log


def test_image_change_shows(server, book, page):
    page.goto(chapter_url(server, "sentence about dawn."))  # the page with the image
    width = "() => document.querySelector('img[alt=\"A dot\"]').naturalWidth"
    assert page.evaluate(width) == 10
    Image.new("RGB", (30, 10), "blue").save(book.parent / "posts" / "dot.png")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if page.evaluate(width) == 30:
                break
        except playwright_sync.Error:
            pass
        time.sleep(0.05)
    assert page.evaluate(width) == 30


def _listening(port: int) -> set[str]:
    """Local addresses of LISTEN sockets on `port`, from /proc/net/tcp and tcp6 (hex, as the kernel writes)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:
                found.add(address)
    return found


def _external_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_listens_on_loopback_only(server):
    assert _listening(server.port) == {"0100007F"}  # 127.0.0.1
    external = _external_address()
    if external:
        with pytest.raises(OSError):
            socket.create_connection((external, server.port), timeout=2).close()
    status, _ = get(server.url, host="attacker.example:80")
    assert status == 403, "a foreign Host header (DNS rebinding) must be refused"


def test_host_option_listens_where_told(book, tmp_path):
    srv = Server(book, tmp_path / "tmp", "--host", "0.0.0.0")
    try:
        srv.wait_built()
        assert _listening(srv.port) == {"00000000"}
        assert "anyone who can reach this machine" in srv.log
    finally:
        srv.kill()


def test_ctrl_c_stops_cleanly(book, tmp_path):
    srv = Server(book, tmp_path / "tmp")
    srv.wait_built()
    assert list(srv.tmpdir.glob("chapbook-serve-*")), "builds should go to a temporary folder"
    code = srv.interrupt()
    assert code == 0, srv.log
    assert "Traceback" not in srv.log and "Stopped." in srv.log, srv.log
    assert not list(srv.tmpdir.glob("chapbook-serve-*")), "the temporary builds were left behind"


def test_reload_script_runs_under_a_strict_csp(browser, tmp_path):
    """Built pages may forbid scripts (CSP in a meta tag): the served copy still gets live reload."""
    from compiler.serve.builder import Site
    from compiler.serve.server import PreviewServer, State
    folder = tmp_path / "site"
    folder.mkdir()
    csp = "default-src 'none'; style-src 'self'; img-src 'self'"
    escaped = html.escape(csp, quote=True)  # as Jinja writes it: &#x27;none&#x27;
    (folder / "index.html").write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8">'
                                       f'<meta http-equiv="Content-Security-Policy" content="{escaped}">'
                                       "<title>t</title></head><body><p>first version</p></body></html>", encoding="utf-8")
    state = State()
    state.publish(Site(folder.resolve(), "index.html", 1))
    srv = PreviewServer("127.0.0.1", 0, state)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        blocked: list[str] = []
        page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
        page.goto(f"http://127.0.0.1:{srv.server_address[1]}/")
        state.fail("posts/x.md:3: error CB113 front matter cannot be parsed")
        overlay = page.wait_for_selector("#chapbook-error-overlay", timeout=5_000)
        assert "CB113" in overlay.inner_text()
        (folder / "index.html").write_text((folder / "index.html").read_text().replace("first version", "second version"))
        state.publish(Site(folder.resolve(), "index.html", 2))
        wait_for_text(page, "second version")
        assert page.query_selector("#chapbook-error-overlay") is None
        assert not blocked, blocked
        assert escaped in (folder / "index.html").read_text(), "the built file must stay as built"
    finally:
        context.close()
        srv.shutdown()
        srv.server_close()
