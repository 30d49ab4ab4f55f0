"""The renderer process: WeasyPrint runs in a fresh interpreter with a time and a memory limit
(its docs advise a separate process for untrusted input). Job and result are plain JSON."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

from compiler.support import limits
from compiler.backends.pdf.fetcher import BOOK_URL, FetchPolicy, make_fetcher
from compiler.support.tempdirs import private_tmp

_NOISE = re.compile(r"media type|prefers-color-scheme")


def render_job(job: dict) -> dict:
    """Render `job["html"]` to `job["target"]`; runs in the child process (see `child_main`)."""
    import logging
    import warnings

    import pydyf
    import weasyprint
    from PIL import Image

    warnings.simplefilter("error", Image.DecompressionBombWarning)   # refuse, do not just warn
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    logger.addHandler(Collect(logging.WARNING))
    policy = FetchPolicy(Path(job["root"]), tuple(Path(p) for p in job["theme"]),
                         {k: Path(v) for k, v in job["assets"].items()}, job["network"])
    fetcher = make_fetcher(policy, literal_targets=bool(job.get("literal_targets")))
    options = {"pdf_variant": job["variant"], "pdf_tags": job["variant"] == "pdf/ua-1"}

    def page_labels(document, pdf):
        if job.get("starts") is not None:
            return                      # a chunk or a skeleton segment: the merge labels the pages
        start = next((i for i, page in enumerate(document.pages) if job["body_start"] in page.anchors), None)
        nums = [0, pydyf.Dictionary({"S": "/r"})]
        if start:
            nums = nums + [start, pydyf.Dictionary({"S": "/D"})]
        elif start == 0:
            nums = [0, pydyf.Dictionary({"S": "/D"})]
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(nums)})

    document = weasyprint.HTML(string=job["html"], base_url=BOOK_URL, url_fetcher=fetcher).render(**options)
    document.write_pdf(job["target"], finisher=page_labels, **options)
    refused_urls = {url for url, _ in fetcher.refused}
    kept = [m for m in messages if not _NOISE.search(m) and not any(u in m for u in refused_urls)]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {"pages": len(document.pages), "refused": fetcher.refused, "messages": kept,
              "maxrss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}
    if job.get("starts") is not None:
        result["page_info"] = page_info(document, set(job["starts"]))
    return result


def _peak_kb() -> int | None:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: Linux carries that over exec() from
    the forking parent, so a renderer started by a big process would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def page_info(document, starts: set[str]) -> list[list]:
    """Per page: blank (inserted by a right/left break), and the ids of `starts` on it, top down."""
    info = []
    for page in document.pages:
        box = getattr(page, "_page_box", None)
        blank = bool(getattr(getattr(box, "page_type", None), "blank", False))
        found = sorted((xy[1], name) for name, xy in page.anchors.items() if name in starts)
        info.append([blank, [name for _, name in found]])
    return info


def child_main() -> None:
    """Entry of the renderer process: job JSON on stdin, result JSON on stdout."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)                       # stray prints from libraries must not corrupt the result
    job = json.loads(sys.stdin.read())
    if job.get("memory_limit"):
        limits.apply(resource.RLIMIT_AS, job["memory_limit"])
    if job.get("cpu_limit"):                 # SIGXCPU ends the process when it is spent
        limits.apply(resource.RLIMIT_CPU, int(job["cpu_limit"]), int(job["cpu_limit"]) + 5)
    try:
        result = render_job(job)
    except MemoryError:
        result = {"error": "ran out of memory (outputs.pdf.memory_limit)"}
    except RecursionError:
        result = {"error": "content is nested too deeply to typeset"}
    except Exception as exc:  # a WeasyPrint failure must become a diagnostic, not a traceback
        result = {"error": f"WeasyPrint failed: {type(exc).__name__}: {exc}"}
    if "maxrss_kb" in result:   # read here, outside the render: the render opens nothing but the book and theme
        result["maxrss_kb"] = _peak_kb() or result["maxrss_kb"]
    out.write(json.dumps(result))
    out.flush()


WALL_FACTOR = 4     # the wall-clock backstop, in CPU limits: a busy machine is slow, not stuck


def run_renderer(job: dict, timeout: float, running: "Running | None" = None) -> dict:
    """Run `render_job` in a fresh interpreter with limits; never raises for a failed render.

    `timeout` is CPU seconds (RLIMIT_CPU in the child: infinite loops), with a wall-clock backstop
    of WALL_FACTOR times that (anything that would block without using CPU). `running` (shared by
    the renders of one build) lets another thread stop this render when a sibling failed.
    """
    job = {**job, "cpu_limit": timeout}
    package_parent = str(Path(__file__).resolve().parents[3])
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
    command = [sys.executable, "-c", "from compiler.backends.pdf.renderer import child_main; child_main()"]
    running = running or Running()
    with private_tmp("chapbook-pdf-") as env:   # a private TMPDIR, removed even when the child is killed
        proc = running.start(command, {**env, "PYTHONPATH": path})
        if proc is None:
            return {"error": "stopped: another part of the PDF failed", "cancelled": True}
        try:
            out, err = proc.communicate(json.dumps(job).encode(), timeout=WALL_FACTOR * timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return {"error": f"rendering took longer than {WALL_FACTOR * timeout:.0f} s (raise outputs.pdf.timeout, or split the book)"}
        finally:
            running.forget(proc)
    if running.cancelled:
        return {"error": "stopped: another part of the PDF failed", "cancelled": True}
    done = subprocess.CompletedProcess(command, proc.returncode, out, err)
    try:
        return json.loads(out or b"null") or {"error": _crash(done)}
    except json.JSONDecodeError:
        return {"error": _crash(done)}


class Running:
    """The renderer processes of one build: started under a lock, all killed by `cancel()`."""

    def __init__(self):
        import threading
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen] = set()
        self.cancelled = False

    def start(self, command: list[str], env: dict) -> subprocess.Popen | None:
        with self._lock:
            if self.cancelled:
                return None
            proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env)
            self._procs.add(proc)
            return proc

    def forget(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.discard(proc)

    def cancel(self) -> None:
        """Kill every renderer still running and wait for it: no process outlives the build."""
        with self._lock:
            self.cancelled = True
            procs = list(self._procs)
        for proc in procs:
            try:
                proc.kill()
            except OSError:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass


def _crash(proc: subprocess.CompletedProcess) -> str:
    if proc.returncode == -signal.SIGXCPU:
        return "rendering used more CPU time than outputs.pdf.timeout allows (raise it, or split the book)"
    if proc.returncode < 0:
        return f"the renderer was killed by signal {-proc.returncode} (out of memory? see outputs.pdf.memory_limit)"
    tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
    return f"the renderer stopped (exit {proc.returncode}): {tail[0][:300]}"


def default_timeout(html: str) -> float:
    """CPU seconds: four times or more what WeasyPrint needs (25-50 s per MB of HTML measured)."""
    return 120 + 200 * len(html.encode("utf-8")) / 1e6


def default_memory_limit() -> int | None:
    """75% of RAM, or the address-space limit in force when that is lower."""
    try:
        wanted = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.75)
    except (ValueError, OSError, AttributeError):
        return limits.hard_limit(resource.RLIMIT_AS)
    return limits.fit(resource.RLIMIT_AS, wanted)[0]
