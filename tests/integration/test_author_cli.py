"""The command line as an author meets it on a real blog (issue 20): limits that fit the machine,
check as build's dry run, early refusals, warnings one can manage, config found upward, serve."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from helpers import ROOT, RUST_BLOG, make_book, post, run_cli

LIMIT = "3000000000"     # bytes of address space: far below 75% of this machine's RAM


def default_book(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    shutil.copytree(ROOT / "content", folder / "content")
    shutil.copy(ROOT / "book.yml", folder / "book.yml")
    return folder / "book.yml"


def limited(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["prlimit", f"--as={LIMIT}", sys.executable, "-m", "compiler", *args], cwd=cwd or ROOT,
                          env={**os.environ, "NO_COLOR": "1"}, capture_output=True, text=True, timeout=600)


# --- limits that fit the machine ---------------------------------------------------------------------

def test_pdf_builds_under_an_address_space_limit(tmp_path):
    manifest = default_book(tmp_path)
    result = limited("build", str(manifest), "--format", "pdf", "-v", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "the-tech-lead-series.pdf").stat().st_size > 10_000
    assert "CB222" in result.stderr and f"{int(LIMIT) >> 20} MiB" in result.stderr   # said at -v
    assert ".chapbook-build" not in result.stderr and "Traceback" not in result.stderr


def test_a_memory_limit_above_the_one_in_force_is_a_manifest_error(tmp_path):
    manifest = default_book(tmp_path)
    data = yaml.safe_load(manifest.read_text())
    data["outputs"] = {"pdf": {"memory_limit": 8000}}
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    line = next(i for i, text in enumerate(manifest.read_text().splitlines(), 1) if "memory_limit" in text)
    result = limited("build", str(manifest), "--format", "pdf", "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert f"book.yml:{line}: outputs.pdf.memory_limit" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_no_diagnostic_names_a_staging_folder(tmp_path):
    manifest = make_book(tmp_path / "book", {"a.md": post("A", "Text ⟁ with a rare sign.\n")},
                         {"title": "T", "chapters": ["a.md"], "cover": "missing.png"})
    result = run_cli("build", str(manifest), "--format", "pdf,epub,html,docx", "-v", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "CB2" in result.stderr and ".chapbook-build" not in result.stderr


# --- arguments checked before any work ------------------------------------------------------------------

def test_an_unknown_format_is_refused_before_compiling(tmp_path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = run_cli("build", str(RUST_BLOG.parent / "no-such" / "book.yml"), "--format", "mobi")
    assert result.returncode == 2 and "manifest not found" in result.stderr   # the manifest first
    manifest = rust_book(tmp_path)
    result = run_cli("build", str(manifest), "--format", "epub,mobi", "--out", str(tmp_path / "out"))
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.returncode == 2 and "unknown output format 'mobi'" in result.stderr
    assert "warning" not in result.stderr, "nothing was compiled"
    assert (used.ru_utime + used.ru_stime) - (before.ru_utime + before.ru_stime) < 4, "two commands, 2 s each"
    assert time.perf_counter() - start < 20
    assert not (tmp_path / "out").exists()


def test_format_names_are_case_insensitive(tmp_path):
    manifest = default_book(tmp_path)
    result = run_cli("build", str(manifest), "--format", "EPUB", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["the-tech-lead-series.epub"]


# --- check is build's dry run ---------------------------------------------------------------------------

def rust_book(tmp_path: Path, **extra) -> Path:
    folder = tmp_path / "rust"
    if not (folder / "posts").exists():
        shutil.copytree(RUST_BLOG / "posts", folder / "posts")
    manifest = {"title": "Rust Blog", "site_url": "https://blog.rust-lang.org/",
                "series": {"from": "posts", "order": "date"}, "outputs": {"epub": {}, "html": {}}, **extra}
    (folder / "book.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder / "book.yml"


def as_keys(items: list[dict]) -> Counter:
    return Counter((d["code"], d["severity"], d["path"], d["line"], d["message"]) for d in items)


def compare_check_and_build(manifest: Path, out: Path, formats: str | None = None):
    args = ["--format", formats] if formats else []
    checked = run_cli("check", str(manifest), "--json", *args)
    built = run_cli("build", str(manifest), "--json", "--out", str(out), *args)
    assert built.returncode == 0, built.stderr
    return as_keys(json.loads(checked.stdout)), as_keys(json.loads(built.stdout))


def pdf_layout_only(key: tuple) -> bool:
    """What only laying out the PDF finds (README): its page count and renderer figures, the chunked
    build's summary, and characters no font has."""
    return ((key[0] == "CB220" and key[1] == "info" and "pages; renderer" in key[4]) or key[0] == "CB262"
            or (key[0] == "CB220" and "characters no font has" in key[4]))


