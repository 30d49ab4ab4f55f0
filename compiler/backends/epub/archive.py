"""Make EbookLib's ZIP the same bytes for the same book.

EbookLib already writes `mimetype` first and stored (as OCF requires) and every other entry in a
fixed order with fixed attributes; only the entry times come from the clock. Those are rewritten
here in place, in each local header and central directory record, to the build time
(SOURCE_DATE_EPOCH when set). Rewriting just those fields keeps the compressed data as EbookLib
wrote it: no second compression pass.
"""

from __future__ import annotations

import struct
from datetime import datetime

LOCAL, CENTRAL, END = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"


class ZipLayoutError(Exception):
    """The archive is not laid out as zipfile writes it (a bug, not a problem with the book)."""


def fix_times(data: bytes, when: datetime) -> bytes:
    """`data` with every entry's modification time set to `when`."""
    out = bytearray(data)
    stamp = _dos(when)
    end = out.rfind(END, max(0, len(out) - 22 - 65535))
    if end < 0:
        raise ZipLayoutError("no end of central directory record")
    count, _, start = struct.unpack_from("<HII", out, end + 10)
    pos = start
    for _ in range(count):
        if out[pos:pos + 4] != CENTRAL:
            raise ZipLayoutError(f"no central directory record at {pos}")
        struct.pack_into("<HH", out, pos + 12, *stamp)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, pos + 28)
        (local,) = struct.unpack_from("<I", out, pos + 42)
        if out[local:local + 4] != LOCAL:
            raise ZipLayoutError(f"no local header at {local}")
        struct.pack_into("<HH", out, local + 10, *stamp)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(out)


def _dos(when: datetime) -> tuple[int, int]:
    """(time, date) in MS-DOS form, clamped to its range (1980 to 2107)."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    y, mo, d, h, mi, s = max((1980, 1, 1, 0, 0, 0), min(stamp, (2107, 12, 31, 23, 59, 58)))
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d
