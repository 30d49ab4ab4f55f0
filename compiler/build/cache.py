"""The build cache: `.chapbook-cache/` beside book.yml (safe to delete; git-ignored).

Three things are kept, all keyed so that a hit can only be what a cold build would compute:
- **the memo** (`memo/<code>/…`, compiler/build/memo.py): Chapbook's own per-post and per-chapter
  results, pandoc's parse of each post and its HTML of each chapter among them, each keyed by
  everything it reads; the whole-book steps (ids, links, lint, the backends' whole-book files) are
  recomputed from them on every build, so a change in one post that moves another's links is
  always seen.
- **pandoc's answers** (`pandoc/<versions>/…`), for a caller of the compile stage without the memo:
  each request (operation, format, options and the whole input) hashed with SHA-256; the folder is
  named by the pandoc version, Chapbook's version and the worker script's hash.
- **stamps** (`stamps/…`): what a successful build or check read and wrote. Chapbook reads nothing
  outside the book folder, its theme folders and its own package, so a stamp lists every file
  there (size and modification time, and a SHA-256 to tell a touched file from a changed one) and
  the environment that changes outputs (`SOURCE_DATE_EPOCH`, the command's options). When nothing
  differs and the outputs are as written, `build` says so and writes nothing; `check` repeats the
  stamped report.

Safe by construction: every entry is written to a temporary file and renamed into place, and
carries a checksum of its payload, so a killed build leaves either a whole entry or none, and a
truncated or garbled one is ignored (and rebuilt, with an info diagnostic). Concurrent builds of
one book at worst compute an entry twice. Entries a successful build did not use are removed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

from compiler import __version__
from compiler.build.entries import CACHE_DIR, _read_entry, _write_entry, sha256
from compiler.model.diagnostics import Diagnostic, Severity, diag

SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", CACHE_DIR}


@dataclass
class Answers:
    """pandoc's answers on disk, with the mapping calls `compiler.compile.pandoc` makes of its cache."""
    folder: Path
    problems: list[Diagnostic]
    used: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _path(self, digest: str) -> Path:
        return self.folder / digest[:2] / digest

    def get(self, key: str) -> str | None:
        digest = sha256(key)
        try:
            payload = _read_entry(self._path(digest))
        except (ValueError, OSError):
            self._damaged(digest)
            return None
        if payload is None:
            return None
        with self.lock:
            self.used.add(digest)
        return payload.decode("utf-8")

    def clear(self) -> None:
        """Nothing to forget: entries this build does not use are pruned after it (`prune`)."""

    def update(self, kept: dict[str, str]) -> None:
        for key, line in kept.items():
            digest = sha256(key)
            with self.lock:
                known = digest in self.used
                self.used.add(digest)
            if not known:
                try:
                    _write_entry(self._path(digest), line.encode("utf-8"))
                except OSError:
                    pass   # a cache that cannot be written is no cache: the build goes on

    def _damaged(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)
        with self.lock:
            self.problems.append(diag("CB145", f"{CACHE_DIR}/{self._path(digest).relative_to(self.folder.parent.parent)}",
                                      None, "cache entry unreadable or damaged: ignored and computed again",
                                      Severity.INFO))

    def prune(self) -> None:
        """Remove the entries this build did not use (bounded size: one build's worth, plus a stamp's)."""
        if not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            for entry in sub.iterdir() if sub.is_dir() else ():
                if entry.name not in self.used and not entry.name.startswith(".entry."):
                    entry.unlink(missing_ok=True)


