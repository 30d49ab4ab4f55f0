"""Backends are plugins: a third-party package registers exactly like the built-ins.

Proved twice: a small plain-text backend in its own package (tests/plugins/chapbook-plaintext,
installed here with pip into the running interpreter and uninstalled afterwards), and the built-in
DOCX backend, whose output is read back with pandoc and python-docx.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pypandoc
import pytest
from PIL import Image

from helpers import ROOT, compile_manifest, make_book, post, run_cli

PLUGIN = ROOT / "tests" / "plugins" / "chapbook-plaintext"
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z

ALPHA = post("Alpha Beginnings", """
    ## Setting out

    The first chapter starts here.[^n] See [the last chapter](/gamma) for the end.

    ![A red square](red.png)

    [^n]: A footnote about beginnings.
    """, date="2024-01-01", tags=["craft"])
BETA = post("Beta Middle Ground", """
    ## Getting lost

    ```python
    print("middle")
    ```

    ### Deeper still

    Still in the middle.
    """, date="2024-02-01")
GAMMA = post("Gamma Last Words", "The end, at last.\n", date="2024-03-01", slug="gamma")


def write_book(folder: Path, outputs: dict | None = None) -> Path:
    manifest = {
        "title": "Plugin Proof", "subtitle": "A book built by every backend", "authors": ["Ada One", "Bo Two"],
        "language": "en-GB", "date": "2024-04-05", "description": "Three short chapters.",
        "parts": [{"title": "Part One", "chapters": ["posts/alpha.md", "posts/beta.md"]},
                  {"title": "Part Two", "chapters": ["posts/gamma.md"]}],
        "outputs": outputs or {},
    }
    path = make_book(folder, {"posts/alpha.md": ALPHA, "posts/beta.md": BETA, "posts/gamma.md": GAMMA}, manifest)
    Image.new("RGB", (24, 12), (200, 0, 0)).save(folder / "posts" / "red.png")
    return path


# --- the third-party plugin ------------------------------------------------------------------------

def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def plaintext_plugin(tmp_path_factory):
    """pip-install the plugin (a copy, so the build leaves nothing in the repository); remove it after."""
    source = tmp_path_factory.mktemp("plugin") / "chapbook-plaintext"
    shutil.copytree(PLUGIN, source)
    done = pip("install", "--no-deps", "--quiet", str(source))  # setuptools comes from pip's own configuration
    assert done.returncode == 0, done.stderr
    yield "chapbook-plaintext"
    pip("uninstall", "--yes", "--quiet", "chapbook-plaintext")


@pytest.fixture(scope="module")
def plaintext_build(plaintext_plugin, tmp_path_factory):
    folder = tmp_path_factory.mktemp("plain") / "book"
    manifest = write_book(folder, {"plaintext": {"width": 40}})
    result = run_cli("build", str(manifest), "--format", "plaintext")
    return folder, result


def test_plugin_is_listed_with_its_package_and_version(plaintext_plugin):
    result = run_cli("backends", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["plaintext"]["package"] == "chapbook-plaintext"
    assert rows["plaintext"]["version"] == "0.3.1"
    assert rows["plaintext"]["object"] == "chapbook_plaintext:PlaintextBackend"
    assert rows["plaintext"]["loads"] is True
    text = run_cli("backends").stdout
    assert any(line.split()[:3] == ["plaintext", "chapbook-plaintext", "0.3.1"] for line in text.splitlines()), text


def test_builtins_register_through_the_same_entry_point_group(plaintext_plugin):
    rows = {row["name"]: row for row in json.loads(run_cli("backends", "--format", "json").stdout)}
    for name in ("html", "epub", "pdf", "docx"):
        assert rows[name]["package"] == "chapbook", rows[name]
        assert rows[name]["object"].startswith(f"compiler.backends.{name}"), rows[name]
    assert rows["docx"]["loads"] and rows["plaintext"]["loads"]


def test_plugin_builds_the_book_with_its_options(plaintext_build):
    folder, result = plaintext_build
    assert result.returncode == 0, result.stderr
    text = (folder / "dist" / "plugin-proof.txt").read_text(encoding="utf-8")
    for title in ("Plugin Proof", "Alpha Beginnings", "Beta Middle Ground", "Gamma Last Words", "Setting out"):
        assert title in text.splitlines(), title
    assert "The first chapter starts here." in text
    assert max(len(line) for line in text.splitlines() if not line.startswith("    ")) <= 40
    assert "posts/alpha.md" in result.stderr and "CB290" in result.stderr  # the plugin's own diagnostic


def test_plugin_options_are_validated_by_its_model(plaintext_plugin, tmp_path):
    manifest = write_book(tmp_path / "book", {"plaintext": {"width": 40, "colour": "red"}})
    result = run_cli("build", str(manifest), "--format", "plaintext")
    assert result.returncode == 2
    assert "outputs.plaintext.colour" in result.stderr and "unknown key" in result.stderr


def test_broken_plugin_is_reported_not_raised(plaintext_plugin, tmp_path):
    """A plugin whose entry point cannot load: listed as broken, and a clear error when built."""
    site = tmp_path / "site"
    dist = site / "chapbook_broken-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: chapbook-broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[chapbook.backends]\nbroken = chapbook_missing_module:Nope\n")
    env = {"PYTHONPATH": str(site)}
    listing = run_cli("backends", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "broken" in listing.stdout and "BROKEN: ModuleNotFoundError" in listing.stdout
    manifest = write_book(tmp_path / "book")
    result = run_cli("build", str(manifest), "--format", "broken", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "backend 'broken'" in result.stderr and "cannot be loaded" in result.stderr


# --- DOCX, the extra built-in ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def docx_build(tmp_path_factory):
    """The book built twice with SOURCE_DATE_EPOCH (for byte-identity), plus its warnings."""
    folder = tmp_path_factory.mktemp("docx") / "book"
    manifest = write_book(folder, {"docx": {"toc": True}})
    results = [run_cli("build", str(manifest), "--format", "docx", "--out", str(folder / out),
                       env={"SOURCE_DATE_EPOCH": EPOCH}) for out in ("one", "two")]
    return folder, results


def test_docx_is_reproducible(docx_build):
    folder, results = docx_build
    assert all(r.returncode == 0 for r in results), results[0].stderr
    first, second = (folder / out / "plugin-proof.docx" for out in ("one", "two"))
    assert first.read_bytes() == second.read_bytes()


def test_docx_reads_back_through_pandoc_with_every_chapter(docx_build):
    folder, _ = docx_build
    text = pypandoc.convert_file(str(folder / "one" / "plugin-proof.docx"), "plain", format="docx", extra_args=["--standalone"])
    for needle in ("Plugin Proof", "Part One", "Part Two", "Alpha Beginnings", "Beta Middle Ground",
                   "Gamma Last Words", "The first chapter starts here.", "A footnote about beginnings.",
                   'print("middle")', "The end, at last."):
        assert needle in text, needle


def test_docx_headings_and_core_properties_in_python_docx(docx_build):
    folder, _ = docx_build
    document = docx.Document(str(folder / "one" / "plugin-proof.docx"))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "Part One"), ("Heading 2", "Alpha Beginnings"), ("Heading 3", "Setting out"),
        ("Heading 2", "Beta Middle Ground"), ("Heading 3", "Getting lost"), ("Heading 4", "Deeper still"),
        ("Heading 1", "Part Two"), ("Heading 2", "Gamma Last Words"),
    ]
    props = document.core_properties
    assert props.title == "Plugin Proof"
    assert props.author == "Ada One; Bo Two"
    assert props.language == "en-GB"
    assert props.created.isoformat() == "2024-04-05T00:00:00+00:00"
    assert props.modified.isoformat() == "2023-11-14T22:13:20+00:00"
    assert props.keywords == "craft"


def test_docx_keeps_footnotes_links_images_and_toc(docx_build):
    folder, _ = docx_build
    with zipfile.ZipFile(folder / "one" / "plugin-proof.docx") as z:
        names = z.namelist()
        document = z.read("word/document.xml").decode()
        footnotes = z.read("word/footnotes.xml").decode()
        media = [n for n in names if n.startswith("word/media/")]
        assert len(media) == 1
        image = Image.open(io.BytesIO(z.read(media[0])))
    assert image.size == (24, 12) and image.getpixel((0, 0))[:3] == (200, 0, 0)
    assert "A footnote about beginnings." in footnotes
    assert 'w:anchor="gamma"' in document and 'w:name="gamma"' in document  # the in-book link and its target
    assert "TOC \\o" in document  # outputs.docx.toc


def test_docx_pandoc_reads_no_file_outside_the_book(tmp_path):
    """Defence in depth: an image target naming any file (not an asset) never reaches pandoc's disk access."""
    from compiler.backends import BuildContext
    from compiler.backends.docx import DocxBackend, DocxOptions
    from compiler.load.theme import load_theme

    secret = tmp_path / "secret.png"
    Image.new("RGB", (7, 7), (0, 0, 255)).save(secret)
    manifest = write_book(tmp_path / "book")
    book, _ = compile_manifest(manifest)
    first = book.parts[0].chapters[0]
    sneaky = [{"t": "Para", "c": [{"t": "Image", "c": [["", [], []], [], [target, ""]]}]}
              for target in (str(secret), "../secret.png", "assets/../../secret.png", "file://" + str(secret))]
    first = dataclasses.replace(first, ast={**first.ast, "blocks": first.ast["blocks"] + sneaky})
    parts = (dataclasses.replace(book.parts[0], chapters=(first, *book.parts[0].chapters[1:])), *book.parts[1:])
    book = dataclasses.replace(book, parts=parts)
    ctx = BuildContext(out_dir=tmp_path / "out", theme=load_theme("default", book.root), formats=("docx",))
    [path] = DocxBackend().build(book, DocxOptions(), ctx)
    with zipfile.ZipFile(path) as z:
        media = [z.read(n) for n in z.namelist() if n.startswith("word/media/")]
    assert len(media) == 1 and Image.open(io.BytesIO(media[0])).size == (24, 12)  # only the book's own image
    refused = [d for d in ctx.diagnostics if d.code == "CB201"]
    assert len(refused) == 4 and all(d.path == "posts/alpha.md" for d in refused)


