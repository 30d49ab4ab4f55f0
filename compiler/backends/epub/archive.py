"""Rewrite EbookLib's ZIP so the same book gives the same bytes.

EbookLib stamps every entry with the current time and its own order of writing. The rewrite puts
`mimetype` first and stored (as OCF requires), then the container, the package document and the
rest in EbookLib's (deterministic) order, each with the build time (SOURCE_DATE_EPOCH when set),
Unix permissions 0644 and no extra fields. Images and woff fonts are stored, not deflated again.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

FIRST = ("mimetype", "META-INF/container.xml")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def rewrite(raw: bytes, when: datetime, stored: set[str]) -> bytes:
    """`stored`: entry names not worth deflating (already compressed)."""
    stamp = _stamp(when)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        order = [n for n in FIRST if n in names] + [n for n in names if n not in FIRST]
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            store = name == "mimetype" or name in stored
            info.compress_type = zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name), compresslevel=None if store else 6)
    return out.getvalue()


def _stamp(when: datetime) -> tuple[int, int, int, int, int, int]:
    """ZIP times are local-less DOS times from 1980 to 2107: clamp to that range."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    return max(ZIP_EPOCH, min(stamp, (2107, 12, 31, 23, 59, 58)))
