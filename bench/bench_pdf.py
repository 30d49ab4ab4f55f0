"""PDF: one WeasyPrint pass over the whole book vs. Chapbook's chunked backend, on the same HTML.

Usage::

    python bench/bench_pdf.py 300                 # generate 300 posts (bench/generate.py) and compare
    python bench/bench_pdf.py path/to/book.yml    # any book
    python bench/bench_pdf.py 1000 --work /tmp/bench-pdf --jobs 2 --skip-raw

The book is compiled once. Then:
- raw: a fresh process renders the final single-pass HTML with `weasyprint.HTML(string=…).render()`
  and `write_pdf()` (through the backend's URL fetcher: the HTML names fonts and images by virtual
  URLs); wall and CPU of those two calls, peak RSS of that process;
- chunked: `PdfBackend().build()` with `outputs.pdf.jobs` (default: usable cores) and an empty
  chunk cache: wall, CPU of this process and all its renderers (RUSAGE_CHILDREN), peak RSS of the
  whole process tree summed (sampled from /proc every 0.2 s) and of the largest renderer;
- rebuild: one word of one post in the middle of the book replaced by another of the same length,
  the book compiled again (not timed), and `build()` again with the cache of the cold build.
The machine is noisy (shared cores): compare CPU seconds and ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RAW = r"""
import json, resource, sys, time
from pathlib import Path
import weasyprint
from compiler.backends.pdf import BOOK_URL, FetchPolicy, make_fetcher
job = json.loads(Path(sys.argv[1]).read_text())
policy = FetchPolicy(Path(job["root"]), tuple(Path(p) for p in job["theme"]),
                     {k: Path(v) for k, v in job["assets"].items()}, job["network"])
start, cpu_start = time.perf_counter(), time.process_time()
document = weasyprint.HTML(string=job["html"], base_url=BOOK_URL, url_fetcher=make_fetcher(policy)).render()
document.write_pdf(sys.argv[2])
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
hwm = next(int(l.split()[1]) for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "pages": len(document.pages), "maxrss_kb": hwm,
                  "cpu": time.process_time() - cpu_start, "cpu_total": usage.ru_utime + usage.ru_stime}))
"""


class TreeRss:
    """Peak of the summed RSS of this process and all its descendants, sampled from /proc."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak_kb, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            parents, rss = {}, {}
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    fields = stat[stat.rindex(")") + 2:].split()
                    parents[int(entry)] = int(fields[1])
                    rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
                except (OSError, ValueError, IndexError):
                    continue
            tree, grew = {me}, True
            while grew:
                new = {pid for pid, parent in parents.items() if parent in tree and pid not in tree}
                tree |= new
                grew = bool(new)
            self.peak_kb = max(self.peak_kb, sum(rss.get(pid, 0) for pid in tree))
            self._stop.wait(self.interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("book", help="number of posts to generate, or a book.yml")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--jobs", type=int, default=None, help="outputs.pdf.jobs for the chunked side")
    parser.add_argument("--skip-raw", action="store_true", help="only the chunked backend (and the rebuild)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    work.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(args.book, work)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")

    from compiler.compile.assemble import compile_book
    from compiler.backends import BuildContext
    from compiler.backends.pdf import PdfBackend, assemble
    from compiler.load.manifest import load_manifest
    from compiler.load.theme import load_theme

    start = time.perf_counter()
    loaded = load_manifest(manifest)
    book, _ = compile_book(loaded)
    print(f"compiled {len(book.all_chapters)} chapters in {time.perf_counter() - start:.1f} s", flush=True)
    backend = PdfBackend()
    options = backend.options_model.model_validate({**(loaded.manifest.outputs.get("pdf") or {}), "jobs": args.jobs})
    theme = load_theme(loaded.manifest.theme, loaded.root)
    ctx = BuildContext(out_dir=work / "out", theme=theme, formats=("pdf",))
    rows = {}
    if not args.skip_raw:
        assembled = assemble(book, options, theme)
        job_file = work / "job.json"
        job_file.write_text(json.dumps(backend.job(book, options, ctx, assembled, work / "raw.pdf")))
        print(f"final HTML: {len(assembled.html.encode()) / 1e6:.1f} MB", flush=True)
        del assembled
        rows["WeasyPrint, one pass"] = _run_raw(job_file, work / "raw.pdf")
    shutil.rmtree(book.root / ".chapbook-cache", ignore_errors=True)
    rows["chapbook, chunked, cold"] = _run_backend(backend, book, options, ctx)
    post = _edit_one_post(book)
    book, _ = compile_book(load_manifest(manifest))
    rows[f"rebuild after editing {post}"] = _run_backend(backend, book, options, ctx)
    _report(rows)


def _edit_one_post(book) -> str:
    """Replace one word of the middle post by another of the same length (same page count)."""
    chapter = book.all_chapters[len(book.all_chapters) // 2]
    path = book.root / chapter.source
    text = path.read_text()
    body = text.index("---", 3) + 3
    match = re.search(r"\b([a-z]{5,})\b", text[body:])
    word = match[1]
    other = word[::-1] if word[::-1] != word else word.upper()
    path.write_text(text[:body + match.start()] + other + text[body + match.end():])
    return chapter.source


def _manifest(spec: str, work: Path) -> Path:
    if not spec.isdigit():
        return Path(spec).resolve()
    folder = work / f"gen{spec}"
    if not (folder / "book.yml").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), spec, str(folder)], check=True,
                       stdout=subprocess.DEVNULL)
    return folder / "book.yml"


