"""Every file Chapbook reads is resolved (symlinks followed) and must stay inside the book's folder."""

from __future__ import annotations

import os
from pathlib import Path


class OutsideBook(Exception):
    pass


def confine(root: Path, candidate: str | Path, base: Path | None = None) -> Path:
    """Resolve `candidate` (relative to `base`, default `root`) and refuse anything outside `root`."""
    base = base or root
    resolved = Path(os.path.realpath(base / candidate))
    if not inside(resolved, root):
        raise OutsideBook(f"{candidate} resolves outside the book folder")
    return resolved


def inside(path: Path, folder: Path) -> bool:
    """`path` is `folder` or below it (both already resolved: no `..`, links followed)."""
    return path == folder or folder in path.parents


def relative(root: Path, path: Path) -> str:
    """`path` relative to the book folder, with forward slashes (for messages and JSON)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def walk_posts(root: Path, folder: Path, suffixes=(".md", ".markdown")) -> list[Path]:
    """Post files under `folder`, recursively, never following directory links (no loops)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.lower().endswith(suffixes) and not name.startswith(".") and path.is_file():
                found.append(path)   # regular files only: a FIFO or a device would block the build
    return found
