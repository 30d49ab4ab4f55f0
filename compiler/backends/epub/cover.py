"""The cover image: the one the book names, or a generated JPEG (title, subtitle, authors).

Readers show the cover in their library view from an image (`properties="cover-image"`), so a
generated cover is an image, not XHTML: the PDF's cover typeset and rasterised (typeset_cover.py),
or, when that fails, drawn with Pillow. The font is the theme's
(`epub/cover/*.ttf|otf`, first in the theme chain), so drawing is the same on every machine and
reads nothing outside the theme; characters the font lacks are reported.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from compiler.backends.epub.resources import CORE_RASTER, ImageError, Resource, inside, read_image
from compiler.model.book import Book, shorten
from compiler.model.diagnostics import Diagnostic, diag
from compiler.support.paths import OutsideBook, confine
from compiler.load.theme import Theme

SIZE = (1600, 2560)          # 1:1.6, the size most stores ask for
MARGIN = 150
BACKGROUND = (34, 49, 63)
RULE = (214, 178, 112)
INK = (250, 246, 238)
SOFT_INK = (214, 220, 226)


@dataclass(frozen=True)
class Cover:
    image: Resource
    alt: str                 # what the cover says, for readers that cannot see it
    generated: bool


def make_cover(book: Book, choice: str | None, theme: Theme, problems: list[Diagnostic], pieces=None) -> Cover:
    """`choice`: outputs.epub.cover (a path, or "generate"), else the manifest's cover, else generated."""
    alt = cover_text(book)
    path = _chosen_path(book, choice, problems)
    if path is not None:
        try:
            data, media_type = read_image(path, book.root)
            ext = CORE_RASTER.get(media_type, "svg")
            return Cover(Resource(f"images/cover.{ext}", media_type, data), alt, False)
        except ImageError as exc:
            problems.append(diag("CB202", _rel(book, path), None, f"cover image {exc}: a generated cover is used"))
    return Cover(Resource("images/cover.jpg", "image/jpeg", generate(book, theme, problems, pieces)), alt, True)


def cover_text(book: Book) -> str:
    m = book.meta
    text = m.title + (f": {m.subtitle}" if m.subtitle else "")
    return text + (f", by {', '.join(m.authors)}" if m.authors else "")


def _chosen_path(book: Book, choice: str | None, problems: list[Diagnostic]) -> Path | None:
    if choice == "generate":
        return None
    if choice is None:
        return book.meta.cover
    try:
        path = confine(book.root, choice)
    except OutsideBook:
        problems.append(diag("CB202", choice, None, "outputs.epub.cover is outside the book folder: "
                                                    "a generated cover is used"))
        return None
    if not path.is_file():
        problems.append(diag("CB202", choice, None, "outputs.epub.cover does not exist: a generated cover is used"))
        return None
    return path


def _rel(book: Book, path: Path) -> str:
    try:
        return path.relative_to(book.root).as_posix()
    except ValueError:
        return path.name


# --- drawing ----------------------------------------------------------------------------------

def _short(text: str, limit: int) -> str:
    """A cover holds a few lines: longer text is cut (at a word when there is one) with an ellipsis;
    words are cut too, so one endless word cannot make the lettering huge."""
    return shorten(" ".join(shorten(word, 40) for word in text.split()), limit)


def generate(book: Book, theme: Theme, problems: list[Diagnostic], pieces=None) -> bytes:
    """The PDF's cover design (pdf/cover.html.j2 with the PDF stylesheets) as an image; when it
    cannot be typeset, the cover is drawn with Pillow (CB250). `pieces`: the build cache's handle
    for the typeset cover (typeset_cover.py)."""
    try:
        from compiler.backends.epub.typeset_cover import typeset_cover
        return typeset_cover(book, theme, SIZE, pieces)
    except Exception as exc:  # any failure of WeasyPrint or PDFium: the drawn cover still serves
        problems.append(diag("CB250", "book.yml", None, f"the cover could not be typeset like the PDF's "
                             f"({type(exc).__name__}: {str(exc)[:80]}): a simpler cover is drawn"))
        return draw(book, theme, problems)


def draw(book: Book, theme: Theme, problems: list[Diagnostic]) -> bytes:
    """The fallback cover: title, rule, subtitle, authors drawn with the theme's `epub/cover/` font."""
    m = book.meta
    font_path = cover_font(theme)
    _check_glyphs(font_path, " ".join([m.title, m.subtitle or "", *m.authors]), problems)
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    title_font, title_lines = _fit(draw, font_path, _short(m.title, 160), width, start=150, max_lines=6)
    y = 560
    y = _lines(draw, title_lines, title_font, y, INK, spacing=1.18)
    y += 60
    draw.rectangle((MARGIN, y, MARGIN + 260, y + 12), fill=RULE)
    y += 110
    if m.subtitle:
        sub_font, sub_lines = _fit(draw, font_path, _short(m.subtitle, 240), width, start=72, max_lines=4)
        _lines(draw, sub_lines, sub_font, y, SOFT_INK, spacing=1.3)
    if m.authors:
        author_font, author_lines = _fit(draw, font_path, _short(", ".join(m.authors), 160), width, start=84,
                                         max_lines=3)
        height = len(author_lines) * int(author_font.size * 1.3)
        _lines(draw, author_lines, author_font, SIZE[1] - 300 - height, INK, spacing=1.3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, subsampling=0, optimize=False)   # PNG takes 10× longer to encode
    return out.getvalue()


def cover_font(theme: Theme) -> Path | None:
    """The first .ttf/.otf in `epub/cover/` along the theme chain (a link out of the theme is ignored)."""
    for folder in theme.folders:
        fonts = folder / "epub" / "cover"
        if fonts.is_dir():
            for path in sorted(fonts.iterdir()):
                if path.suffix.lower() in (".ttf", ".otf") and inside(folder, path):
                    return path
    return None


def _font(path: Path | None, size: int):
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)


def _fit(draw, font_path: Path | None, text: str, width: int, start: int, max_lines: int):
    """The largest size (from `start` down) at which `text` wraps into at most `max_lines` lines."""
    size = start
    while True:
        font = _font(font_path, size)
        lines = _wrap(draw, text, font, width)
        if len(lines) <= max_lines or size <= 28:
            return font, lines[:max_lines]
        size = int(size * 0.88)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


def _lines(draw, lines: list[str], font, y: int, fill, spacing: float) -> int:
    step = int(font.size * spacing)
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=fill)
        y += step
    return y


def _check_glyphs(font_path: Path | None, text: str, problems: list[Diagnostic]) -> None:
    """Report characters the cover font cannot draw (they would show as empty boxes)."""
    if font_path is None or text.isascii():     # every cover font has ASCII
        return
    from fontTools.ttLib import TTFont
    try:
        cmap = TTFont(str(font_path), lazy=True).getBestCmap() or {}
    except Exception:  # a damaged theme font: drawing will say so; nothing to add here
        return
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in cmap})
    if missing:
        problems.append(diag("CB202", "book.yml", None,
                             f"the generated cover's font has no glyph for {''.join(missing[:20])!r}: set `cover:` "
                             "to an image (or give the theme a font in epub/cover/ that has them)"))
