"""Private temporary folders for child processes (pandoc, the WeasyPrint renderer).

A child gets its own `TMPDIR` inside a folder the parent creates and removes, so whatever the
child leaves behind (pandoc's `pandoc-hist*` files, a renderer killed on a time-out or by Ctrl-C)
is removed with it: no command leaves anything in the user's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def private_tmp(prefix: str = "chapbook-"):
    """Yield the environment for a child process, with TMPDIR (and TEMP, TMP) pointing into a fresh
    folder that is removed, with everything in it, when the block ends (also on errors and Ctrl-C)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        path = str(folder)
        yield {**os.environ, "TMPDIR": path, "TEMP": path, "TMP": path}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
