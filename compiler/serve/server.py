"""What the browser sees: `PreviewServer` serves the files of the last good build, on 127.0.0.1
unless told otherwise. Served HTML pages (never the built files) get one `<script src>` tag for a
same-origin reload script (`reload.js`, package data), which listens to `/__chapbook/events`
(Server-Sent Events): a new build reloads the page, a failed one shows its errors in an overlay
while the last good build stays.
"""

from __future__ import annotations

import html
import ipaddress
import json
import mimetypes
import re
import socket
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from urllib.parse import urlsplit

from compiler.model.diagnostics import FatalError
from compiler.serve.builder import Site

STATUS_PATH = "/__chapbook/status"
EVENTS_PATH = "/__chapbook/events"
KEEPALIVE = 15.0  # seconds between comments on an idle event stream
SCRIPT_PATH = "/__chapbook/reload.js"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@dataclass
class State:
    """The one thing the watcher and the request threads share: what to serve and the last error.

    Every change bumps `version` and wakes the event streams waiting in `wait`."""
    site: Site | None = None
    error: str | None = None
    version: int = 0
    closed: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, site: Site) -> None:
        self._set(site=site, error=None)

    def fail(self, message: str) -> None:
        self._set(error=message)

    def close(self) -> None:
        """Release every waiting event stream (the server is stopping)."""
        self._set(closed=True)

    def _set(self, **values) -> None:
        with self.changed:
            for name, value in values.items():
                setattr(self, name, value)
            self.version += 1
            self.changed.notify_all()

    def snapshot(self) -> tuple[Site | None, str | None]:
        with self.changed:
            return self.site, self.error

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the version differs from `seen` (or `timeout`); return the version."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen or self.closed, timeout)
            return self.version

    def status(self) -> dict:
        with self.changed:
            return {"build": self.site.build if self.site else None, "error": self.error}


RELOAD_JS = (files("compiler.serve") / "reload.js").read_text(encoding="utf-8").replace("__EVENTS__", EVENTS_PATH)

WAITING_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Chapbook preview</title></head>
<body><h1>Chapbook preview</h1><p>{message}</p></body></html>
"""

_HEAD_END = re.compile(rb"</head\s*>", re.I)
_CSP_META = re.compile(rb"<meta\b[^>]*http-equiv\s*=\s*[\"']?content-security-policy[\"']?[^>]*>", re.I)
_CONTENT = re.compile(rb"(\bcontent\s*=\s*)([\"'])(.*?)\2", re.I | re.S)


def inject(page: bytes, build: int | None) -> bytes:
    """The served copy of a page: the reload script tag, and a CSP that lets that script run."""
    page = _CSP_META.sub(lambda m: _CONTENT.sub(_relax, m[0]), page)
    tag = f'<script src="{SCRIPT_PATH}?build={build if build is not None else "none"}" defer></script>'.encode()
    match = _HEAD_END.search(page)
    if match:
        return page[:match.start()] + tag + page[match.start():]
    return page + tag


def _relax(content: re.Match) -> bytes:
    """The content attribute of a CSP meta tag, relaxed (entities decoded first, encoded again)."""
    policy = allow_self(html.unescape(content[3].decode("utf-8", "replace")))
    return content[1] + content[2] + html.escape(policy, quote=True).encode("utf-8") + content[2]


def allow_self(policy: str) -> str:
    """A CSP that also allows same-origin scripts and fetches (for the preview's reload script only)."""
    directives = [d.split() for d in policy.split(";") if d.strip()]
    names = {d[0].lower() for d in directives}
    for wanted, fallbacks in (("script-src", ("script-src-elem", "script-src")), ("connect-src", ("connect-src",))):
        present = [d for d in directives if d[0].lower() in fallbacks]
        for d in present:
            d[1:] = [v for v in d[1:] if v.lower() != "'none'"]
            if "'self'" not in (v.lower() for v in d[1:]):
                d.append("'self'")
        if not present and "default-src" in names:
            directives.append([wanted, "'self'"])
    return "; ".join(" ".join(d) for d in directives)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, state: State, verbose: bool = False):
        self.address_family = _family(host)
        self.state = state
        self.verbose = verbose
        self.loopback = _is_loopback(host)
        super().__init__((host, port), PreviewHandler)


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "chapbook-serve"

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _respond(self, body: bool) -> None:
        if self.server.loopback and not _local_host_header(self.headers.get("Host", "")):
            return self._send(HTTPStatus.FORBIDDEN, b"Forbidden: unexpected Host header\n", "text/plain", body)
        path = urlsplit(self.path).path
        state = self.server.state
        if path == EVENTS_PATH and body:
            return self._events(state)
        if path == STATUS_PATH:
            return self._send(HTTPStatus.OK, json.dumps(state.status()).encode(), "application/json", body)
        site, error = state.snapshot()
        if path == SCRIPT_PATH:
            return self._send(HTTPStatus.OK, RELOAD_JS.encode(), "text/javascript", body)
        if site is None:
            message = "The book could not be built yet: see the error below." if error else "Building the book…"
            return self._page(HTTPStatus.SERVICE_UNAVAILABLE, WAITING_PAGE.format(message=message).encode(), None, body)
        file = site.resolve(path)
        if file is None:
            page = WAITING_PAGE.format(message=f"Not found: {_escape(path)}").encode()
            return self._page(HTTPStatus.NOT_FOUND, page, site.build, body)
        if file.name == "index.html" and not path.endswith(("/", ".html")) and path != "/":
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        data = file.read_bytes()
        if ctype in ("text/html", "application/xhtml+xml"):
            return self._page(HTTPStatus.OK, data, site.build, body, ctype)
        self._send(HTTPStatus.OK, data, ctype, body)

    def _events(self, state: State) -> None:
        """An event stream: the status now and after each change, a comment now and then to keep it open."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = None
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not state.closed:
                version = state.wait(seen, KEEPALIVE) if seen is not None else state.version
                message = f"data: {json.dumps(state.status())}\n\n" if version != seen else ": idle\n\n"
                self.wfile.write(message.encode())
                self.wfile.flush()
                seen = version
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the page went away

    def _page(self, status, data: bytes, build: int | None, body: bool, ctype: str = "text/html") -> None:
        self._send(status, inject(data, build), ctype, body)

    def _send(self, status, data: bytes, ctype: str, body: bool) -> None:
        self.send_response(status)
        if ctype.startswith("text/") or ctype in ("application/json", "application/xhtml+xml"):
            ctype += "; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        raise FatalError(f"--host {host}: not an address or a known host name", 2) from None


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _local_host_header(value: str) -> bool:
    """Refuse other names for a loopback server: a DNS-rebinding page cannot read the book."""
    host = value.strip().lower()
    if host.startswith("["):
        host = host[1:host.find("]")] if "]" in host else host
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return _is_loopback(host)