def _run_backend(backend, book, options, ctx) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    ctx.diagnostics.clear()
    start, cpu_start = time.perf_counter(), time.process_time()
    with TreeRss() as tree:
        paths = backend.build(book, options, ctx)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu_start + (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if not paths:
        sys.exit("the backend wrote no PDF: " + "; ".join(d.message for d in ctx.diagnostics[-3:]))
    import pikepdf
    with pikepdf.open(paths[0]) as pdf:
        pages = len(pdf.pages)
    stats = next(d.message for d in reversed(ctx.diagnostics) if "peak memory" in d.message)
    renderer = int(re.search(r"peak memory (\d+) MB", stats)[1])
    print(f"backend: {seconds:.1f} s, {pages} pages; {stats}", flush=True)
    return {"seconds": seconds, "pages": pages, "tree_mb": tree.peak_kb / 1024, "renderer_mb": renderer, "cpu": cpu}


def _run_raw(job_file: Path, target: Path) -> dict:
    with TreeRss() as tree:
        proc = subprocess.run([sys.executable, "-c", RAW, str(job_file), str(target)], capture_output=True, text=True,
                              cwd=ROOT, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"raw WeasyPrint: {result['seconds']:.1f} s, {result['pages']} pages", flush=True)
    return {"seconds": result["seconds"], "pages": result["pages"], "cpu": result["cpu"],
            "tree_mb": max(tree.peak_kb / 1024, result["maxrss_kb"] / 1024), "renderer_mb": result["maxrss_kb"] / 1024}


def _report(rows: dict) -> None:
    print()
    print(f"{'':44}{'wall s':>9}{'CPU s':>9}{'pages':>7}{'tree peak':>11}{'renderer':>10}")
    for label, row in rows.items():
        print(f"{label[:44]:44}{row['seconds']:>9.1f}{row['cpu']:>9.1f}{row['pages']:>7}"
              f"{row['tree_mb']:>8.0f} MB{row['renderer_mb']:>7.0f} MB")
    names = list(rows)
    cold = rows[names[-2]]
    if len(names) == 3:
        raw = rows[names[0]]
        print(f"chunked / one pass: {cold['seconds'] / raw['seconds']:.2f} wall (target <= 0.6), "
              f"{cold['cpu'] / raw['cpu']:.2f} CPU")
    print(f"rebuild / cold: {rows[names[-1]]['seconds'] / cold['seconds']:.2f} wall (target <= 0.15)")


if __name__ == "__main__":
    main()
