"""Live preview for `chapbook serve`: build the HTML booklet, serve it, rebuild on change, reload.

Three parts, one job each:
- `compiler.serve.builder.Builder` builds the booklet (the same build as `chapbook build`).
- `compiler.serve.server.PreviewServer` serves the last good build and the reload script.
- `run` (here) wires them to `watchfiles` and turns Ctrl-C into a clean stop.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
import time
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from watchfiles import DefaultFilter, watch

from compiler.model.diagnostics import Diagnostic, FatalError, Severity
from compiler.serve.builder import BuildFailed, Builder, Changes
from compiler.serve.server import PreviewServer, State
from compiler.support.paths import inside


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


CACHE_DIR = ".chapbook-cache"
# Files editors, tools and tests write next to the real ones: never a change to the book.
SCRATCH = re.compile(r"""^(?:
      4913                      # vim's probe file
    | sed[A-Za-z0-9]{6}         # sed -i's temporary copy
    | \.?.*\.sw[a-p]            # vim swap files
    | .*~ | \#.*\# | \.\#.*       # backups, Emacs auto-save and lock files
    | \.~lock\..*\#             # LibreOffice locks
    | .*\.(?:tmp|temp|bak|orig|rej|part|crdownload)
    | \.?pytest[_-]cache.* | pytest-cache-files-.* | __pycache__ | .*\.py[co]
    | \.DS_Store | Thumbs\.db | \.git | \.hg | \.svn | \.idea | \.vscode | node_modules
)$""", re.X)


class BookFilter(DefaultFilter):
    """Only changes to what a book can read: editors' and tools' scratch files (`SCRATCH`), the
    output and cache folders and the preview's own builds never count."""

    def __init__(self, ignored: list[Path], roots: list[Path] = ()):
        super().__init__()
        self.ignored = [Path(os.path.realpath(p)) for p in ignored]
        self.roots = [Path(os.path.realpath(p)) for p in roots]

    def __call__(self, change, path: str) -> bool:
        real = Path(path)
        if any(inside(real, p) for p in self.ignored):
            return False
        below = next((real.relative_to(r).parts for r in self.roots if r in real.parents), (real.name,))
        if any(SCRATCH.match(part) for part in below):
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
        # The address first: the page says "Building the book…" and reloads itself when the first build is done.
        report.say(f"Serving at {url} (Ctrl-C to stop); building, then watching {builder.root}")
        if not server.loopback:
            report.say(f"Warning: listening on {settings.host}: anyone who can reach this machine can read the book.")
        if settings.open_browser:
            webbrowser.open(url)
        rebuild(builder, state, None, report)
        watch_loop(builder, state, report, ignored=[builder.root / "dist", builder.root / CACHE_DIR, workdir])
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
    while True:
        paths = builder.watch_paths()
        watch_filter = BookFilter(ignored, paths)
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
    shown = [d for d in built.problems if d.severity != Severity.ERROR]
    fresh = shown != builder.reported
    if fresh:
        report.diagnostics(shown)
        builder.reported = shown
    state.publish(built.site)
    verb = "Built" if changes is None else ("Rebuilt" if built.compiled else "Restyled")
    warnings = sum(1 for d in shown if d.severity == Severity.WARNING)   # as counted when first printed
    same = f" ({warnings} warning(s), as before)" if warnings and not fresh else ""
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
