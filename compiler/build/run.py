"""The one build: `chapbook build` and `chapbook serve` both come here.

`load` reads the manifest (backend options validated once, kept on the `LoadedManifest`),
`compile` turns it into a `Book`, `prepare` picks the backends, their order and the theme, and
`write` runs them into a staging folder and publishes it all at once (nothing, if one failed).
"""

from __future__ import annotations

import os
import shutil
from importlib import metadata
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping

from compiler import __version__
from compiler.backends import BackendOptions, BuildContext, Lazy, build_order, load_backend, option_models, registry
from compiler.build.cache import CACHE_DIR, BuildCache, sources_of
from compiler.build.output import OutputFolderError, publish, staging
from compiler.load.manifest import LoadedManifest, load_manifest
from compiler.load.theme import Theme, load_theme
from compiler.model.book import Book
from compiler.model.diagnostics import Diagnostic, FatalError, has_errors, lint_code_problem

DEFAULT_FORMATS = ("epub", "pdf", "html")


def versions() -> list[tuple[str, str]]:
    """Chapbook's version and those of the tools it runs (`chapbook --version`)."""
    from compiler.compile.pandoc import pandoc_version
    found = [("chapbook", __version__), ("pandoc", pandoc_version())]
    for name, dist in (("WeasyPrint", "weasyprint"), ("Typst", "typst")):
        try:
            found.append((name, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            found.append((name, "not installed"))
    return found


def load(manifest: Path, ignore: list[str] | tuple[str, ...] = ()) -> LoadedManifest:
    """The manifest, with every installed backend's options model checking `outputs`; `ignore`
    adds codes to the manifest's `lint.ignore` (`--ignore`)."""
    for code in ignore:
        if problem := lint_code_problem(code.strip().upper()):
            raise FatalError(f"--ignore: {problem}", 2)
    loaded = load_manifest(manifest, option_models())
    return replace(loaded, policy=loaded.policy.with_ignored([c.strip() for c in ignore])) if ignore else loaded


def compile(loaded: LoadedManifest, render: bool | str = True, progress: Callable[[str], None] | None = None,
            cache=None, ast: bool = True) -> tuple[Book, list[Diagnostic]]:
    """The book and its problems; `cache`: a `compiler.compile.pandoc.Cache` (imported here, not at
    the top: a build that finds nothing changed never compiles)."""
    from compiler.compile import assemble
    from compiler.load.yamlsafe import remembered
    with remembered(getattr(cache, "memo", None)):   # posts' front matter kept in the build cache too
        book, problems = assemble.compile_book(loaded, render=render, progress=progress, cache=cache, ast=ast)
    return book, loaded.policy.apply(problems)


def html_needed(loaded: LoadedManifest, plan: Plan) -> bool | str:
    """`render` for `compile`: True when a backend of the plan prints the chapters' HTML fragments,
    else "raw" (only chapters with raw HTML are rendered, for the problems their links report).
    A backend says so with `uses_html` (a bool, or a function of its options; default True)."""
    return True if _used(loaded, plan, "uses_html") else "raw"


def ast_needed(loaded: LoadedManifest, plan: Plan) -> bool:
    """`ast` for `compile`: whether a backend of the plan reads the chapters' AST (`uses_ast`, as
    `uses_html`; default True, so a plugin that does not say gets it). When none does (HTML, EPUB,
    the WeasyPrint PDF), the compiled book does not keep it: its memory does not grow with it."""
    return _used(loaded, plan, "uses_ast")


def _used(loaded: LoadedManifest, plan: Plan, attribute: str) -> bool:
    for name, backend in plan.backends.items():
        uses = getattr(backend, attribute, True)
        if callable(uses):
            uses = uses(backend_options(loaded, name, backend))
        if uses:
            return True
    return False


def with_pdf_engine(loaded: LoadedManifest, engine: str | None) -> LoadedManifest:
    """`chapbook build --pdf-engine`: the manifest's PDF options with that engine."""
    if engine is None:
        return loaded
    from compiler.backends.pdf.options import ENGINES, PdfOptions
    if engine.lower() not in ENGINES:
        raise FatalError(f"--pdf-engine {engine!r}: use one of {', '.join(ENGINES)}", 2)
    current = loaded.backend_options.get("pdf") or PdfOptions.model_validate(loaded.manifest.outputs.get("pdf") or {})
    options = PdfOptions.model_validate({**current.model_dump(exclude_unset=True), "engine": engine.lower()})
    return replace(loaded, backend_options={**loaded.backend_options, "pdf": options})


def build_cache(loaded: LoadedManifest, cache_dir: Path | None = None, enabled: bool = True) -> BuildCache:
    """The book's cache (`--cache-dir`, default `.chapbook-cache/` beside book.yml; `--no-cache`: none)."""
    if not enabled:
        return BuildCache(None)
    return BuildCache((cache_dir or loaded.root / CACHE_DIR).resolve())


@dataclass(frozen=True)
class Stamp:
    """What decides whether a run can be skipped: its options, and the files it may read."""
    kind: str
    key: dict
    sources: list[Path]
    exclude: list[Path]


def stamp_for(kind: str, loaded: LoadedManifest, plan: Plan, cache: BuildCache, out_dir: Path | None = None,
              strict: bool = False) -> Stamp:
    key = {"formats": list(plan.order), "out": str(out_dir) if out_dir else None, "strict": strict,
           "ignore": sorted(loaded.policy.ignore), "severity": [list(s) for s in loaded.policy.severity],
           "manifest": str(loaded.path), "epoch": os.environ.get("SOURCE_DATE_EPOCH"), "version": __version__,
           "network": loaded.manifest.network,
           "pdf": loaded.backend_options["pdf"].model_dump(mode="json") if "pdf" in loaded.backend_options else None}
    exclude = [p for p in (out_dir, cache.folder) if p is not None]
    return Stamp(kind, key, sources_of(loaded.root, plan.theme.folders), exclude)


def formats_of(loaded: LoadedManifest, requested: str | None) -> list[str]:
    """`--format a,b` (any case), else the manifest's `outputs`, else epub, pdf and html. An unknown
    name is refused here, before any work (FatalError, exit 2)."""
    if requested:
        formats = list(dict.fromkeys(f.strip().lower() for f in requested.split(",") if f.strip()))
        if not formats:
            raise FatalError("--format names no format; give one or more of: " + ", ".join(sorted(registry())), 2)
    else:
        formats = list(loaded.manifest.outputs or DEFAULT_FORMATS)
    known = registry()
    unknown = [f for f in formats if f not in known]
    if unknown:
        raise FatalError(f"unknown output format {', '.join(map(repr, unknown))}; installed: "
                         f"{', '.join(sorted(known)) or 'none'}", 2)
    return formats


def backend_options(loaded: LoadedManifest, name: str, backend) -> BackendOptions:
    """A format's options: those validated at manifest load, else (a format the manifest does not
    list, or a manifest loaded without the backends' models) its `outputs` entry or the defaults."""
    options = loaded.backend_options.get(name)
    if options is None:
        options = backend.options_model.model_validate(loaded.manifest.outputs.get(name) or {})
    return options


@dataclass(frozen=True)
class Plan:
    """What a build runs: the backends by format, in build order, and the theme."""
    backends: Mapping[str, object]
    order: tuple[str, ...]
    theme: Theme


def prepare(loaded: LoadedManifest, formats: list[str]) -> Plan:
    """Each format's backend (loaded when first used: FatalError, exit 2, for one that cannot be)
    and the theme. `formats` are known names (`formats_of`)."""
    backends = Lazy(formats, load_backend)
    theme = load_theme(loaded.manifest.theme, loaded.root)
    return Plan(backends, tuple(build_order(formats)), theme)


def check(book: Book, loaded: LoadedManifest, plan: Plan, memo=None) -> list[Diagnostic]:
    """What `write` would report, without publishing anything (`chapbook check`): each backend's
    `check(book, options, ctx)` when it has one (EPUB, HTML, PDF: everything but what only laying
    out the pages finds), else its `build` into a private temporary folder that is then removed."""
    with tempfile.TemporaryDirectory(prefix="chapbook-check-") as scratch:
        ctx = BuildContext(out_dir=Path(scratch), theme=plan.theme, formats=plan.order,
                           final_dir=loaded.root / "dist", memo=memo)
        for name in ctx.formats:
            backend = plan.backends[name]
            options = backend_options(loaded, name, backend)
            if callable(getattr(backend, "check", None)):
                backend.check(book, options, ctx)
            else:
                ctx.outputs[name] = backend.build(book, options, ctx)
    return loaded.policy.apply(list(ctx.diagnostics))


@dataclass
class Written:
    name: str
    paths: list[Path]            # where the outputs are now (published, or staged and removed)
    seconds: float


@dataclass
class BuildResult:
    out_dir: Path
    written: list[Written] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)   # the backends' problems
    published: bool = False


def write(book: Book, loaded: LoadedManifest, plan: Plan, out_dir: Path, strict: bool = False,
          announce: Callable[[str], object] | None = None, memo=None,
          cache_dir: Path | None | bool = True) -> BuildResult:
    """Run every backend of `plan` into a staging folder inside `out_dir`; publish them together
    when none reported an error (or, with `strict`, a warning). `announce(name)`, when given, is a
    context manager entered around each backend (the CLI's spinner). `memo`: the build cache's
    memo, for the backends' per-chapter pieces (backends/pieces.py); `cache_dir`: its folder, for the
    PDF's rendered chunks (None: `--no-cache`; True: beside book.yml)."""
    out_dir = out_dir.resolve()
    try:
        staged = staging(out_dir)
    except OutputFolderError as exc:
        raise FatalError(f"cannot write the book into {out_dir}: {exc.strerror}; choose another folder "
                         "with --out", 2) from None
    ctx = BuildContext(out_dir=staged, theme=plan.theme, formats=plan.order, final_dir=out_dir, memo=memo,
                       cache_dir=cache_dir)
    summary = []
    try:
        for name in ctx.formats:
            backend = plan.backends[name]
            options = backend_options(loaded, name, backend)
            start = time.perf_counter()
            with announce(name) if announce else nullcontext() as update:
                ctx.progress = update      # a long backend's "chunks 3/9" (None: nobody shows it)
                paths = backend.build(book, options, ctx)
                ctx.progress = None
            ctx.outputs[name] = paths
            summary.append((name, paths, time.perf_counter() - start))
        failed = has_errors(loaded.policy.apply(ctx.diagnostics), strict)
        moved = {} if failed else publish(staged, out_dir)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    written = [Written(name, [moved.get(p) or out_dir / p.relative_to(staged) for p in paths], secs)
               for name, paths, secs in summary]
    return BuildResult(out_dir, written, loaded.policy.apply(list(ctx.diagnostics)), not failed)
