"""Issue 13, hardening round 2: nothing left behind, nothing lost, every bad input a clear answer.

Each test builds small hostile books of its own and runs the real command (pandoc, WeasyPrint,
EPUBCheck and the Nu checker where a book builds).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, make_book, post, run_cli


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
    manifest = make_book(book_dir, {"a.md": post(body="[" * 20000 + "\n"), "b.md": post("B")},
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
    assert left.strip() == "", left   # no pandoc or renderer left running
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
