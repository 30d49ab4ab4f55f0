"""The only module that runs pandoc.

A whole book is parsed and rendered by a small pool of long-lived `pandoc lua` processes (one per
core, two at most), each fed one post at a time. Posts are never concatenated into one pandoc call
(metadata, footnotes and `---` blocks would leak across posts), and pandoc is not started once per
post (its start-up and syntax-definition loading would be paid by every post). Each request has a
time limit and each process a heap cap: a post that hangs or explodes pandoc is reported, the
process is restarted, and the rest of the book goes on. `run_pandoc` is the other way in: one
pandoc process writing a whole book to a file (the DOCX backend).

A process that has answered everything is let go the clean way (its input closed, it exits and
removes its `pandoc-hist*` file); it is killed only when it ran out of time or the build was
interrupted. Each call's processes share a private TMPDIR that is removed afterwards, so even a
killed pandoc leaves nothing in the user's temporary folder.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pypandoc

from compiler.support.tempdirs import private_tmp

WORKER_SCRIPT = Path(__file__).with_name("pandoc_worker.lua")
TIME_LIMIT = float(os.environ.get("CHAPBOOK_PANDOC_TIMEOUT", "30"))
HEAP_LIMIT = os.environ.get("CHAPBOOK_PANDOC_HEAP", "2g")
TOO_DEEP = "the post is nested too deeply (hundreds of levels of lists, quotes or emphasis); flatten it"


@dataclass(frozen=True)
class Result:
    value: object | None      # parsed AST (read) or text (write)
    error: str | None = None


@functools.cache
def pandoc_path() -> str:
    """The pandoc bundled by pypandoc-binary (never a system pandoc of another version)."""
    bundled = Path(pypandoc.__file__).parent / "files" / "pandoc"
    if bundled.is_file():
        return str(bundled)
    return pypandoc.get_pandoc_path()  # pragma: no cover - pypandoc-binary always bundles it


@functools.cache
def pandoc_version() -> str:
    out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True, check=False).stdout
    return out.split("\n", 1)[0].split()[-1] if out else "unknown"


@dataclass
class Cache:
    """pandoc's answers from the last build, for a process that builds again and again
    (`chapbook serve`). Keyed by the exact request (operation, format, options, input), so a hit
    is the answer pandoc would give; failures are never kept. Each call keeps only what it used,
    so the cache holds one build, not the history of every edit."""
    reads: dict[str, str] = field(default_factory=dict)
    writes: dict[str, str] = field(default_factory=dict)
    memo: object | None = None   # the build cache's memo of Chapbook's own steps (compiler.build.memo.Memo)


def read_many(texts: list[str], fmt: str, finish=None, cache: Cache | None = None) -> list[Result]:
    """Parse each Markdown text into pandoc's JSON AST (a dict).

    `finish(index, ast)`, when given, post-processes each AST as soon as pandoc answers (in the
    thread serving that pandoc process); its return value is the result's value.
    """
    unwrap = finish or (lambda index, answer: answer)
    requests = [(json.dumps({"op": "read", "format": fmt, "text": t}), None) for t in texts]
    if cache is None:
        return _run(requests, unwrap)
    return _run_cached([header for header, _ in requests], requests, unwrap, cache.reads)


def write_many(docs: list, fmt: str, options: dict | None = None, finish=None,
               cache: Cache | None = None) -> list[Result]:
    """Render each AST dict to `fmt` (for example html) and return the text.

    A doc may also be a function returning the AST dict: it is called by the thread feeding pandoc,
    just before the doc is sent, so the work of preparing each doc overlaps pandoc's.
    `finish(index, text)`, when given, post-processes each text as soon as pandoc answers (in the
    thread serving that pandoc process), so Python's work overlaps pandoc's.
    """
    header = json.dumps({"op": "write", "format": fmt, "options": options or {}})
    finish = finish or (lambda index, text: text)
    unwrap = lambda index, answer: finish(index, answer["text"])  # noqa: E731
    if cache is None:
        # Serialised lazily by the feeding thread, so pandoc starts at once and the work overlaps.
        return _run([(header, functools.partial(_dump, doc)) for doc in docs], unwrap)
    requests = [(header, _dump(doc)) for doc in docs]   # the key is the whole doc: made up front
    return _run_cached([h + "\n" + body for h, body in requests], requests, unwrap, cache.writes)


def _dump(doc) -> str:
    return json.dumps(doc() if callable(doc) else doc)


def _run_cached(keys: list[str], requests: list, unwrap, answers: dict[str, str]) -> list[Result]:
    """`_run` for the requests whose answer is not in `answers`; `answers` then holds this call's."""
    results: list[Result | None] = [None] * len(requests)
    kept: dict[str, str] = {}
    missing = []
    for i, key in enumerate(keys):
        line = answers.get(key)
        if line is None:
            missing.append(i)
        else:
            results[i] = _answer(unwrap, i, line)
            if results[i].error is None:
                kept[key] = line

    def fresh(k: int, line: str):
        i = missing[k]
        value = unwrap(i, json.loads(line))   # raises for a post that cannot be used: then not kept
        kept[keys[i]] = line
        return value

    for k, result in enumerate(_run([requests[i] for i in missing], fresh, raw=True)):
        results[missing[k]] = result
    answers.clear()
    answers.update(kept)
    return results


