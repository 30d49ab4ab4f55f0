"""Atomic outputs: write beside the target, then rename, so a failed build leaves the old file.

A whole build is atomic too: `chapbook build` writes every format into a staging folder inside
the output folder and `publish`es them together only when all succeeded, so a build that fails
half-way (one backend's error, Ctrl-C, SIGTERM) leaves the previous book whole, not a new EPUB
beside an old PDF.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path in the target's folder; on success it replaces `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_bytes(target: Path, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


@contextmanager
def atomic_dir(target: Path):
    """Yield a temporary folder; on success it replaces the folder `target` (old one removed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        _replace_dir(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_dir(source: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(source, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class OutputFolderError(OSError):
    """The output folder cannot be created or written (a file is in the way, no permission)."""


STAGING_PREFIX = ".chapbook-build-"   # hidden, and never a name an output takes


def staging(out_dir: Path) -> Path:
    """A private folder inside `out_dir` for one build's outputs (same file system: `publish`
    renames). Its name carries the building process's id; the staging folders of builds that were
    killed without a chance to clean up (SIGKILL, a power cut) are removed first."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out_dir)
        return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out_dir))
    except OSError as exc:
        raise OutputFolderError(exc.errno, exc.strerror, str(out_dir)) from None


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Remove the staging folders in `out_dir` whose build process is gone; return them."""
    removed = []
    for entry in out_dir.iterdir():
        if not entry.name.startswith(STAGING_PREFIX) or entry.is_symlink() or not entry.is_dir():
            continue
        pid = entry.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and _running(int(pid)):
            continue   # a build running right now (in another terminal)
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # exists, owned by someone else
        return True
    return True


def publish(staged: Path, out_dir: Path) -> dict[Path, Path]:
    """Move everything `staged` holds into `out_dir`, each file or folder replacing its old
    version; returns staged path -> published path."""
    moved = {}
    for entry in sorted(staged.iterdir()):
        target = out_dir / entry.name
        if entry.is_dir():
            _replace_dir(entry, target)
        else:
            os.replace(entry, target)
        moved[entry] = target
    return moved
