"""The preview's builds: `Builder` compiles the book and runs the `html` backend (whatever it
currently is, through the registry) into a fresh folder of a private temporary directory, never
into the book's `dist/`, through the same build as `chapbook build` (`compiler.build.run`). It
keeps the compiled book, so a change to the theme alone skips recompiling the posts.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from watchfiles import Change

from compiler.build import run
from compiler.build.cache import CACHE_DIR, BuildCache
from compiler.compile.pandoc import Cache
from compiler.model.diagnostics import Diagnostic, FatalError, Severity, has_errors
from compiler.support.paths import inside

if TYPE_CHECKING:
    from compiler.model.book import Book
    from compiler.load.manifest import LoadedManifest


@dataclass(frozen=True)
class Site:
    """One good build: the folder served and the page served for `/`."""
    root: Path
    index: str
    build: int

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names inside the build, or None (never anything outside it)."""
        parts = [p for p in unquote(url_path).split("/") if p not in ("", ".")]
        if any(p == ".." or "\0" in p or "\\" in p for p in parts):
            return None
        candidate = self.root.joinpath(*parts) if parts else self.root / self.index
        if candidate.is_dir():
            candidate = candidate / "index.html"
        real = Path(os.path.realpath(candidate))
        if not inside(real, self.root) or not real.is_file():
            return None
        return real


class BuildFailed(Exception):
    """A build that produced nothing to serve; its message is shown in the page and the terminal."""


@dataclass(frozen=True)
class Built:
    site: Site
    problems: list[Diagnostic]
    compiled: bool              # False: only the theme or an image changed, the book was reused


Changes = set[tuple[Change, Path]]


@dataclass
class Builder:
    """Builds the booklet into `workdir/<n>/`; remembers the last compiled book between builds."""
    manifest: Path
    workdir: Path
    count: int = 0
    loaded: LoadedManifest | None = None
    book: Book | None = None
    book_problems: list[Diagnostic] = field(default_factory=list)
    theme_folders: tuple[Path, ...] = ()
    reported: list[Diagnostic] = field(default_factory=list)    # warnings last printed
    pandoc_cache: Cache | None = None   # pandoc's answers in the book's build cache: only changed posts go to pandoc again

    def __post_init__(self) -> None:
        if self.pandoc_cache is None:
            self.pandoc_cache = BuildCache(self.root / CACHE_DIR).pandoc()

    @property
    def root(self) -> Path:
        return self.manifest.resolve().parent

    def watch_paths(self) -> list[Path]:
        """The book folder, and the theme folders outside it (built-in themes)."""
        outside = [f for f in self.theme_folders if not inside(f, self.root)]
        return [self.root, *sorted(set(outside))]

    def needs_compile(self, changes: Changes) -> bool:
        """Only theme files changed, or images the book uses were modified: the compiled book holds."""
        if self.book is None or not changes:
            return True
        assets = {Path(os.path.realpath(p)) for p in self.book.assets.values()}
        for kind, path in changes:
            in_theme = any(inside(path, f) for f in self.theme_folders)
            if not in_theme and not (kind == Change.modified and path in assets):
                return True
        return False

    def build(self, changes: Changes | None = None) -> Built:
        compiled = changes is None or self.needs_compile(changes)
        try:
            if compiled:
                self._compile()
            plan = run.prepare(self.loaded, ["html"])
        except FatalError as exc:
            raise BuildFailed(str(exc)) from None
        self.theme_folders = tuple(Path(os.path.realpath(f)) for f in plan.theme.folders)
        self.count += 1
        out = self.workdir / str(self.count)
        try:
            result = run.write(self.book, self.loaded, plan, out, memo=getattr(self.pandoc_cache, "memo", None))
        except FatalError as exc:
            raise BuildFailed(str(exc)) from None
        except Exception as exc:  # a backend bug must not stop the preview
            raise BuildFailed(f"the html backend failed: {type(exc).__name__}: {exc}") from None
        if not result.published:
            raise BuildFailed(describe(result.diagnostics))
        site = site_of([p for w in result.written for p in w.paths], self.count)
        self._prune(keep={out, site.root})
        return Built(site, self.book_problems + result.diagnostics, compiled)

    def _compile(self) -> None:
        self.book = None
        self.loaded = run.load(self.manifest)
        try:
            book, problems = run.compile(self.loaded, cache=self.pandoc_cache, ast=False)   # HTML only
        except FatalError:
            raise  # reported by build()
        except Exception as exc:  # a compiler bug must not stop the preview
            raise BuildFailed(f"internal error while compiling: {type(exc).__name__}: {exc}") from None
        if has_errors(problems):
            raise BuildFailed(describe(problems))
        self.book, self.book_problems = book, problems

    def _prune(self, keep: set[Path]) -> None:
        """Keep this build and the one before it (a page may still be loading from it)."""
        for folder in self.workdir.iterdir():
            if folder.name.isdigit() and int(folder.name) < self.count - 1 and folder not in keep:
                shutil.rmtree(folder, ignore_errors=True)


def site_of(paths: list[Path], build: int) -> Site:
    """Where the backend put the booklet: a folder (`<out>/html/`) or a standalone page."""
    for path in paths:
        if path.is_dir():
            pages = sorted(p.name for p in path.glob("*.html"))
            index = "index.html" if "index.html" in pages else (pages[0] if pages else "index.html")
            return Site(Path(os.path.realpath(path)), index, build)
    pages = [p for p in paths if p.suffix in (".html", ".htm") and p.is_file()]
    if not pages:
        raise BuildFailed("the html backend wrote no page")
    root = Path(os.path.realpath(pages[0].parent))
    index = "index.html" if (root / "index.html").is_file() else pages[0].name
    return Site(root, index, build)


def describe(problems: list[Diagnostic]) -> str:
    errors = [d for d in problems if d.severity == Severity.ERROR]
    return "\n".join(f"{d.location()}: error {d.code} {d.message}" for d in errors)
