"""One entry of the build cache (`.chapbook-cache/`): a payload behind a checksum line, written
to a temporary file and renamed into place, so a reader sees a whole entry or none, and a
truncated or garbled one is refused (`ValueError`)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CACHE_DIR = ".chapbook-cache"
MAGIC = b"chapbook-cache 1 "


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _write_entry(path: Path, payload: bytes) -> None:
    """`payload` with a checksum line, renamed into place (a reader sees all of it or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".entry.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + sha256(payload).encode() + b"\n" + payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_entry(path: Path) -> bytes | None:
    """The payload, None when there is no entry; ValueError when it is damaged."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    head, sep, payload = data.partition(b"\n")
    if not sep or not head.startswith(MAGIC) or head[len(MAGIC):].decode("ascii", "replace") != sha256(payload):
        raise ValueError("damaged")
    return payload
