"""Selection: which posts the manifest puts in the book (`chapters`, `parts` or `series`, plus
front and back matter), in order, each loaded (`compiler.load.sources`)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from compiler.load.manifest import LoadedManifest
from compiler.load.selection import check_paths, require_chapters
from compiler.load.sources import Post, load_post
from compiler.model.diagnostics import Diagnostic, diag
from compiler.support.paths import OutsideBook, confine, relative, walk_posts


@dataclass(frozen=True)
class Entry:
    """One file the manifest puts in the book, and where."""
    post: Post
    kind: str            # chapter | front | back
    part: int | None     # index into manifest parts, if any


def select(loaded: LoadedManifest) -> tuple[list[Entry], list[Diagnostic]]:
    """The posts the manifest puts in the book, in order (loaded), and the problems of finding them."""
    m = loaded.manifest
    check_paths(loaded)   # a missing or outside path is a manifest error (exit 2): nothing opened
    problems: list[Diagnostic] = []
    entries: list[Entry] = []
    entries += _listed(loaded, m.front_matter, ("front_matter",), "front", None, problems)
    if m.chapters is not None:
        entries += _listed(loaded, m.chapters, ("chapters",), "chapter", None, problems)
    elif m.parts is not None:
        for i, part in enumerate(m.parts):
            entries += _listed(loaded, part.chapters, ("parts", i, "chapters"), "chapter", i, problems)
    else:
        entries += _series(loaded, problems)
    entries += _listed(loaded, m.back_matter, ("back_matter",), "back", None, problems)
    require_chapters(loaded, sum(e.kind == "chapter" for e in entries))
    return entries, problems


def _listed(loaded, paths, key, kind, part, problems) -> list[Entry]:
    out = []
    for i, name in enumerate(paths):
        path = _resolve_entry(loaded, name, key + (i,), problems)
        if path is not None:
            out.append(Entry(load_post(path, relative(loaded.root, path)), kind, part))
    return out


def _resolve_entry(loaded: LoadedManifest, name: str, key: tuple, problems) -> Path | None:
    where = ".".join(str(k) for k in key)
    try:
        path = confine(loaded.root, name)
    except OutsideBook:
        problems.append(diag("CB100", loaded.name, loaded.line(*key),
                             f"{where}: {name} is outside the book folder; move it into the folder of {loaded.name}"))
        return None
    if not path.is_file():
        problems.append(diag("CB100", loaded.name, loaded.line(*key),
                             f"{where}: {name} does not exist; fix the path (relative to {loaded.name})"))
        return None
    return path


def _series(loaded: LoadedManifest, problems) -> list[Entry]:
    s, root = loaded.manifest.series, loaded.root
    try:
        folder = confine(root, s.from_)
    except OutsideBook:
        problems.append(diag("CB100", loaded.name, loaded.line("series", "from"), f"series.from: {s.from_} is outside the book folder"))
        return []
    if not folder.is_dir():
        problems.append(diag("CB100", loaded.name, loaded.line("series", "from"), f"series.from: folder {s.from_} does not exist"))
        return []
    wanted = {t.casefold() for t in s.tags}
    posts = []
    for path in walk_posts(root, folder):
        try:
            real = confine(root, path)
        except OutsideBook:
            problems.append(diag("CB100", relative(root, path), None, "links to a file outside the book folder: skipped"))
            continue
        rel = relative(root, path)
        if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(path.name, pat) for pat in s.exclude):
            continue
        post = load_post(real, rel)
        unread = any(d.code == "CB151" for d in post.diagnostics)   # too large to read: its tags are unknown
        if wanted and not wanted & {t.casefold() for t in post.tags} and not unread:
            continue
        posts.append(post)
    if s.order == "date":
        posts.sort(key=lambda p: (p.date is None, naive_utc(p.date), p.title.casefold()))
    elif s.order == "title":
        posts.sort(key=lambda p: p.title.casefold())
    return [Entry(p, "chapter", None) for p in posts]


def naive_utc(when: datetime | None) -> datetime:
    """Comparable datetimes: aware ones converted to UTC, naive ones taken as they are."""
    if when is None:
        return datetime.min
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when
