"""Files the EPUB carries besides its text: images (with media types read from their bytes, not their
names), the theme's stylesheet and, when the theme ships them, fonts with their licences.

Only files inside the book folder (book.assets, re-checked here) and the theme are read. An image
EPUB readers cannot show (BMP, TIFF, …) is converted to PNG; an SVG is embedded only after its
scripts, foreign objects and external references are removed.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from compiler.support import images
from compiler.support.images import sniff
from compiler.support.paths import OutsideBook, confine
from compiler.load.theme import Theme, read_theme_text

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
CORE_RASTER = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
MAX_IMAGE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Resource:
    file_name: str        # inside the package folder, e.g. "images/001-chart.png"
    media_type: str
    data: bytes


class ImageError(Exception):
    """An image that cannot be embedded (the message says why)."""


def read_image(path: Path, root: Path) -> tuple[bytes, str]:
    """(bytes, media type) ready to embed; raises ImageError."""
    try:
        real = confine(root, path)
    except OutsideBook:
        raise ImageError("is outside the book folder") from None
    try:
        if real.stat().st_size > MAX_IMAGE_BYTES:
            raise ImageError(f"is larger than {MAX_IMAGE_BYTES // 2**20} MiB")
        data = real.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot be read ({exc.strerror})") from None
    kind = sniff(data)
    if kind in CORE_RASTER:
        return data, kind
    if kind == "image/svg+xml":
        return clean_svg(data), kind
    return to_png(data), "image/png"


def to_png(data: bytes) -> bytes:
    """Convert a raster format EPUB readers need not support (BMP, TIFF, ICO, …) to PNG."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            im = im.convert("RGBA" if im.mode in ("RGBA", "LA", "P", "PA") else "RGB")
            out = io.BytesIO()
            im.save(out, "PNG")
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ImageError(f"is not an image EPUB readers can show ({type(exc).__name__})") from None


def clean_svg(data: bytes) -> bytes:
    try:
        return images.clean_svg(data)
    except images.SvgError as exc:
        raise ImageError(str(exc)) from None


def is_animated(data: bytes) -> bool:
    """Animated GIF/WebP/APNG: the accessibility metadata must not promise "no flashing hazard"."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            return bool(getattr(im, "is_animated", False))
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return False


def image_name(index: int, source: str, media_type: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", Path(source).stem.lower()).strip("-")[:40] or "image"
    ext = CORE_RASTER.get(media_type, "svg")
    return f"images/{index:03d}-{stem}.{ext}"


def stylesheet(theme: Theme) -> bytes:
    """The theme's EPUB stylesheet, every `epub/theme.css` of the chain (the book's theme last),
    then the syntax-highlighting palette (`epub/highlight.css`, else the shared `common/` one)."""
    parts = [theme.read("epub/book.css")]   # theme files are confined by the lookup itself
    parts += [read_theme_text(path) for _, path in theme.layers("epub/theme.css")]
    parts += _highlight(theme)
    return "\n".join(parts).encode("utf-8")


def _highlight(theme: Theme) -> list[str]:
    """The nearest theme's palette: its `epub/highlight.css` (colours readable in a reader's night
    mode) or else its `common/highlight.css`, so a book theme's own colours still win."""
    for folder in theme.folders:
        own = Theme(theme.name, (folder,))
        for name in ("epub/highlight.css", "common/highlight.css"):
            path = own.find(name)
            if path is not None:
                return [read_theme_text(path)]
    return []


def inside(folder: Path, path: Path) -> bool:
    """`path` resolves (links followed) inside `folder`: a theme's files never pull in outside files."""
    try:
        confine(folder.resolve(), path)
        return True
    except OutsideBook:
        return False


def theme_fonts(theme: Theme) -> list[Resource]:
    """Fonts (and their licence texts) in `epub/fonts/` of the theme chain; the first theme wins per name."""
    found: dict[str, Path] = {}
    for folder in theme.folders:
        fonts = folder / "epub" / "fonts"
        if fonts.is_dir():
            for path in sorted(fonts.iterdir()):
                if path.is_file() and not path.name.startswith(".") and inside(folder, path):
                    found.setdefault(path.name, path)
    out = []
    for name, path in sorted(found.items()):
        suffix = path.suffix.lower()
        if suffix in FONT_TYPES:
            out.append(Resource(f"fonts/{name}", FONT_TYPES[suffix], path.read_bytes()))
        elif suffix in (".txt", ".md", "") and re.match(r"(?i)(licen[cs]e|ofl|copying|readme)", name):
            out.append(Resource(f"fonts/{Path(name).stem}.txt", "text/plain", path.read_bytes()))
    return out
