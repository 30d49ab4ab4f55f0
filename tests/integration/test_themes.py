"""Themes: the built-in `classic`, and a book's own theme folder that overrides one CSS file and
adds a `theme.css` layer to each medium's stylesheet.

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

from helpers import make_book, post, run_cli

FORMATS = ("epub", "pdf", "html", "docx")
OVERRIDE = "#12ab34"                     # the book theme's keyword colour
OVERRIDE_RGB = (0.07, 0.67, 0.2)         # the same, as a PDF fill colour
LAYER_MARK, LAYER_COLOUR, LAYER_RGB = "the book's layer", "#a1b2c3", (0.63, 0.7, 0.76)
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
    from compiler.model.diagnostics import FatalError
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
        for medium in ("html", "epub", "pdf"):    # additions, not replacements
            (folder / theme / medium).mkdir()
            (folder / theme / medium / "theme.css").write_text(
                f"/* {LAYER_MARK} {medium} */\n.chapter-title {{ color: {LAYER_COLOUR}; }}\n")
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


def test_a_theme_css_adds_to_the_chain_and_the_book_layer_wins_in_the_pdf(own, classic):
    assert LAYER_RGB in pdf_fill_colours(built(own, "pdf"))
    assert LAYER_RGB not in pdf_fill_colours(built(classic, "pdf"))


@pytest.mark.parametrize("fmt, main, layer", [("html", "html/book.css", "html/theme.css"),
                                              ("epub", "epub/book.css", "epub/theme.css")])
def test_layers_come_parent_first_after_the_main_stylesheet(own, fmt, main, layer):
    """default's whole stylesheet, then classic's theme.css, then the book's: the book's rules win."""
    from compiler.load.theme import builtin_dir
    css = html_css(built(own, fmt)) if fmt == "html" else epub_css(built(own, fmt))
    first_rule = (builtin_dir() / "default" / main).read_text().split("*/", 1)[1].strip().splitlines()[0]
    classic_mark = "This file is appended to the default theme"
    assert (builtin_dir() / "classic" / layer).is_file() and not (builtin_dir() / "classic" / main).exists()
    assert 0 <= css.index(first_rule) < css.index(classic_mark) < css.index(LAYER_MARK)


def test_theme_layers_are_listed_parent_first(tmp_path):
    from compiler.load.theme import load_theme
    (tmp_path / "look" / "html").mkdir(parents=True)
    (tmp_path / "look" / "theme.yml").write_text("extends: classic\n")
    (tmp_path / "look" / "html" / "theme.css").write_text("/* mine */\n")
    theme = load_theme("look", tmp_path)
    layers = theme.layers("html/theme.css")
    assert [path.parent.parent.name for _, path in layers] == ["classic", "look"]
    assert [theme.folders[i] for i, _ in layers] == [theme.folders[1], theme.folders[0]]


def test_a_pdf_layer_url_reads_only_its_own_theme(tmp_path):
    from compiler.backends.pdf.fetcher import THEME_URL, FetchPolicy, Refused
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        (folder / "pdf").mkdir(parents=True)
        (folder / "pdf" / "theme.css").write_text(folder.name)
    policy = FetchPolicy(root=tmp_path, theme_folders=(a, b), assets={})
    assert policy.locate(THEME_URL + "pdf/theme.css?layer=1").read_text() == "b"
    assert policy.locate(THEME_URL + "pdf/theme.css?layer=0").read_text() == "a"
    assert policy.locate(THEME_URL + "pdf/theme.css").read_text() == "a"
    for bad in ("2", "-1", "x"):
        with pytest.raises(Refused):
            policy.locate(THEME_URL + f"pdf/theme.css?layer={bad}")


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