def test_check_reports_what_build_reports_on_the_rust_blog(tmp_path):
    checked, built = compare_check_and_build(rust_book(tmp_path), tmp_path / "out")
    assert sum(built.values()) > 800 and {k[0] for k in built} >= {"CB116", "CB210", "CB104"}
    assert checked == built


@pytest.mark.parametrize("book", ["default", "hugo", "jekyll", "hexo", "features"])
def test_check_reports_what_build_reports_on_the_fixture_books(tmp_path, book):
    if book == "default":
        manifest, formats = default_book(tmp_path), None
    elif book == "features":
        posts = {"a.md": post("A", "## One\n\n![missing](nothere.png)\n\n<img src='/etc/passwd'>\n\n[b](/b)\n"),
                 "b.md": post("B", "<div><p>raw <i>html</div>\n\n## Two\n\n####### x\n\n[a](../a/#one) [nope](#nope)\n")}
        manifest, formats = make_book(tmp_path / "feat", posts), "epub,pdf,html,docx"
    else:
        shutil.copytree(ROOT / "tests" / "fixtures" / "blogs" / book, tmp_path / book)
        result = run_cli("init", str(tmp_path / book), "--all", "-q")
        assert result.returncode == 0, result.stderr
        manifest, formats = tmp_path / book / "book.yml", "epub,html,docx,pdf"
    checked, built = compare_check_and_build(manifest, tmp_path / "out", formats)
    assert checked == built - Counter({k: n for k, n in built.items() if pdf_layout_only(k)})


# --- warnings an author can manage ----------------------------------------------------------------------

def test_lint_ignore_and_a_summary_by_code_on_the_rust_blog(tmp_path):
    manifest = rust_book(tmp_path, lint={"ignore": ["CB104"], "severity": {"CB109": "info"}})
    result = run_cli("check", str(manifest))
    assert result.returncode == 0, result.stderr
    assert " CB104 " not in result.stderr and "CB109" not in result.stderr   # info: shown with -v only
    assert "Diagnostics by code" in result.stderr and "--all lists every one" in result.stderr
    shown = Counter(m[1] for m in re.finditer(r"^\S+: warning (CB\d+) ", result.stderr, re.M))
    assert shown and max(shown.values()) <= 3
    table = dict(re.findall(r"^\s*(CB\d+)\s+warning\s+(\d+)", result.stderr, re.M))
    every = run_cli("check", str(manifest), "--all")
    listed = Counter(m[1] for m in re.finditer(r"^\S+: warning (CB\d+) ", every.stderr, re.M))
    assert {c: int(n) for c, n in table.items()} == dict(listed) and sum(listed.values()) > 100
    data = json.loads(run_cli("check", str(manifest), "--json").stdout)
    assert "CB104" not in {d["code"] for d in data} and {d["severity"] for d in data if d["code"] == "CB109"} == {"info"}
    strict = run_cli("check", str(manifest), "--strict", "--ignore", "CB116,CB106", "--ignore", "CB108",
                     "--ignore", "CB107", "--ignore", "CB101,CB110,CB112,CB111,CB114,CB121,CB210,CB124,CB230")
    assert strict.returncode == 0, "--strict respects the ignores: " + strict.stderr[-2000:]


def test_lint_settings_are_checked(tmp_path):
    manifest = make_book(tmp_path / "b", {"a.md": post("A")},
                         "title: T\nchapters: [a.md]\nlint:\n  ignore: [CB100]\n  severity: {CB999: info}\n")
    result = run_cli("check", str(manifest))
    assert result.returncode == 2
    assert "book.yml:4: lint.ignore" in result.stderr and "CB100 is an error" in result.stderr
    assert "book.yml:5: lint.severity" in result.stderr and "'CB999' is not a Chapbook diagnostic code" in result.stderr
    bad = run_cli("check", str(manifest.with_name("nope.yml")), "--ignore", "CB999")
    assert bad.returncode == 2 and "--ignore" in bad.stderr


def test_report_formats_old_and_new_spellings_agree():
    outputs = [run_cli("check", *args).stdout for args in (["--json"], ["--output-format", "json"], ["--format", "json"])]
    assert outputs[0] == outputs[1] == outputs[2] and json.loads(outputs[0])
    toc = [run_cli("toc", *args).stdout for args in (["--json"], ["--format", "json"])]
    assert toc[0] == toc[1] and json.loads(toc[0])["chapters"]


def test_one_yaml_typo_is_one_error(tmp_path):
    manifest = make_book(tmp_path / "b", {"a.md": '---\ntitle: "Broken\ndate: 2024-01-01\n---\n\nText.\n',
                                          "b.md": post("B")})
    data = json.loads(run_cli("check", str(manifest), "--json").stdout)
    assert [(d["code"], d["path"]) for d in data if d["path"] == "a.md"] == [("CB113", "a.md")]


