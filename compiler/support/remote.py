"""Remote images, when the manifest allows the network (`network: true`): fetched with bounds and
measured like a local image before any output uses them.

A remote decompression bomb (a small PNG declaring 30000×30000 pixels) or an image over the pixel
limit or the size limit is reported where the post uses it and left out of every output (the
compile stage drops it, as it drops a local one); the PDF's fetcher measures what it is served
again, so a server answering differently the second time cannot slip one in.
"""

from __future__ import annotations

import io
import threading
import time
import urllib.error
import urllib.request
import zlib
from http.client import HTTPException

from compiler.support.images import oversized, sniff

MAX_REMOTE_BYTES = 64 << 20   # as a local resource of the PDF (backends/pdf/fetcher.py)
TIMEOUT = 10                  # seconds without an answer from the server
DEADLINE = 30                 # seconds for a whole image, however slowly it arrives


class RemoteError(Exception):
    """A remote resource refused (too large, too slow, an unknown encoding); the message says why."""


def fetch(url: str, limit: int = MAX_REMOTE_BYTES, timeout: float = TIMEOUT,
          deadline: float = DEADLINE) -> tuple[bytes, str]:
    """The body (decoded, at most `limit` bytes) and content type of an http(s) URL. Raises
    RemoteError past a bound, OSError/HTTPException/ValueError when it cannot be fetched."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "chapbook", "Accept-Encoding": "identity"})
    end = time.monotonic() + deadline
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if not response.geturl().lower().startswith(("http://", "https://")):
            raise RemoteError("redirected away from http(s)")
        chunks, size = [], 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
            if size > limit:
                raise RemoteError(f"larger than {limit >> 20} MiB")
            if time.monotonic() > end:
                raise RemoteError(f"took more than {deadline:g} s to download")
            chunks.append(chunk)
        body = b"".join(chunks)
        encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
        kind = response.headers.get("Content-Type") or "application/octet-stream"
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 32 if encoding != "deflate" else zlib.MAX_WBITS)
        try:
            body = inflate.decompress(body, limit + 1)
        except zlib.error:
            raise RemoteError(f"damaged {encoding} encoding") from None
        if len(body) > limit or inflate.unconsumed_tail:
            raise RemoteError(f"larger than {limit >> 20} MiB once decompressed")
    elif encoding != "identity":
        raise RemoteError(f"sent with an unknown encoding ({encoding})")
    return body, kind


def image_problem(body: bytes) -> str | None:
    """Why an image's bytes are refused (over the pixel limit, a bomb), or None."""
    return oversized(io.BytesIO(body)) if sniff(body) not in (None, "image/svg+xml") else None


_lock = threading.Lock()


def remote_image_problem(url: str, memo: dict | None = None) -> str | None:
    """Why the remote image at `url` is left out (a bomb, too many pixels, too large, too slow), or
    None (also when it cannot be fetched now: the outputs link or load it as before). `memo` keeps
    the answers of one build, so an image used twice is fetched once."""
    memo = {} if memo is None else memo
    with _lock:
        if url in memo:
            return memo[url]
    try:
        why = image_problem(fetch(url)[0])
    except RemoteError as exc:
        why = str(exc)
    except (OSError, HTTPException, ValueError, urllib.error.URLError):
        why = None
    with _lock:
        memo[url] = why
    return why
