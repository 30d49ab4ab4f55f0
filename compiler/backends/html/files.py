"""Files the HTML folder carries besides its pages: images, the cover, the book's other formats.

Every source is checked before it is read: images and the cover must be inside the book folder
(the core resolved them; this is the second lock), downloads must be files this run wrote.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from compiler.backends import BuildContext
from compiler.model.book import Book
from compiler.model.diagnostics import diag
from compiler.support.images import SvgError, clean_svg, sniff
from compiler.support.paths import OutsideBook, confine

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".svg": "image/svg+xml", ".avif": "image/avif"}
MEDIA_TYPES = {"epub": "application/epub+zip", "pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(frozen=True)
class Download:
    href: str
    label: str
    size: str
    media_type: str


def book_images(book: Book, ctx: BuildContext) -> dict[str, Path]:
    """The book's images that may be published: href ("assets/…") -> file inside the book."""
    usable = {}
    for href, source in sorted(book.assets.items()):
        path = PurePosixPath(href)
        if path.is_absolute() or ".." in path.parts or not href.startswith("assets/"):
            ctx.diagnostics.append(diag("CB201", href, None, "image path refused (not under assets/): left out"))
            continue
        try:
            real = confine(book.root, source)
        except OutsideBook:
            ctx.diagnostics.append(diag("CB201", href, None, "image outside the book folder: left out"))
            continue
        if not real.is_file():
            ctx.diagnostics.append(diag("CB201", href, None, "image file is missing: left out"))
            continue
        usable[href] = real
    return usable


def publishable(images: dict[str, Path], ctx: BuildContext):
    """(href, bytes to publish) for each image, read once: SVGs without scripts, handlers or
    outside references; one that cannot be cleaned is left out (CB201)."""
    for href, path in images.items():
        try:
            yield href, image_data(path)
        except SvgError as exc:
            ctx.diagnostics.append(diag("CB201", href, None, f"SVG image left out: it {exc}"))


def image_data(path: Path) -> bytes:
    """The file's bytes, an SVG cleaned (raises SvgError when it cannot be)."""
    data = path.read_bytes()
    return clean_svg(data) if sniff(data) == "image/svg+xml" else data


def copy_images(images: dict[str, Path], folder: Path, ctx: BuildContext) -> set[str]:
    """Write the publishable images under `folder`; returns the hrefs written."""
    written = set()
    for href, data in publishable(images, ctx):
        target = folder / href
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.add(href)
    return written


def data_uri(name: str, data: bytes) -> str:
    """`data` as a data: URI, its media type from the file name."""
    kind = IMAGE_TYPES.get(PurePosixPath(name).suffix.lower()) or mimetypes.guess_type(name)[0] \
        or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def cover_image(book: Book, ctx: BuildContext) -> tuple[Path, bytes] | None:
    """The cover file and the bytes to publish, or None (with CB202) when there is none usable."""
    cover = book.meta.cover
    if cover is None:
        return None
    try:
        real = confine(book.root, cover)
    except OutsideBook:
        real = None
    if real is None or not real.is_file() or real.suffix.lower() not in IMAGE_TYPES:
        ctx.diagnostics.append(diag("CB202", str(cover.name), None,
                                    "cover is not an image file inside the book folder (png, jpg, gif, webp, svg): "
                                    "the index page shows a typographic cover"))
        return None
    try:
        return real, image_data(real)
    except SvgError as exc:
        ctx.diagnostics.append(diag("CB202", real.name, None, f"cover left out: it {exc}"))
        return None


EXTENSIONS = {"epub": ".epub", "pdf": ".pdf", "docx": ".docx"}


def copy_downloads(ctx: BuildContext, folder: Path, taken: set[str], slug: str | None = None) -> list[Download]:
    """The book's other formats beside the pages, for their download links: those this run wrote,
    and (given the book's `slug`) those an earlier run left in the same output folder. Each is a hard
    link to the file, not a second copy on disk (a copy only where the file system cannot link), so
    the booklet folder can still be published on its own."""
    downloads = []
    for fmt, path in _other_formats(ctx, slug):
        if not Path(path).is_file():
            ctx.diagnostics.append(diag("CB230", str(ctx.shown(Path(path))), None, f"{fmt} output not found: no download link"))
            continue
        name = _free_name(Path(path).name, taken)
        _link_or_copy(Path(path), folder / name)
        media = MEDIA_TYPES.get(fmt) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        downloads.append(Download(name, fmt.upper(), human_size(Path(path).stat().st_size), media))
    return downloads


def _other_formats(ctx: BuildContext, slug: str | None) -> list[tuple[str, Path]]:
    found = [(fmt, Path(p)) for fmt in ctx.formats if fmt != "html" for p in ctx.outputs.get(fmt, [])]
    if slug and ctx.final_dir is not None:
        built = {fmt for fmt, _ in found}
        for fmt, ext in EXTENSIONS.items():
            earlier = ctx.final_dir / f"{slug}{ext}"
            if fmt not in built and fmt not in ctx.formats and earlier.is_file() and not earlier.is_symlink():
                found.append((fmt, earlier))
    return found


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _free_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{Path(name).stem}-{n}{Path(name).suffix}"
    taken.add(candidate.casefold())
    return candidate


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"
