"""The build cache (issue 12): a rebuild is never stale. For each kind of input, the output of the
build that used the cache is byte-identical to a cold build of the same inputs with --no-cache."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT, run_cli

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
FORMATS = "epub,html,docx"


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    shutil.copytree(ROOT / "content", folder / "content")
    (folder / "content" / "posts" / "img.png").write_bytes((ROOT / "tests/fixtures/blogs/hexo/source/_posts/hello-world/pic.png").read_bytes())
    posts = folder / "content" / "posts"
    (posts / "third.md").write_text("---\ntitle: Third\ndate: 2025-09-01\ntags: [tech-lead]\ndescription: d\n---\n\n"
                                    "## Links\n\nSee [the owning section](/working-effectively-with-product-managers#owning-the-how-partnering-on-the-what).\n\n"
                                    "![a picture](img.png) ![later](later.png)\n\nOn the blog: "
                                    "[the post](https://blog.example.com/2024/01/01/working-with-product-managers/).\n")
    theme = folder / "mytheme"
    (theme / "html").mkdir(parents=True)
    (theme / "theme.yml").write_text("extends: default\n")
    (theme / "html" / "theme.css").write_text("body { letter-spacing: 0.01em; }\n")
    shutil.copy(ROOT / "themes/default/html/toc.html.j2", theme / "html" / "toc.html.j2")
    manifest = re.sub(r"(?m)^theme: .*$", "theme: mytheme", (ROOT / "book.yml").read_text())
    assert "theme: mytheme" in manifest
    (folder / "book.yml").write_text(manifest)
    return folder


def build(folder: Path, out: Path, *extra: str, formats: str = FORMATS) -> subprocess.CompletedProcess:
    result = run_cli("build", str(folder / "book.yml"), "--format", formats, "--out", str(out), *extra, env=EPOCH)
    assert result.returncode == 0, result.stderr
    return result


def assert_fresh(folder: Path, tmp_path: Path, formats: str = FORMATS) -> None:
    warm = build(folder, folder / "dist", "--json", formats=formats)
    assert "Nothing changed" not in warm.stderr
    cold_run = build(folder, tmp_path / "cold", "--no-cache", "--json", formats=formats)
    cold, warm_files = outputs(tmp_path / "cold"), outputs(folder / "dist")
    assert cold and {name: warm_files.get(name) for name in cold} == cold   # a renamed book leaves old files beside
    assert report(warm) == report(cold_run)   # the same report, line for line


MEASURED = {"CB220", "CB262"}   # the PDF renderer's info: its time, memory and output path


def report(run: subprocess.CompletedProcess) -> list[dict]:
    return [d for d in json.loads(run.stdout) if not (d["severity"] == "info" and d["code"] in MEASURED)]


def memo_entries(folder: Path, kind: str) -> dict[str, int]:
    """The build cache's stored results of one kind (compiler/build/memo.py): file name -> mtime."""
    return {p.name: p.stat().st_mtime_ns for p in (folder / ".chapbook-cache" / "memo").glob(f"*/{kind}/*/*")}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


POST = "content/posts/working-effectively-with-product-managers.md"
CHANGES = {
    "post text": lambda f: edit(f / POST, "product", "PRODUCT"),
    "front matter": lambda f: edit(f / POST, "title:", "description: now described\ntitle:"),
    "post added": lambda f: (f / "content/posts/fourth.md").write_text("---\ntitle: Fourth\ndate: 2025-10-01\ntags: [tech-lead]\n---\n\nNew.\n"),
    "post removed": lambda f: (f / "content/posts/third.md").unlink(),
    "heading renamed that another post links to": lambda f: edit(f / POST, "Owning the How, Partnering on the What", "Owning the How"),
    "manifest": lambda f: edit(f / "book.yml", "title: The Tech Lead Series", "title: The Tech Lead Book"),
    "theme css": lambda f: (f / "mytheme/html/theme.css").write_text("body { letter-spacing: 0.02em; }\n"),
    "template": lambda f: edit(f / "mytheme/html/toc.html.j2", "<nav", "<!-- edited --><nav"),
    "image": lambda f: (f / "content/posts/img.png").write_bytes((ROOT / "tests/fixtures/blogs/jekyll/assets/img/diagram.png").read_bytes()),
    "image removed": lambda f: (f / "content/posts/img.png").unlink(),
    "image a post names added": lambda f: (f / "content/posts/later.png").write_bytes((ROOT / "tests/fixtures/blogs/jekyll/assets/img/diagram.png").read_bytes()),
    "boilerplate rule": lambda f: edit(f / "book.yml", 'starts_with: "This post is part of"', 'starts_with: "This post"'),
    "language": lambda f: edit(f / "book.yml", "language: en-GB", "language: fr"),
}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_an_incremental_build_equals_a_cold_one(book, tmp_path, kind):
    build(book, book / "dist")
    CHANGES[kind](book)
    assert_fresh(book, tmp_path)


