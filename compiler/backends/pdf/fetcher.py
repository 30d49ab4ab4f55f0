"""The URL fetcher: the book folder and the theme, nothing else.

Resources have virtual URLs (`https://book.invalid/…`, `https://theme.invalid/…`) that no network
resolves; `FetchPolicy.locate` maps them to files (pure, testable) and `make_fetcher` wraps it in
the `URLFetcher` subclass WeasyPrint 70 requires.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from compiler.support.paths import inside
from compiler.support.urls import SCHEME as _SCHEME

BOOK_URL = "https://book.invalid/"
THEME_URL = "https://theme.invalid/"
MAX_RESOURCE_BYTES = 64 << 20

# Media types by suffix. Not the `mimetypes` module: it reads /etc/mime.types, outside the book.
MEDIA_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".bmp": "image/bmp",
               ".tif": "image/tiff", ".tiff": "image/tiff", ".ico": "image/vnd.microsoft.icon", ".otf": "font/otf",
               ".ttf": "font/ttf", ".woff": "font/woff", ".woff2": "font/woff2"}


class Refused(Exception):
    """A resource the PDF may not use; the message says why."""


@dataclass(frozen=True)
class FetchPolicy:
    """Which URLs map to which files. Pure: `locate` decides, it reads nothing."""
    root: Path
    theme_folders: tuple[Path, ...]
    assets: dict[str, Path]
    network: bool = False
    timeout: int = 10

    def locate(self, url: str) -> Path | str:
        """A confined regular-file path, or "pass" for URLs WeasyPrint may open itself; else Refused."""
        scheme = url.split(":", 1)[0].lower() if _SCHEME.match(url) else ""
        if scheme == "data":
            return "pass"
        if url.startswith(BOOK_URL):
            return self._in_book(_url_path(url, BOOK_URL))
        if url.startswith(THEME_URL):
            layer = _layer(url)
            folders = self.theme_folders if layer is None else self.theme_folders[layer:layer + 1]
            return self._in_theme(_url_path(url, THEME_URL), folders)
        if scheme == "file":
            return self._local_file(unquote(urlsplit(url).path))
        if scheme in ("http", "https"):
            if self.network:
                return "pass"
            raise Refused("remote resource not fetched: the manifest does not allow network access (network: true)")
        raise Refused(f"the {scheme or 'relative'} URL scheme is not allowed in the PDF")

    def _in_book(self, rel: str) -> Path:
        if rel in self.assets:
            return _confined_file(self.assets[rel], self.root, rel)
        return _confined_file(self.root / rel, self.root, rel)

    def _in_theme(self, rel: str, folders: tuple[Path, ...]) -> Path:
        for folder in folders:
            candidate = Path(os.path.realpath(folder / rel))
            if _inside(candidate, folder) and candidate.is_file():
                return _confined_file(candidate, folder, rel)
        raise Refused(f"{rel} is not a file of the theme")

    def _local_file(self, path: str) -> Path:
        for folder in (self.root, *self.theme_folders):
            if _inside(Path(os.path.realpath(path)), folder):
                return _confined_file(Path(path), folder, path)
        raise Refused(f"{path} is outside the book folder")


def _layer(url: str) -> int | None:
    """`?layer=N` pins a theme URL to the chain's N-th folder (each theme's own pdf/theme.css)."""
    query = parse_qs(urlsplit(url).query).get("layer")
    if not query:
        return None
    try:
        return int(query[0])
    except ValueError:
        raise Refused(f"bad theme layer in {url}") from None


def _url_path(url: str, base: str) -> str:
    path = urlsplit(url).path
    return unquote(path[len(urlsplit(base).path):])


def _inside(path: Path, folder: Path) -> bool:
    return inside(path, Path(os.path.realpath(folder)))


def _confined_file(path: Path, folder: Path, shown: str) -> Path:
    real = Path(os.path.realpath(path))
    if not _inside(real, folder):
        raise Refused(f"{shown} resolves outside the book folder")
    try:
        mode = os.stat(real).st_mode
    except OSError:
        raise Refused(f"{shown} does not exist") from None
    if not stat.S_ISREG(mode):
        raise Refused(f"{shown} is not a regular file")
    return real


def read_confined(path: Path, limit: int = MAX_RESOURCE_BYTES) -> bytes:
    """Read a regular file without blocking (a FIFO swapped in would hang) and up to `limit` bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise Refused(f"{path.name} is larger than {limit >> 20} MiB")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    finally:
        os.close(fd)


_TARGET_COUNTER = re.compile(rb"target-counter\(\s*attr\(\s*href(?:\s+url)?\s*\)\s*,\s*page\s*(?:,\s*[-\w]+\s*)?\)")


def literal_page_numbers(css: bytes) -> bytes:
    """`target-counter(attr(href url), page[, style])` -> `attr(data-page)`: in the chunked PDF the
    contents are typeset apart from their targets, with the final page labels written in."""
    return _TARGET_COUNTER.sub(b"attr(data-page)", css)


def make_fetcher(policy: FetchPolicy, literal_targets: bool = False):
    """A WeasyPrint URLFetcher confined by `policy`; refused URLs are kept in `.refused`.

    WeasyPrint is imported here, not at module level: it is slow to import and only the
    renderer process needs it.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ConfinedFetcher(URLFetcher):
        def __init__(self):
            super().__init__(timeout=policy.timeout)
            self.refused: list[tuple[str, str]] = []

        def fetch(self, url, headers=None):
            try:
                target = policy.locate(url)
                if target == "pass" and url.lower().startswith(("http://", "https://")):
                    return _remote(url)
                if target == "pass":
                    return super().fetch(url, headers)
                body = read_confined(target)
            except Refused as exc:
                self.refused.append((url, str(exc)))
                raise
            kind = MEDIA_TYPES.get(target.suffix.lower(), "application/octet-stream")
            if literal_targets and kind == "text/css":
                body = literal_page_numbers(body)
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    def _remote(url: str):
        """A remote resource (the manifest allows the network), bounded and measured as the
        compile stage measured it: a bomb served now is refused."""
        from compiler.support.remote import RemoteError, fetch, image_problem
        try:
            body, kind = fetch(url, timeout=policy.timeout)
        except RemoteError as exc:
            raise Refused(f"remote resource {exc}") from None
        why = image_problem(body)
        if why:
            raise Refused(f"remote image {why}")
        return URLFetcherResponse(url, body, {"Content-Type": kind})

    return ConfinedFetcher()
