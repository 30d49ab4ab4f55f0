"""PDF backend vs. WeasyPrint alone, on the identical final HTML and CSS, in the same run.

Usage::

    python bench/bench_pdf.py 100                 # generate 100 posts (bench/generate.py) and compare
    python bench/bench_pdf.py path/to/book.yml    # any book
    python bench/bench_pdf.py 1000 --runs 1 --work /tmp/bench-pdf

The book is compiled once. Then, alternating for --runs rounds:
- backend: `PdfBackend().build()` wall time: assembling the HTML, starting the renderer process
  (Python + WeasyPrint import), rendering, writing the PDF;
- raw: a fresh process renders the same final HTML with `weasyprint.HTML(string=…).render()` and
  `write_pdf()`; only those two calls are timed (no import, no process start). It uses the
  backend's URL fetcher, because the HTML names the theme's fonts and the book's images by
  virtual URLs that the default fetcher cannot open.
Each side reports the peak RSS of its renderer process (getrusage in that process) and CPU time:
ours is this process's during build() plus the renderer's whole life (start, imports, render);
theirs is the render alone. CPU time is the fairer figure on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
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
print(json.dumps({"seconds": seconds, "pages": len(document.pages), "maxrss_kb": usage.ru_maxrss,
                  "cpu": time.process_time() - cpu_start, "cpu_total": usage.ru_utime + usage.ru_stime}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("book", help="number of posts to generate, or a book.yml")
    parser.add_argument("--runs", type=int, default=1, help="alternating rounds (default 1)")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--parallel", action="store_true",
                        help="run both sides at once (halves the wall time of big books; compare CPU seconds then)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    work.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(args.book, work)

    from compiler.compile.assemble import compile_book
    from compiler.backends import BuildContext
    from compiler.backends.pdf import PdfBackend, assemble
    from compiler.load.manifest import load_manifest
    from compiler.load.theme import load_theme

    start = time.perf_counter()
    loaded = load_manifest(manifest)
    book, _ = compile_book(loaded)
    print(f"compiled {len(book.all_chapters)} chapters in {time.perf_counter() - start:.1f} s")
    backend = PdfBackend()
    options = backend.options_model.model_validate(loaded.manifest.outputs.get("pdf") or {})
    theme = load_theme(loaded.manifest.theme, loaded.root)
    ctx = BuildContext(out_dir=work / "out", theme=theme, formats=("pdf",))
    assembled = assemble(book, options, theme)
    job_file = work / "job.json"
    job_file.write_text(json.dumps(backend.job(book, options, ctx, assembled, work / "raw.pdf")))
    print(f"final HTML: {len(assembled.html.encode()) / 1e6:.1f} MB")

    ours, raw = [], []
    for _ in range(args.runs):
        if args.parallel:
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(_run_raw, job_file, work / "raw.pdf")
                mine = _run_backend(backend, book, options, ctx)
                theirs = pending.result()
            ours.append(mine)
            raw.append(theirs)
        else:
            ours.append(_run_backend(backend, book, options, ctx))
            raw.append(_run_raw(job_file, work / "raw.pdf"))
    _report(ours, raw, ctx)


def _manifest(spec: str, work: Path) -> Path:
    if not spec.isdigit():
        return Path(spec).resolve()
    folder = work / f"gen{spec}"
    if not (folder / "book.yml").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), spec, str(folder)], check=True,
                       stdout=subprocess.DEVNULL)
    return folder / "book.yml"


def _run_backend(backend, book, options, ctx) -> dict:
    start, cpu_start = time.perf_counter(), time.process_time()
    paths = backend.build(book, options, ctx)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    if not paths:
        sys.exit("the backend wrote no PDF: " + "; ".join(d.message for d in ctx.diagnostics[-3:]))
    from pypdf import PdfReader
    pages = len(PdfReader(paths[0]).pages)
    stats = next(d.message for d in reversed(ctx.diagnostics) if "peak memory" in d.message)
    peak = int(re.search(r"peak memory (\d+) MB", stats)[1]) << 10       # the renderer's own report
    cpu += float(re.search(r"renderer ([\d.]+) s CPU", stats)[1])
    print(f"backend: {seconds:.1f} s, {pages} pages")
    return {"seconds": seconds, "pages": pages, "maxrss_kb": peak, "cpu": cpu}


def _run_raw(job_file: Path, target: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", RAW, str(job_file), str(target)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"raw WeasyPrint: {result['seconds']:.1f} s, {result['pages']} pages")
    return result


def _report(ours: list[dict], raw: list[dict], ctx) -> None:
    mine = statistics.median(r["seconds"] for r in ours)
    theirs = statistics.median(r["seconds"] for r in raw)
    pages = ours[-1]["pages"]
    print()
    my_cpu = statistics.median(r["cpu"] for r in ours)
    their_cpu = statistics.median(r["cpu"] for r in raw)
    print(f"{'':16}{'seconds':>10}{'CPU s':>10}{'pages/s':>10}{'peak RSS':>12}")
    for label, runs, seconds, cpu in (("chapbook pdf", ours, mine, my_cpu), ("WeasyPrint only", raw, theirs, their_cpu)):
        peak = max(r["maxrss_kb"] for r in runs) / 1024
        print(f"{label:16}{seconds:>10.1f}{cpu:>10.1f}{runs[-1]['pages'] / seconds:>10.1f}{peak:>9.0f} MB")
    print(f"ratio (chapbook / WeasyPrint): {mine / theirs:.3f} wall, {my_cpu / their_cpu:.3f} CPU  (target <= 1.1)")
    if ctx.diagnostics:
        print(f"{len(ctx.diagnostics)} diagnostic(s), e.g. {ctx.diagnostics[0].message}")


if __name__ == "__main__":
    main()