def test_an_edit_parses_and_renders_only_that_post_again(book, tmp_path):
    """The memo is used: after an edit of one post's text, only its parse and its chapter are new;
    the other posts' entries are kept as they were (not rewritten, not pruned)."""
    build(book, book / "dist")
    posts, chapters = memo_entries(book, "post"), memo_entries(book, "chapter")
    assert len(posts) == len(chapters) == 3
    edit(book / POST, "product", "PRODUCT")
    assert_fresh(book, tmp_path)
    posts_after, chapters_after = memo_entries(book, "post"), memo_entries(book, "chapter")
    assert len(posts_after) == len(chapters_after) == 3
    assert len(set(posts_after.items()) - set(posts.items())) == 1
    assert len(set(chapters_after.items()) - set(chapters.items())) == 1
    edit(book / POST, "Owning the How, Partnering on the What", "Owning the How")
    assert_fresh(book, tmp_path / "again")
    renamed = memo_entries(book, "chapter")   # the renamed post and third.md, which links to the heading
    assert len(set(renamed.items()) - set(chapters_after.items())) == 2


def test_a_page_template_that_shows_the_build_time_is_made_again(book, tmp_path):
    """Pages are kept without the build time in their key, unless a template names it."""
    edit(book / "mytheme/html/toc.html.j2", "<nav", "<!-- built {{ book.meta.modified }} --><nav")
    build(book, book / "dist", formats="html")
    later = {"SOURCE_DATE_EPOCH": "1800000000"}
    for out, extra in ((book / "dist", ()), (tmp_path / "cold", ("--no-cache",))):
        result = run_cli("build", str(book / "book.yml"), "--format", "html", "--out", str(out), *extra, env=later)
        assert result.returncode == 0, result.stderr
    assert outputs(book / "dist") == outputs(tmp_path / "cold")
    assert "built 2027-01-15" in (book / "dist/html/third.html").read_text()


def test_incremental_pdf_equals_a_cold_one(book, tmp_path):
    build(book, book / "dist", formats="pdf")
    CHANGES["heading renamed that another post links to"](book)
    assert_fresh(book, tmp_path, formats="pdf")


def test_nothing_changed_rewrites_nothing_and_force_rebuilds(book, tmp_path):
    build(book, book / "dist")
    before = {p: p.stat().st_mtime_ns for p in (book / "dist").rglob("*")}
    os.utime(book / POST)                      # touched, not changed: compared by content
    again = build(book, book / "dist")
    assert "Nothing changed since the last build" in again.stderr and "CB111" in again.stderr   # the report repeated
    assert {p: p.stat().st_mtime_ns for p in (book / "dist").rglob("*")} == before
    forced = build(book, book / "dist", "--force")
    assert "Nothing changed" not in forced.stderr
    elsewhere = build(book, tmp_path / "other")
    assert "Nothing changed" not in elsewhere.stderr, "another --out is another build"
    (book / "dist" / "the-tech-lead-series.epub").write_bytes(b"damaged by hand")
    repaired = build(book, book / "dist")
    assert "Nothing changed" not in repaired.stderr and (book / "dist/the-tech-lead-series.epub").stat().st_size > 10_000


def test_check_on_an_unchanged_book_repeats_its_report(book):
    first = run_cli("check", str(book / "book.yml"), "--json")
    start = time.perf_counter()
    second = run_cli("check", str(book / "book.yml"), "--json")
    assert second.stdout == first.stdout and second.returncode == first.returncode
    assert list((book / ".chapbook-cache" / "stamps").glob("check-*.json"))
    edit(book / POST, "product", "PRODUCT")
    assert run_cli("check", str(book / "book.yml"), "--json").stdout == first.stdout   # same problems, recomputed
    assert time.perf_counter() - start < 120


@pytest.mark.parametrize("damage", [lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
                                    lambda p: p.write_bytes(os.urandom(200))], ids=["truncated", "garbage"])
def test_a_damaged_entry_is_ignored_and_said(book, tmp_path, damage):
    build(book, book / "dist")
    entries = [p for p in (book / ".chapbook-cache").rglob("*") if p.is_file()]
    assert len(entries) >= 5
    for entry in entries:
        damage(entry)
    result = build(book, book / "dist", "-v")
    assert "CB145" in result.stderr and "Traceback" not in result.stderr
    build(book, tmp_path / "cold", "--no-cache")
    assert outputs(book / "dist") == outputs(tmp_path / "cold")


def test_a_killed_build_leaves_a_cache_the_next_build_can_use(book, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "compiler", "build", str(book / "book.yml"), "--format", "epub,html,pdf",
                             "--out", str(book / "dist")], env={**os.environ, **EPOCH}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(4)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    published = book / "dist" / "the-tech-lead-series.pdf"   # on a fast machine the build may have finished:
    if published.is_file():                                  # the cold build then sees the same folder
        (tmp_path / "cold").mkdir()
        shutil.copy2(published, tmp_path / "cold" / published.name)
    build(book, book / "dist")
    build(book, tmp_path / "cold", "--no-cache")
    assert outputs(book / "dist") == outputs(tmp_path / "cold")


def test_clean_removes_the_cache_and_the_outputs(book):
    build(book, book / "dist")
    result = run_cli("clean", str(book / "book.yml"))
    assert result.returncode == 0 and not (book / ".chapbook-cache").exists() and not (book / "dist").exists()


def test_the_cache_folder_is_git_ignored_here():
    assert "/.chapbook-cache/" in (ROOT / ".gitignore").read_text().splitlines()
