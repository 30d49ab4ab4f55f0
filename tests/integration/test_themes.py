"""Themes: the built-in `classic`, and a book's own theme folder that overrides one CSS file.

The book's theme (`mytheme/`, inside the book) extends `classic`, which extends `default`: the
override must show in every format, and so must what it inherits. Each format is built once per
module; a format whose backend is not written yet is skipped with that reason.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import ContentStream

from conftest import make_book, post, run_cli

FORMATS = ("epub", "pdf", "html", "docx")
OVERRIDE = "#12ab34"                     # the book theme's keyword colour
OVERRIDE_RGB = (0.07, 0.67, 0.2)         # the same, as a PDF fill colour
CODE = post("Code Matters", """
    ## A function

    Some prose before the code.

    ```python
    def greet(name):
        return "hello " + name
    ```
    """, date="2024-01-01")
PROSE = post("Plain Words", "## Plainly\n\nNothing but words here.\n", date="2024-02-01")


def backend_missing(name: str) -> str | None:
    """Why a format cannot be tested yet (its backend module does not exist), or None."""
    from compiler.backends import load_backend
    from compiler.diagnostics import FatalError
    try:
        load_backend(name)
    except FatalError as exc:
        message = str(exc)
        if f"No module named 'compiler.backends.{name}" in message or \
                f"module 'compiler.backends.{name}' has no attribute" in message:
            return f"the {name} backend is not written yet ({message})"
        raise
    return None


def write_book(folder: Path, theme: str, own_theme: bool) -> Path:
    manifest = {"title": "Themed Book", "authors": ["Tess Ter"], "language": "en",
                "chapters": ["posts/code.md", "posts/prose.md"], "theme": theme}
    path = make_book(folder, {"posts/code.md": CODE, "posts/prose.md": PROSE}, manifest)
    if own_theme:
        (folder / theme / "common").mkdir(parents=True)
        (folder / theme / "theme.yml").write_text("description: The book's own look\nextends: classic\n")
        (folder / theme / "common" / "highlight.css").write_text(
            f"/* This book's code colours. */\ncode span.kw, code span.cf {{ color: {OVERRIDE}; }}\n")
    return path


def build_each(manifest: Path) -> dict:
    """format -> (result, out folder), one CLI build per format so a missing backend spoils nothing."""
    out = {}
    for fmt in FORMATS:
        if backend_missing(fmt):
            continue
        folder = manifest.parent / "dist" / fmt
        out[fmt] = (run_cli("build", str(manifest), "--format", fmt, "--out", str(folder)), folder)
    return out


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A book whose theme folder (mytheme/ → classic → default) overrides common/highlight.css."""
    return build_each(write_book(tmp_path_factory.mktemp("own") / "book", "mytheme", own_theme=True))


@pytest.fixture(scope="module")
def classic(tmp_path_factory):
    """The same book with the built-in classic theme and no override."""
    return build_each(write_book(tmp_path_factory.mktemp("classic") / "book", "classic", own_theme=False))


def built(builds: dict, fmt: str) -> Path:
    why = backend_missing(fmt)
    if why:
        pytest.skip(why)
    result, folder = builds[fmt]
    assert result.returncode == 0, result.stderr
    return folder


# --- what each format shows ---------------------------------------------------------------------

def pdf_fill_colours(folder: Path) -> set[tuple[float, ...]]:
    colours = set()
    reader = pypdf.PdfReader(next(folder.glob("*.pdf")))
    for page in reader.pages:
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"rg":
                colours.add(tuple(round(float(x), 2) for x in operands))
    return colours


def pdf_fonts(folder: Path) -> set[str]:
    fonts = set()
    for page in pypdf.PdfReader(next(folder.glob("*.pdf"))).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return fonts


def epub_css(folder: Path) -> str:
    with zipfile.ZipFile(next(folder.glob("*.epub"))) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".css"))


