"""A folder of finished build pieces, found by a key that names everything that went into them.

The PDF backend keeps each rendered chunk here (`.chapbook-cache/pdf/` beside book.yml): a
chunk whose key is unchanged is not laid out again. The key is the caller's business (it must
cover everything that changes the bytes); this module only stores and finds files:

- `get(key)` gives the path of a stored file, or None;
- `put(key, file)` stores a copy atomically (a temporary file in the cache folder, renamed), so a
  reader never sees half a file and two builds may share the folder;
- `prune(keep)` removes the entries this build did not use.

Every failure to read or write the cache is silent: a cache is an optimisation, never a reason
for a build to fail.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

CACHE_FOLDER = ".chapbook-cache"


def cache_key(*parts: bytes | str) -> str:
    """A hex digest of `parts` (length-prefixed, so ("ab", "c") and ("a", "bc") differ)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class ChunkCache:
    """Files by key in one folder; `suffix` is the stored files' extension."""

    def __init__(self, folder: Path, suffix: str = ""):
        self.folder = folder
        self.suffix = suffix

    @classmethod
    def beside(cls, book_root: Path, kind: str, suffix: str = "") -> "ChunkCache | None":
        """The cache for `kind` beside book.yml, or None when CHAPBOOK_CACHE=off."""
        return cls.within(book_root / CACHE_FOLDER, kind, suffix)

    @classmethod
    def within(cls, cache_dir: Path | None, kind: str, suffix: str = "") -> "ChunkCache | None":
        """The cache for `kind` in the build cache's folder (`--cache-dir`), or None when there is
        none (`--no-cache`) or CHAPBOOK_CACHE=off."""
        if cache_dir is None or os.environ.get("CHAPBOOK_CACHE", "").lower() in ("0", "off", "no", "false"):
            return None
        return cls(cache_dir / kind, suffix)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{self.suffix}"

    def get(self, key: str) -> Path | None:
        path = self._path(key)
        try:
            if path.is_file():
                os.utime(path)                  # recently used
                return path
        except OSError:
            pass
        return None

    def put(self, key: str, source: Path) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
            try:
                with os.fdopen(handle, "wb") as out, open(source, "rb") as src:
                    shutil.copyfileobj(src, out)
                os.replace(tmp, self._path(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass

    def prune(self, keep: set[str]) -> None:
        """Remove stored files whose key is not in `keep` (and temporary files left by a crash)."""
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return
        wanted = {f"{key}{self.suffix}" for key in keep}
        for entry in entries:
            if entry.name not in wanted and entry.is_file():
                try:
                    entry.unlink()
                except OSError:
                    pass