def test_docx_failure_is_reported_and_keeps_the_previous_file(tmp_path):
    """A document pandoc refuses: an error diagnostic, no traceback, and the last good DOCX stays."""
    from compiler.backends import BuildContext
    from compiler.backends.docx import DocxBackend, DocxOptions
    from compiler.model.diagnostics import Severity
    from compiler.load.theme import load_theme

    book, _ = compile_manifest(write_book(tmp_path / "book"))
    out = tmp_path / "out"
    ctx = BuildContext(out_dir=out, theme=load_theme("default", book.root), formats=("docx",))
    [good] = DocxBackend().build(book, DocxOptions(), ctx)
    before = good.read_bytes()
    first = book.parts[0].chapters[0]
    broken = dataclasses.replace(first, ast={**first.ast, "blocks": [{"t": "NoSuchBlock", "c": []}]})
    book = dataclasses.replace(book, parts=(dataclasses.replace(book.parts[0], chapters=(broken,)),))
    ctx = BuildContext(out_dir=out, theme=ctx.theme, formats=("docx",))
    assert DocxBackend().build(book, DocxOptions(), ctx) == []
    [problem] = ctx.diagnostics
    assert problem.severity == Severity.ERROR and "pandoc failed" in problem.message
    assert good.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["plugin-proof.docx"]  # no temporary file left
