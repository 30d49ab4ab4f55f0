"""Themes: a folder of CSS and Jinja2 templates, per medium (`epub/`, `pdf/`, `html/`, `common/`).

A built-in theme lives in the project's `themes/` folder. A book may set `theme:` to a folder of
its own (inside the book folder); its `theme.yml` may say `extends: <built-in>`, and a file is
looked up in the book's theme first, then in the theme it extends (default: `default`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from compiler.load import yamlsafe
from compiler.model.diagnostics import FatalError
from compiler.support.paths import OutsideBook, confine


def builtin_dir() -> Path:
    """`themes/` beside the package in a checkout, or the installed copy (`compiler/themes`)."""
    package = Path(__file__).resolve().parent.parent  # compiler/
    for candidate in (package.parent / "themes", package / "themes"):
        if (candidate / "default").is_dir():
            return candidate
    raise FatalError("built-in themes not found; reinstall chapbook", 2)


def builtin_names() -> list[str]:
    return sorted(p.name for p in builtin_dir().iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


@dataclass(frozen=True)
class Theme:
    name: str
    folders: tuple[Path, ...]   # lookup order: the book's own theme first

    def find(self, relpath: str) -> Path | None:
        """The first theme file with this path. A file that links out of its theme folder is refused:
        nothing outside the book folder and the themes is ever read."""
        for folder in self.folders:
            try:
                candidate = confine(folder.resolve(), relpath)
            except OutsideBook:
                if (folder / relpath).is_symlink() or (folder / relpath).exists():
                    raise FatalError(f"theme file {folder / relpath} links outside the theme folder; "
                                     "copy the file into the theme instead", 2) from None
                continue
            if candidate.is_file():
                return candidate
        return None

    def layers(self, relpath: str) -> list[tuple[int, Path]]:
        """Every theme's own copy of `relpath`, the theme furthest down the chain first (so the
        book's theme comes last and wins the cascade), with its index in `folders`. Used for
        `<medium>/theme.css`: additions to the medium's stylesheet that are appended, not replaced."""
        found = []
        for index in reversed(range(len(self.folders))):
            path = Theme(self.name, (self.folders[index],)).find(relpath)
            if path is not None:
                found.append((index, path))
        return found

    def read(self, relpath: str) -> str:
        path = self.find(relpath)
        if path is None:
            raise FatalError(f"theme {self.name!r} has no file {relpath}", 2)
        return read_theme_text(path)

    def environment(self, medium: str) -> jinja2.Environment:
        """Jinja2 with autoescaping, loading `<medium>/…` then `common/…` through the lookup order
        (each template confined to its theme folder, like every theme file)."""
        def source(name: str):
            path = self.find(f"{medium}/{name}") or self.find(f"common/{name}")
            if path is None:
                return None
            mtime = path.stat().st_mtime
            return read_theme_text(path), str(path), lambda: path.stat().st_mtime == mtime
        # Sandboxed: a theme is data from the book's folder, and its templates must not reach
        # Python (`cycler.__init__.__globals__.os` and the like are refused).
        return SandboxedEnvironment(loader=jinja2.FunctionLoader(source), autoescape=True,
                                    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                    keep_trailing_newline=True)


def read_theme_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FatalError(f"theme file is not UTF-8 (byte {exc.start}); save it as UTF-8", 2, path) from None


def template_problem(exc: jinja2.TemplateError) -> FatalError:
    """A theme template that does not compile or render, as a usage error (exit 2) naming the file
    and line: Chapbook's own templates are tested, so the theme is what to fix."""
    where = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    kind = "is not valid Jinja" if isinstance(exc, jinja2.TemplateSyntaxError) else "failed"
    return FatalError(f"theme template {kind}: {exc.message or exc}; fix the template (or remove it to use the "
                      "parent theme's)", 2, Path(where) if where else None, line)


def load_theme(name: str, root: Path) -> Theme:
    builtins = builtin_dir()
    if (builtins / name).is_dir() and "/" not in name:
        return Theme(name, _chain(builtins / name, builtins))
    try:
        folder = confine(root, name)
    except OutsideBook:
        raise FatalError(f"theme {name!r} is outside the book folder", 2) from None
    if not folder.is_dir():
        raise FatalError(f"theme {name!r} is neither a built-in theme ({', '.join(builtin_names())}) "
                         "nor a folder in the book", 2)
    return Theme(name, _chain(folder, builtins))


def _chain(folder: Path, builtins: Path) -> tuple[Path, ...]:
    chain = [folder]
    seen = {folder}
    while True:
        parent = _extends(chain[-1])
        if parent is None:
            parent = "default" if chain[-1] != builtins / "default" else None
        if parent is None:
            return tuple(chain)
        if parent not in builtin_names():   # never a path: a theme reads nothing outside the book
            raise FatalError(f"theme {chain[-1].name!r} extends unknown theme {parent!r}; `extends:` names a "
                             f"built-in theme ({', '.join(builtin_names())})", 2, chain[-1] / "theme.yml")
        nxt = builtins / parent
        if nxt in seen:
            return tuple(chain)
        chain.append(nxt)
        seen.add(nxt)


def _extends(folder: Path) -> str | None:
    spec = folder / "theme.yml"
    if not spec.is_file():
        return None
    try:
        data = yamlsafe.load(read_theme_text(spec)).data or {}
    except yamlsafe.YamlSyntaxError as exc:
        raise FatalError(exc.message, 2, spec, exc.line) from None
    value = data.get("extends") if isinstance(data, dict) else None
    return str(value) if value else None