def html_css(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.css")))


def docx_theme_fonts(folder: Path) -> str:
    with zipfile.ZipFile(next(folder.glob("*.docx"))) as z:
        return z.read("word/theme/theme1.xml").decode("utf-8")


# --- the book's own theme: the one overridden file shows in every format ---------------------------

def test_override_shows_in_the_pdf(own, classic):
    assert OVERRIDE_RGB in pdf_fill_colours(built(own, "pdf"))
    assert OVERRIDE_RGB not in pdf_fill_colours(built(classic, "pdf"))


def test_override_shows_in_the_html_css(own, classic):
    assert OVERRIDE in html_css(built(own, "html"))
    assert OVERRIDE not in html_css(built(classic, "html"))


def test_override_shows_in_the_epub_css(own, classic):
    assert OVERRIDE in epub_css(built(own, "epub"))
    assert OVERRIDE not in epub_css(built(classic, "epub"))


def test_docx_builds_with_the_inherited_reference_document(own):
    assert 'typeface="Garamond"' in docx_theme_fonts(built(own, "docx"))


def test_everything_else_is_inherited_from_classic(own):
    """Only highlight.css is the book's: the PDF still has classic's fonts and default's templates."""
    fonts = pdf_fonts(built(own, "pdf"))
    assert any(f.startswith("Classic-Serif") for f in fonts), fonts
    text = "".join(page.extract_text() for page in pypdf.PdfReader(next(built(own, "pdf").glob("*.pdf"))).pages)
    assert "Code Matters" in text and "Nothing but words here." in text


# --- the built-in classic theme -------------------------------------------------------------------------

def test_classic_has_its_own_character(classic):
    fonts = pdf_fonts(built(classic, "pdf"))
    assert any(f.startswith("Classic-Serif") for f in fonts) and not any("Libertine" in f for f in fonts
                                                                         if "Bold" not in f), fonts
    assert 'typeface="Garamond"' in docx_theme_fonts(built(classic, "docx"))


def test_classic_html_uses_its_serif(classic):
    assert "EB Garamond" in html_css(built(classic, "html"))


def test_classic_epub_uses_its_serif(classic):
    assert "EB Garamond" in epub_css(built(classic, "epub"))


@pytest.mark.parametrize("stylesheet", ["pdf/print.css", "html/book.css", "epub/book.css"])
def test_classic_styles_everything_default_styles(stylesheet):
    """classic replaces whole stylesheets: a class or page name the default styles (often one the
    backend relies on, like the PDF's footnote and bookmark classes) must be styled in classic too."""
    from compiler.themes import builtin_dir
    default, classic = (builtin_dir() / name / stylesheet for name in ("default", "classic"))
    missing = sorted(_css_names(default.read_text()) - _css_names(classic.read_text()))
    assert not missing, f"{classic} does not style {missing}, which {default} does: copy those rules"


def _css_names(css: str) -> set[str]:
    import re
    css = re.sub(r"/\*.*?\*/|url\([^)]*\)|\"[^\"]*\"", "", css, flags=re.S)
    return ({"." + c for c in re.findall(r"(?<![\w-])\.([a-zA-Z][\w-]*)", css)}
            | {"page " + p for p in re.findall(r"\bpage:\s*([\w-]+)", css)})


# --- listing and mistakes ---------------------------------------------------------------------------------

def test_themes_command_lists_builtins():
    result = run_cli("themes", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert {"default", "classic"} <= set(rows)
    assert rows["classic"]["extends"] == "default"
    assert "serif" in rows["classic"]["description"].lower()
    assert Path(rows["classic"]["path"], "theme.yml").is_file()
    text = run_cli("themes").stdout
    assert any(line.startswith("classic ") and "Classic serif print" in line for line in text.splitlines()), text


def test_theme_outside_the_book_is_refused(tmp_path):
    (tmp_path / "elsewhere" / "common").mkdir(parents=True)
    manifest = write_book(tmp_path / "book", "../elsewhere", own_theme=False)
    result = run_cli("build", str(manifest), "--format", "docx")
    assert result.returncode == 2 and "outside the book folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_parent_theme_is_reported(tmp_path):
    manifest = write_book(tmp_path / "book", "mytheme", own_theme=True)
    (manifest.parent / "mytheme" / "theme.yml").write_text("extends: baroque\n")
    result = run_cli("build", str(manifest), "--format", "docx")
    assert result.returncode == 2 and "baroque" in result.stderr and "Traceback" not in result.stderr