class BuildCache:
    """One book's cache folder (None: caching is off, `--no-cache`)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.problems: list[Diagnostic] = []
        self.reads: Answers | None = None
        self.writes: Answers | None = None
        self.memo = None    # compiler.build.memo.Memo, made with the pandoc cache

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def pandoc(self):
        """A `compiler.compile.pandoc.Cache` whose answers live in this folder (None when off)."""
        if self.folder is None:
            return None
        from compiler.compile import pandoc   # the compile stage's cache type, filled with our mappings
        base = self.folder / "pandoc" / _tools_key(pandoc)
        self.reads, self.writes = Answers(base / "read", self.problems), Answers(base / "write", self.problems)
        from compiler.build.memo import Memo
        self.memo = Memo(self.folder / "memo", self.problems)
        return pandoc.Cache(reads=self.reads, writes=self.writes, memo=self.memo)

    def prune(self) -> None:
        """After a successful build: drop pandoc answers it did not use, and other tool versions' folders."""
        for answers in (self.reads, self.writes, self.memo):
            if answers is not None:
                answers.prune()
        if self.reads is not None and (self.folder / "pandoc").is_dir():
            for other in (self.folder / "pandoc").iterdir():
                if other != self.reads.folder.parent:
                    shutil.rmtree(other, ignore_errors=True)

    # --- stamps: nothing changed since the last build -------------------------------------------

    def _stamp_path(self, kind: str, key: dict) -> Path:
        return self.folder / "stamps" / f"{kind}-{sha256(json.dumps(key, sort_keys=True))[:32]}.json"

    def unchanged(self, kind: str, key: dict, sources: list[Path], exclude: list[Path]) -> dict | None:
        """The stamp's record when every input and output is as it recorded, else None."""
        if self.folder is None:
            return None
        path = self._stamp_path(kind, key)
        try:
            payload = _read_entry(path)
            record = json.loads(payload) if payload is not None else None
        except (ValueError, OSError):
            path.unlink(missing_ok=True)
            self.problems.append(diag("CB145", f"{CACHE_DIR}/stamps/{path.name}", None,
                                      "cache entry unreadable or damaged: ignored and computed again", Severity.INFO))
            return None
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        if not _same_files(record.get("inputs", {}), snapshot(sources, exclude), hash_changed=True):
            return None
        outputs = record.get("outputs", {})
        if not _same_files(outputs, {p: _stat(Path(p)) for p in outputs}, hash_changed=False):
            return None
        return record

    def stamp(self, kind: str, key: dict, sources: list[Path], exclude: list[Path], outputs: list[Path],
              report: list[dict], before: dict[str, list]) -> None:
        """Record a successful run. `before` is `snapshot(sources, exclude)` taken when the run
        started: when a file was edited during the run, nothing is stamped (the next run is not skipped)."""
        if self.folder is None:
            return
        now = snapshot(sources, exclude, digest=True)
        if {p: v[:2] if v else v for p, v in now.items()} != {p: v[:2] if v else v for p, v in before.items()}:
            return
        files = [o for out in outputs for o in (sorted(x for x in out.rglob("*") if x.is_file()) if out.is_dir() else [out])]
        record = {"key": key, "inputs": now, "outputs": {str(p): _stat(p, digest=True) for p in files}, "report": report}
        try:
            _write_entry(self._stamp_path(kind, key), json.dumps(record).encode())
        except OSError:
            pass


def _tools_key(pandoc) -> str:
    script = Path(pandoc.__file__).with_name("pandoc_worker.lua").read_bytes()
    return f"pandoc-{pandoc.pandoc_version()}-chapbook-{__version__}-{sha256(script)[:12]}"


def _stat(path: Path, digest: bool = False) -> list | None:
    """[size, mtime_ns, sha256 or None] of a regular file; None for anything else (a FIFO or a
    device is never opened: reading it would block), or a file gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    try:
        return [st.st_size, st.st_mtime_ns, sha256(path.read_bytes()) if digest else None]
    except OSError:
        return None


def snapshot(sources: list[Path], exclude: list[Path] = (), digest: bool = False) -> dict[str, list]:
    """Every file under each source folder (or the file itself), less the `exclude` folders (the
    outputs): path -> [size, mtime_ns, sha256 or None]."""
    skip = {os.path.realpath(e) for e in exclude}
    found: dict[str, list] = {}
    for source in sources:
        if source.is_file():
            found[str(source)] = _stat(source, digest)
            continue
        for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
            dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".chapbook-build")
                           and os.path.realpath(os.path.join(dirpath, d)) not in skip]
            for name in filenames:
                path = Path(dirpath) / name
                found[str(path)] = _stat(path, digest)
    return found


def _same_files(recorded: dict[str, list], current: dict[str, list | None], hash_changed: bool) -> bool:
    """Same set of files, each with the same size and time; a time that moved alone (a touch, a
    checkout) is compared by content when `hash_changed`."""
    if set(recorded) != set(current):
        return False
    for path, was in recorded.items():
        now = current[path]
        if now is None or was is None or now[0] != was[0]:
            return False
        if now[1] != was[1]:
            if not hash_changed or was[2] is None or (_stat(Path(path), digest=True) or [None] * 3)[2] != was[2]:
                return False
    return True


def sources_of(root: Path, theme_folders) -> list[Path]:
    """What a build may read: the book folder, its theme folders and Chapbook itself (nothing else
    is ever read: see compiler.support.paths)."""
    return [root, *(Path(f) for f in theme_folders), Path(__file__).resolve().parent.parent]


def clean(root: Path, cache_dir: Path | None = None, out_dir: Path | None = None) -> list[Path]:
    """`chapbook clean`: remove the cache folder and the default output folder; returns what went."""
    removed = []
    for folder in (cache_dir or root / CACHE_DIR, out_dir or root / "dist"):
        if folder.is_dir():
            shutil.rmtree(folder)
            removed.append(folder)
    return removed
