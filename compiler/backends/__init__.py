"""Backends turn a Book into files. Built-ins and plugins register the same way: an entry point in
the group `chapbook.backends` naming a class with `name`, `options_model` and `build(...)`.

A backend writes to a temporary path beside its target and moves the finished file into place
(see `compiler.build.output`), so a failed build leaves the previous good output untouched.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from compiler.model.book import Book
from compiler.model.diagnostics import Diagnostic, FatalError
from compiler.load.theme import Theme

GROUP = "chapbook.backends"


class BackendOptions(BaseModel):
    """Base for a backend's options (`outputs.<name>` in book.yml): unknown keys are refused."""
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class BuildContext:
    """What every backend gets besides the book: where to write and what else this run builds."""
    out_dir: Path
    theme: Theme
    formats: tuple[str, ...]                    # every format built in this run, in order
    outputs: dict[str, list[Path]] = field(default_factory=dict)   # filled as backends finish
    diagnostics: list[Diagnostic] = field(default_factory=list)    # backends append problems here
    progress: Callable[[str], None] | None = None                  # a long backend's "12/40 chunks"
    final_dir: Path | None = None     # where out_dir's files are published (name this one in messages)
    memo: object | None = None        # the build cache's memo (compiler.build.memo): see backends/pieces.py
    cache_dir: Path | None | bool = True   # the build cache's folder (None: --no-cache; True: beside book.yml)

    def shown(self, path: Path) -> Path:
        """`path` (inside the staging `out_dir`) as it will be once published."""
        if self.final_dir is None:
            return path
        try:
            return self.final_dir / path.relative_to(self.out_dir)
        except ValueError:
            return path


@runtime_checkable
class Backend(Protocol):
    name: str
    options_model: type[BackendOptions]

    def build(self, book: Book, options: BackendOptions, ctx: BuildContext) -> list[Path]: ...


@functools.cache
def _installed() -> tuple:
    """The backends' entry points, looked up once per process (the lookup reads every installed
    package's metadata)."""
    return tuple(sorted(entry_points(group=GROUP), key=lambda e: e.name))


def registry() -> dict[str, type]:
    """Installed backends by name. Duplicate names are refused."""
    found: dict[str, type] = {}
    for ep in _installed():
        if ep.name in found:
            raise FatalError(f"two installed backends are both named {ep.name!r}; uninstall one", 2)
        found[ep.name] = ep
    return found


def load_backend(name: str):
    eps = registry()
    if name not in eps:
        raise FatalError(f"unknown output format {name!r}; installed: {', '.join(sorted(eps)) or 'none'}", 2)
    try:
        cls = eps[name].load()
    except Exception as exc:  # a broken plugin must not crash the CLI with a traceback
        raise FatalError(f"backend {name!r} ({eps[name].value}) cannot be loaded: {exc}", 2) from None
    return cls()


def option_models() -> Mapping[str, type[BaseModel]]:
    """Options model of every installed backend (for manifest validation), loaded when the
    manifest names it under `outputs`: checking a manifest imports no backend it does not use.
    A backend that does not load gets the bare `BackendOptions` (its error comes when it is built)."""
    def model(name: str) -> type[BaseModel]:
        try:
            return load_backend(name).options_model
        except FatalError:
            return BackendOptions
    return Lazy(tuple(registry()), model)


class Lazy(Mapping):
    """name -> `make(name)`, each made on first use and kept: backends and their options models,
    so that a command that finds nothing to do (an unchanged book) imports none of them."""

    def __init__(self, names, make: Callable):
        self._names, self._make, self._made = tuple(names), make, {}

    def __getitem__(self, name: str):
        if name not in self._names:
            raise KeyError(name)
        if name not in self._made:
            self._made[name] = self._make(name)
        return self._made[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


# Order in which formats are built: HTML last, so it can link the PDF and EPUB of the same run.
PREFERRED_ORDER = ("epub", "pdf", "docx")


def build_order(formats: list[str]) -> list[str]:
    known = [f for f in PREFERRED_ORDER if f in formats]
    return known + [f for f in formats if f not in known and f != "html"] + (["html"] if "html" in formats else [])