def test_help_has_no_type_placeholders():
    for command in ("build", "check", "toc", "init", "serve"):
        text = run_cli(command, "--help").stdout
        assert "<bool>" not in text and "BOOLEAN" not in text, command
    assert "--strict / --no-strict" in run_cli("build", "--help").stdout
    assert "--install-completion" in run_cli("--help").stdout


# --- finding the manifest ---------------------------------------------------------------------------

def test_build_from_a_folder_inside_the_book_finds_its_manifest(tmp_path):
    manifest = default_book(tmp_path)
    result = run_cli("build", "--format", "epub,html", cwd=manifest.parent / "content" / "posts")
    assert result.returncode == 0, result.stderr
    assert f"Using {manifest}" in result.stderr
    assert (manifest.parent / "dist" / "the-tech-lead-series.epub").is_file()
    outside = run_cli("check", cwd=tmp_path)
    assert outside.returncode == 2 and "no book.yml in this folder or in any folder above it" in outside.stderr


# --- progress, serve ------------------------------------------------------------------------------------

def test_parsing_reports_posts_done():
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    said: list[str] = []
    compile_book(load_manifest(ROOT / "book.yml"), render=False, progress=said.append)
    assert "parsing posts: 2/2" in said and "parsing posts: 1/2" in said


def test_serve_prints_its_address_before_building_the_rust_blog(tmp_path):
    manifest = rust_book(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "compiler", "serve", str(manifest), "--port", "0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    start = time.perf_counter()
    try:
        line = proc.stderr.readline()
        elapsed = time.perf_counter() - start
        assert re.match(r"Serving at http://127\.0\.0\.1:\d+/", line), line
        assert elapsed < 2.0 or os.environ.get("CHAPBOOK_SLOW_MACHINE"), f"{elapsed:.1f} s"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_ignores_scratch_files(tmp_path):
    from watchfiles import Change
    from compiler.serve.preview import BookFilter
    root = tmp_path / "book"
    watch = BookFilter([root / "dist", root / ".chapbook-cache"], [root])
    for name in ("posts/sedAb12Cd", "posts/.a.md.swp", "posts/a.md~", "posts/#a.md#", "posts/.#a.md", "4913",
                 ".pytest_cache/v/x", "pytest-cache-files-x1y2/a", "dist/book.pdf", ".chapbook-cache/pdf/x",
                 "posts/a.md.tmp"):
        assert not watch(Change.modified, str(root / name)), name
    for name in ("posts/a.md", "book.yml", "images/sedimentary.png", "theme/epub/style.css"):
        assert watch(Change.modified, str(root / name)), name


# --- init: outputs where a blog author expects them -------------------------------------------------

def test_init_keeps_outputs_out_of_git_and_out_of_the_jekyll_site(tmp_path):
    blog = tmp_path / "jekyll"
    shutil.copytree(ROOT / "tests" / "fixtures" / "blogs" / "jekyll", blog)
    (blog / ".git").mkdir()
    config_before = (blog / "_config.yml").read_text()
    result = run_cli("init", str(blog), "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "-q: no listing"
    assert {"/dist/", "/.chapbook-cache/"} <= set((blog / ".gitignore").read_text().splitlines())
    config = yaml.safe_load((blog / "_config.yml").read_text())
    assert {"dist/", ".chapbook-cache/", "book.yml"} <= set(config["exclude"])
    assert (blog / "_config.yml").read_text().startswith(config_before.rstrip("\n")[:200])   # comments kept
    again = run_cli("init", str(blog), "--force", "-q")
    assert again.returncode == 0 and (blog / ".gitignore").read_text().count("/dist/") == 1
    plain = tmp_path / "hugo"
    shutil.copytree(ROOT / "tests" / "fixtures" / "blogs" / "hugo", plain)
    assert run_cli("init", str(plain), "-q").returncode == 0
    assert not (plain / ".gitignore").exists(), "no git work tree: no .gitignore created"


def test_the_booklet_offers_the_formats_of_earlier_runs_without_a_second_copy(tmp_path):
    manifest = default_book(tmp_path)
    out = tmp_path / "out"
    first = run_cli("build", str(manifest), "--format", "epub,html", "--out", str(out))
    assert first.returncode == 0, first.stderr
    epub = out / "the-tech-lead-series.epub"
    assert (out / "html" / epub.name).stat().st_ino == epub.stat().st_ino, "a link, not a second copy"
    (out / "the-tech-lead-series.pdf").write_bytes(b"%PDF-1.7 from an earlier run " * 40)
    second = run_cli("build", str(manifest), "--format", "html", "--out", str(out))
    assert second.returncode == 0, second.stderr
    index = (out / "html" / "index.html").read_text()
    for name in ("the-tech-lead-series.epub", "the-tech-lead-series.pdf"):
        assert f'href="{name}"' in index, name
        assert (out / "html" / name).stat().st_ino == (out / name).stat().st_ino