def _workers(count: int) -> int:
    wanted = int(os.environ.get("CHAPBOOK_PANDOC_WORKERS", "0")) or min(2, os.cpu_count() or 1)
    return max(1, min(wanted, count))


class _Pool:
    """The pandoc processes of one `_run`, so an interrupted build can stop them all at once."""

    def __init__(self, env: dict):
        self.env = env
        self.lock = threading.Lock()
        self.live: set[subprocess.Popen] = set()
        self.stopped = False

    def start(self) -> subprocess.Popen | None:
        with self.lock:
            if self.stopped:
                return None
            proc = subprocess.Popen(
                [pandoc_path(), "+RTS", f"-M{HEAP_LIMIT}", "-RTS", "lua", str(WORKER_SCRIPT)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                encoding="utf-8", bufsize=1 << 20, env=self.env,
            )
            self.live.add(proc)
            return proc

    def done(self, proc: subprocess.Popen) -> None:
        with self.lock:
            self.live.discard(proc)

    def stop(self) -> None:
        """Kill every running pandoc (Ctrl-C, SIGTERM): nothing is left running."""
        with self.lock:
            self.stopped = True
            procs = list(self.live)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def _run(requests: list[tuple[str, object]], unwrap, raw: bool = False) -> list[Result]:
    """Answer every request; `unwrap(index, answer)` gets the parsed answer (its JSON line if `raw`)."""
    results: list[Result | None] = [None] * len(requests)
    n = _workers(len(requests))
    # Each worker answers its share in order; interleaving the shares balances their sizes.
    slices = [list(range(i, len(requests), n)) for i in range(n)]
    failures: list[BaseException] = []
    with private_tmp("chapbook-pandoc-") as env:
        pool = _Pool(env)
        threads = [threading.Thread(target=_serve, args=(s, requests, results, unwrap, failures, raw, pool))
                   for s in slices if s]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        except BaseException:   # Ctrl-C or SIGTERM in the calling thread: stop pandoc, then go
            pool.stop()
            for t in threads:
                t.join(timeout=5)
            raise
    if failures:   # a bug in Chapbook's own callbacks, not a problem of a post: the caller sees it
        raise failures[0]
    return [r if r is not None else Result(None, "pandoc gave no answer") for r in results]


def _serve(indices: list[int], requests, results, unwrap, failures: list, raw: bool, pool: _Pool) -> None:
    """Send `indices` to one pandoc process at a time (RECYCLE requests each); restart it after a
    crash or a time-out."""
    pending = list(indices)
    try:
        while pending and not failures and not pool.stopped:
            done = _one_process(pending[:RECYCLE], requests, results, unwrap, failures, raw, pool)
            pending = pending[done:]
    except BaseException as exc:  # re-raised by _run in the calling thread
        failures.append(exc)


EXIT_GRACE = 5.0   # seconds a pandoc that answered everything gets to exit on its own
RECYCLE = 400      # requests one pandoc process answers before a fresh one takes over: a long-lived
                   # pandoc's memory grew with the book (about 1.8 GB each after thousands of posts)
WINDOW = 16        # requests sent to one pandoc and not yet finished: the feeding thread waits beyond
                   # it, so what is prepared for pandoc (a chapter's AST) and what pandoc answered
                   # (a post's AST) never pile up when Python finishes answers slower than pandoc
                   # gives them (1,000 posts: 158 MB traced at the peak of compiling, and growing)


def _one_process(pending: list[int], requests, results, unwrap, failures: list, raw: bool, pool: _Pool) -> int:
    """Run requests until all are answered or one fails the process; return how many were handled."""
    proc = pool.start()
    if proc is None:
        return len(pending)
    answers: queue.Queue = queue.Queue()
    window, stop = threading.Semaphore(WINDOW), threading.Event()
    writer = threading.Thread(target=_feed, args=(proc, [requests[i] for i in pending], failures, window, stop),
                              daemon=True)
    reader = threading.Thread(target=_drain, args=(proc, answers), daemon=True)
    writer.start()
    reader.start()
    handled = 0
    try:
        for index in pending:
            try:
                line = answers.get(timeout=TIME_LIMIT)
            except queue.Empty:
                results[index] = Result(None, f"pandoc took more than {TIME_LIMIT:g} s")
                return handled + 1
            if line is None and (failures or pool.stopped):
                return handled   # the feeding thread failed (_run raises its error), or interrupted
            if line is None:
                err = (proc.stderr.read() or "").strip().splitlines()
                why = err[-1] if err else f"pandoc exited with code {proc.wait()}"
                if "heap" in why.lower():
                    why = f"pandoc ran out of memory (heap limit {HEAP_LIMIT})"
                results[index] = Result(None, why)
                return handled + 1
            if line.startswith('{"error":'):   # the worker's failure answer; an AST or text never starts so
                results[index] = Result(None, json.loads(line)["error"])
            else:
                results[index] = _answer(unwrap, index, line, raw)
            handled += 1
            window.release()
        return handled
    finally:
        stop.set()
        _finish(proc, clean=handled == len(pending) and not failures and not pool.stopped)
        pool.done(proc)


def _finish(proc: subprocess.Popen, clean: bool) -> None:
    """End one pandoc: after a full set of answers its input is closed and it exits by itself
    (removing its temporary files); killed only when it is stuck or the build was stopped."""
    if clean:
        try:
            proc.stdin.close()     # normally already closed by the feeding thread
        except (OSError, ValueError):
            pass
        try:
            proc.wait(timeout=EXIT_GRACE)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        try:
            stream.close()
        except (OSError, ValueError):
            pass


def _answer(unwrap, index: int, line: str, raw: bool = False) -> Result:
    """One answer unwrapped; a post nested too deeply for Python is that post's failure, not a bug."""
    try:
        return Result(unwrap(index, line if raw else json.loads(line)))
    except RecursionError:   # hundreds of nested lists, quotes or emphases
        return Result(None, TOO_DEEP)


def _feed(proc: subprocess.Popen, requests: list, failures: list, window: threading.Semaphore,
          stop: threading.Event) -> None:
    try:
        for header, body in requests:
            while not window.acquire(timeout=0.5):   # WINDOW requests not yet finished: wait
                if stop.is_set():
                    return
            if callable(body):
                try:
                    body = body()
                except BaseException as exc:  # a bug in the caller's doc function: stop and report it
                    failures.append(exc)
                    proc.stdin.close()
                    return
            proc.stdin.write(header + "\n")
            if body is not None:
                proc.stdin.write(body + "\n")
            proc.stdin.flush()   # sent now: the window may make this thread wait before the next
        proc.stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _drain(proc: subprocess.Popen, answers: queue.Queue) -> None:
    try:
        for line in proc.stdout:
            answers.put(line)
    except (OSError, ValueError):
        pass
    answers.put(None)


def run_pandoc(document: str, target: Path, args: list[str], limit: float, to: str = "docx") -> str | None:
    """One pandoc process writing a whole book from its JSON AST `document` into the file `target`
    (the DOCX backend; time limit, heap cap): the error text, or None."""
    command = [pandoc_path(), "+RTS", f"-M{HEAP_LIMIT}", "-RTS", "--from=json", f"--to={to}",
               f"--output={target}", *args]
    try:
        with private_tmp("chapbook-docx-") as env:   # removed even when pandoc is killed on time-out
            done = subprocess.run(command, input=document.encode("ascii"), capture_output=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        return f"it took more than {limit:.0f} s"
    except OSError as exc:
        return f"it could not be started ({exc.strerror})"
    if done.returncode == 0:
        return None
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if "heap exhausted" in stderr.lower():
        return f"the book needs more memory than {HEAP_LIMIT}: set CHAPBOOK_PANDOC_HEAP (for example to 4g)"
    lines = stderr.splitlines()
    return lines[-1] if lines else f"exit code {done.returncode}"
