"""Live preview for `chapbook serve`: build the HTML booklet, serve it, rebuild on change, reload.

Three parts, one job each:
- `Builder` compiles the book and runs the `html` backend (whatever it currently is, through the
  registry) into a fresh folder of a private temporary directory, never into the book's `dist/`.
  It keeps the compiled book, so a change to the theme alone skips recompiling the posts.
- `PreviewServer` serves the files of the last good build, on 127.0.0.1 unless told otherwise.
  Served HTML pages (never the built files) get one `<script src>` tag for a same-origin reload
  script, which listens to `/__chapbook/events` (Server-Sent Events): a new build
  reloads the page, a failed one shows its errors in an overlay while the last good build stays.
- `run` wires them to `watchfiles` and turns Ctrl-C into a clean stop.
"""

from __future__ import annotations

import html
import ipaddress
import json
import mimetypes
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import webbrowser
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import unquote, urlsplit

from watchfiles import Change, DefaultFilter, watch

from compiler.model.diagnostics import Diagnostic, FatalError, Severity, has_errors
from compiler.compile.pandoc import Cache

if TYPE_CHECKING:
    from compiler.model.book import Book
    from compiler.load.manifest import LoadedManifest

STATUS_PATH = "/__chapbook/status"
EVENTS_PATH = "/__chapbook/events"
KEEPALIVE = 15.0  # seconds between comments on an idle event stream
SCRIPT_PATH = "/__chapbook/reload.js"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


