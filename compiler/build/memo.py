"""The build cache's memo: the results of Chapbook's own per-post and per-chapter steps, kept in
`.chapbook-cache/memo/<code>/` so that a build after an edit redoes only what the edit changed.

A step's result is stored under the SHA-256 of a key that names everything the step reads (the
callers build the keys: `compiler.compile.memos` and the backends); the folder is named by a hash
of Chapbook's own source files and pandoc's version, so a changed Chapbook (or pandoc) never
reads an older one's results. Values are JSON (never pickle: a book folder may come from
someone else, and its cache folder with it). Entries are written and checked as the pandoc
answers are (`cache._write_entry`: atomic, checksummed); a damaged one is ignored with an info
diagnostic (CB145) and computed again. After a successful build, entries it did not use are
removed, and so are other code versions' folders.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import threading
from importlib import metadata
from pathlib import Path

import orjson

from compiler.build.entries import CACHE_DIR, _read_entry, _write_entry, sha256
from compiler.model.diagnostics import Diagnostic, Severity, diag
from compiler.support import jsonbytes

PACKAGE = Path(__file__).resolve().parent.parent

# the libraries whose answers the memo keeps (parsing, sanitising, templates, dates, XHTML, images)
LIBRARIES = ("pypandoc-binary", "nh3", "Jinja2", "MarkupSafe", "Babel", "lxml", "EbookLib", "Pillow", "weasyprint",
             "pypdfium2", "PyYAML", "python-frontmatter", "markdown-it-py", "pydantic")


@functools.cache
def code_key() -> str:
    """A hash of every file of the `compiler` package (its code, the pandoc worker script, data),
    of pandoc's version and of the libraries' versions: computed once per process."""
    from compiler.compile.pandoc import pandoc_version
    digest = hashlib.sha256(pandoc_version().encode())
    for name in LIBRARIES:
        try:
            digest.update(f"{name} {metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} -\0".encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def key(*parts) -> str:
    """The key of a step's result: a SHA-256 of its inputs (JSON values, keys sorted; anything else
    by its str), written by orjson (a one-edit build makes 6,000 keys on 1,000 posts: the standard
    library took 0.4 s of them)."""
    try:
        data = orjson.dumps(parts, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:   # what orjson does not write (an integer over 64 bits)
        data = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    return sha256(data)


class Memo:
    """Results by kind ("post", "chapter", "epub-section", …) and key, in one code version's folder."""

    def __init__(self, folder: Path, problems: list[Diagnostic]):
        self.root = folder
        self.folder = folder / code_key()
        self.problems = problems
        self.used: set[str] = set()
        self.lock = threading.Lock()

    key = staticmethod(key)

    def _path(self, kind: str, digest: str) -> Path:
        return self.folder / kind / digest[:2] / digest

    def get(self, kind: str, digest: str):
        """The stored value, or None (nothing stored, or a damaged entry: then reported and removed)."""
        payload = self.get_raw(kind, digest)
        return jsonbytes.loads(payload) if payload is not None else None

    def get_raw(self, kind: str, digest: str) -> bytes | None:
        """The stored value's JSON, checked (read with `decode` when needed), or None as `get`."""
        path = self._path(kind, digest)
        try:
            payload = _read_entry(path)
        except (ValueError, OSError):
            payload = None
            path.unlink(missing_ok=True)
            with self.lock:
                self.problems.append(diag("CB145", f"{CACHE_DIR}/{path.relative_to(self.root.parent).as_posix()}",
                                          None, "cache entry unreadable or damaged: ignored and computed again",
                                          Severity.INFO))
        if payload is not None:
            with self.lock:
                self.used.add(f"{kind}/{digest}")
        return payload

    decode = staticmethod(jsonbytes.loads)

    def put(self, kind: str, digest: str, value, again: bool = False) -> None:
        """Store `value` (once per build; `again`: replace what this build read, found out of date)."""
        if not self._claim(kind, digest, again):
            return
        try:
            payload = jsonbytes.dumps(value)
        except (TypeError, ValueError, RecursionError):   # not JSON (too deep): not kept, computed again
            return
        self._write(kind, digest, payload)

    def put_raw(self, kind: str, digest: str, payload: bytes, again: bool = False) -> None:
        """`put` for a value its caller already wrote as JSON."""
        if self._claim(kind, digest, again):
            self._write(kind, digest, payload)

    def _claim(self, kind: str, digest: str, again: bool) -> bool:
        with self.lock:
            if f"{kind}/{digest}" in self.used and not again:
                return False
            self.used.add(f"{kind}/{digest}")
            return True

    def _write(self, kind: str, digest: str, payload: bytes) -> None:
        try:
            _write_entry(self._path(kind, digest), payload)
        except OSError:
            pass   # a cache that cannot be written is no cache: the build goes on

    def prune(self) -> None:
        """Remove the entries this build did not use, and every other code version's folder."""
        if not self.root.is_dir():
            return
        for other in self.root.iterdir():
            if other != self.folder:
                shutil.rmtree(other, ignore_errors=True)
        if not self.folder.is_dir():
            return
        for kind in self.folder.iterdir():
            for sub in kind.iterdir() if kind.is_dir() else ():
                for entry in sub.iterdir() if sub.is_dir() else ():
                    if f"{kind.name}/{entry.name}" not in self.used and not entry.name.startswith(".entry."):
                        entry.unlink(missing_ok=True)