# --- builds --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Site:
    """One good build: the folder served and the page served for `/`."""
    root: Path
    index: str
    build: int

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names inside the build, or None (never anything outside it)."""
        parts = [p for p in unquote(url_path).split("/") if p not in ("", ".")]
        if any(p == ".." or "\0" in p or "\\" in p for p in parts):
            return None
        candidate = self.root.joinpath(*parts) if parts else self.root / self.index
        if candidate.is_dir():
            candidate = candidate / "index.html"
        real = Path(os.path.realpath(candidate))
        if self.root not in real.parents or not real.is_file():
            return None
        return real


class BuildFailed(Exception):
    """A build that produced nothing to serve; its message is shown in the page and the terminal."""


@dataclass(frozen=True)
class Built:
    site: Site
    problems: list[Diagnostic]
    compiled: bool              # False: only the theme or an image changed, the book was reused


Changes = set[tuple[Change, Path]]


@dataclass
class Builder:
    """Builds the booklet into `workdir/<n>/`; remembers the last compiled book between builds."""
    manifest: Path
    workdir: Path
    count: int = 0
    loaded: LoadedManifest | None = None
    book: Book | None = None
    book_problems: list[Diagnostic] = field(default_factory=list)
    theme_folders: tuple[Path, ...] = ()
    reported: list[Diagnostic] = field(default_factory=list)    # warnings last printed
    pandoc_cache: Cache = field(default_factory=Cache)          # only changed posts go to pandoc again

    @property
    def root(self) -> Path:
        return self.manifest.resolve().parent

    def watch_paths(self) -> list[Path]:
        """The book folder, and the theme folders outside it (built-in themes)."""
        outside = [f for f in self.theme_folders if self.root not in f.parents and f != self.root]
        return [self.root, *sorted(set(outside))]

    def needs_compile(self, changes: Changes) -> bool:
        """Only theme files changed, or images the book uses were modified: the compiled book holds."""
        if self.book is None or not changes:
            return True
        assets = {Path(os.path.realpath(p)) for p in self.book.assets.values()}
        for kind, path in changes:
            in_theme = any(f == path or f in path.parents for f in self.theme_folders)
            if not in_theme and not (kind == Change.modified and path in assets):
                return True
        return False

    def build(self, changes: Changes | None = None) -> Built:
        from compiler.backends import BuildContext, load_backend
        from compiler.load.theme import load_theme

        compiled = changes is None or self.needs_compile(changes)
        try:
            if compiled:
                self._compile()
            theme = load_theme(self.loaded.manifest.theme, self.loaded.root)
            self.theme_folders = tuple(Path(os.path.realpath(f)) for f in theme.folders)
            backend = load_backend("html")
            options = backend.options_model.model_validate(self.loaded.manifest.outputs.get("html") or {})
        except FatalError as exc:
            raise BuildFailed(str(exc)) from None
        self.count += 1
        out = self.workdir / str(self.count)
        ctx = BuildContext(out_dir=out, theme=theme, formats=("html",))
        try:
            paths = backend.build(self.book, options, ctx)
        except FatalError as exc:
            raise BuildFailed(str(exc)) from None
        except Exception as exc:  # a backend bug must not stop the preview
            raise BuildFailed(f"the html backend failed: {type(exc).__name__}: {exc}") from None
        if has_errors(ctx.diagnostics):
            raise BuildFailed(describe(ctx.diagnostics))
        site = site_of(paths, self.count)
        self._prune(keep={out, site.root})
        return Built(site, self.book_problems + list(ctx.diagnostics), compiled)

    def _compile(self) -> None:
        from compiler.compile.assemble import compile_book
        from compiler.backends import option_models
        from compiler.load.manifest import load_manifest

        self.book = None
        self.loaded = load_manifest(self.manifest, option_models())
        try:
            book, problems = compile_book(self.loaded, cache=self.pandoc_cache)
        except FatalError:
            raise  # reported by build()
        except Exception as exc:  # a compiler bug must not stop the preview
            raise BuildFailed(f"internal error while compiling: {type(exc).__name__}: {exc}") from None
        if has_errors(problems):
            raise BuildFailed(describe(problems))
        self.book, self.book_problems = book, problems

    def _prune(self, keep: set[Path]) -> None:
        """Keep this build and the one before it (a page may still be loading from it)."""
        for folder in self.workdir.iterdir():
            if folder.name.isdigit() and int(folder.name) < self.count - 1 and folder not in keep:
                shutil.rmtree(folder, ignore_errors=True)


def site_of(paths: list[Path], build: int) -> Site:
    """Where the backend put the booklet: a folder (`<out>/html/`) or a standalone page."""
    for path in paths:
        if path.is_dir():
            pages = sorted(p.name for p in path.glob("*.html"))
            index = "index.html" if "index.html" in pages else (pages[0] if pages else "index.html")
            return Site(Path(os.path.realpath(path)), index, build)
    pages = [p for p in paths if p.suffix in (".html", ".htm") and p.is_file()]
    if not pages:
        raise BuildFailed("the html backend wrote no page")
    root = Path(os.path.realpath(pages[0].parent))
    index = "index.html" if (root / "index.html").is_file() else pages[0].name
    return Site(root, index, build)


def describe(problems: list[Diagnostic]) -> str:
    errors = [d for d in problems if d.severity == Severity.ERROR]
    return "\n".join(f"{d.location()}: error {d.code} {d.message}" for d in errors)


# --- what the browser sees -------------------------------------------------------------------------

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


RELOAD_JS = r"""// Chapbook live preview: reload on a new build, show build errors in an overlay.
(function () {
  "use strict";
  var script = document.currentScript;
  var build = script ? new URL(script.src).searchParams.get("build") : null;
  var key = "chapbook-scroll:" + location.pathname;
  var overlay = null;
  window.addEventListener("load", function () {
    var saved = sessionStorage.getItem(key);
    if (saved !== null) { sessionStorage.removeItem(key); window.scrollTo(0, Number(saved)); }
  });
  function show(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "chapbook-error-overlay";
      overlay.setAttribute("role", "alert");
      var s = overlay.style;
      s.position = "fixed"; s.left = "0"; s.right = "0"; s.bottom = "0"; s.maxHeight = "60vh";
      s.overflow = "auto"; s.zIndex = "2147483647"; s.margin = "0"; s.padding = "1em 1.5em";
      s.background = "#2b0a0a"; s.color = "#ffd7d7"; s.borderTop = "4px solid #e5484d";
      s.font = "14px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
      var title = document.createElement("strong");
      title.textContent = "Chapbook: the book could not be rebuilt. Still showing the last good build.";
      var pre = document.createElement("pre");
      pre.style.whiteSpace = "pre-wrap"; pre.style.margin = "0.75em 0 0";
      overlay.appendChild(title); overlay.appendChild(pre);
      document.body.appendChild(overlay);
    }
    overlay.lastChild.textContent = text;
  }
  function hide() { if (overlay) { overlay.remove(); overlay = null; } }
  // Server-Sent Events: the server sends the status at once and after every build.
  var events = new EventSource("__EVENTS__");
  events.onmessage = function (message) {
    var s = JSON.parse(message.data);
    if (s.build !== null && String(s.build) !== build) {
      events.close();
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
      return;
    }
    if (s.error) { show(s.error); } else { hide(); }
  };
})();
""".replace("__EVENTS__", EVENTS_PATH)

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


# --- the loop --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    manifest: Path
    host: str = "127.0.0.1"
    port: int = 8000
    open_browser: bool = False
    verbose: bool = False


@dataclass(frozen=True)
class Reporter:
    """How the loop talks to the terminal (the CLI passes its console and diagnostics printer)."""
    say: Callable[[str], None]
    diagnostics: Callable[[list[Diagnostic]], None]


class BookFilter(DefaultFilter):
    """watchfiles' defaults, plus the book's dist/ folder, the preview's own builds and vim's probe file."""

    def __init__(self, ignored: list[Path]):
        super().__init__(ignore_entity_patterns=(*DefaultFilter.ignore_entity_patterns, r"^4913$"))
        self.ignored = [Path(os.path.realpath(p)) for p in ignored]

    def __call__(self, change, path: str) -> bool:
        real = Path(path)
        if any(real == p or p in real.parents for p in self.ignored):
            return False
        return super().__call__(change, path)


def run(settings: Settings, report: Reporter) -> None:
    """Serve until Ctrl-C. Raises FatalError only before serving starts (bad port, no manifest)."""
    manifest = settings.manifest
    if not manifest.is_file():
        raise FatalError("manifest not found; pass its path or run where book.yml is", 2, manifest)
    state = State()
    try:
        server = PreviewServer(settings.host, settings.port, state, settings.verbose)
    except OSError as exc:
        raise FatalError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}; "
                         "pass another --port (0 picks a free one)", 2) from None
    workdir = Path(tempfile.mkdtemp(prefix="chapbook-serve-"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    previous = _stop_on_signals()
    try:
        thread.start()
        builder = Builder(manifest, workdir)
        url = _url(settings.host, server.server_address[1])
        rebuild(builder, state, None, report)
        report.say(f"Serving at {url} (Ctrl-C to stop); watching {builder.root}")
        if not server.loopback:
            report.say(f"Warning: listening on {settings.host}: anyone who can reach this machine can read the book.")
        if settings.open_browser:
            webbrowser.open(url)
        watch_loop(builder, state, report, ignored=[builder.root / "dist", workdir])
    except KeyboardInterrupt:
        pass
    finally:
        state.close()
        server.shutdown()
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    report.say("Stopped.")


def _stop_on_signals() -> dict:
    """Ctrl-C (and SIGTERM) stop the preview even when started in the background, where a shell
    would leave SIGINT ignored. Returns the previous handlers, restored on the way out."""
    def stop(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}


def watch_loop(builder: Builder, state: State, report: Reporter, ignored: list[Path]) -> None:
    """Rebuild on every batch of changes; start watching again when the theme folders change."""
    watch_filter = BookFilter(ignored)
    while True:
        paths = builder.watch_paths()
        for batch in watch(*paths, watch_filter=watch_filter, debounce=400, step=50):
            rebuild(builder, state, {(kind, Path(os.path.realpath(p))) for kind, p in batch}, report)
            if builder.watch_paths() != paths:
                break


def rebuild(builder: Builder, state: State, changes: Changes | None, report: Reporter) -> None:
    """One build: publish it, or keep the last good one and show why this one failed.

    Warnings are printed when they differ from the last ones printed, not after every save."""
    start = time.perf_counter()
    names = sorted({_rel(builder.root, p) for _, p in changes or ()})
    what = f": {', '.join(names)}"[:200] if names else ""
    try:
        built = builder.build(changes)
    except BuildFailed as exc:
        state.fail(str(exc))
        kept = " (still serving the last good build)" if state.site else ""
        report.say(f"Build failed{what}{kept}:\n{exc}")
        return
    warnings = [d for d in built.problems if d.severity != Severity.ERROR]
    fresh = warnings != builder.reported
    if fresh:
        report.diagnostics(warnings)
        builder.reported = warnings
    state.publish(built.site)
    verb = "Built" if changes is None else ("Rebuilt" if built.compiled else "Restyled")
    same = f" ({len(warnings)} warning(s), as before)" if warnings and not fresh else ""
    report.say(f"{verb} in {time.perf_counter() - start:.1f} s{what}{same}")


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = "[::1]" if shown == "::" else (f"[{shown}]" if ":" in shown else shown)
    return f"http://{shown}:{port}/"
