"""The Typst PDF engine against the raw route and (optionally) WeasyPrint, on the same posts.

Usage::

    python bench/bench_typst.py 300                      # generate 300 posts (bench/generate.py)
    python bench/bench_typst.py 1000 --weasyprint        # also one WeasyPrint build (slow: ~12 min)
    python bench/bench_typst.py path/to/book.yml --work /tmp/bench-typst

Measured, one after the other (never two at once), each as a fresh process tree whose summed
RSS is sampled from /proc every 0.1 s:
- typst: `chapbook build --format pdf --pdf-engine typst` (compiling the posts included);
- raw: the route Quarto takes, without a book's furniture: one
  `pandoc --file-scope --toc -s -t typst posts…` then `typst.compile` (fonts: the theme's);
- weasyprint (with --weasyprint): `chapbook build --format pdf` (one WeasyPrint pass);
- writers: Chapbook's Typst writer over the compiled Book vs pandoc's Typst writer run per
  chapter through compiler/compile/pandoc.py (`write_many`), in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from workdir import tree_rss_kb  # noqa: E402  (one process-tree sampler for every benchmark)

RAW_COMPILE = r"""
import sys, typst
typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3], font_paths=[sys.argv[4]], ignore_system_fonts=True)
"""




def measure(command: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Wall time, exit code and peak summed RSS of the command's process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kb(proc.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode("utf-8", "replace")
    return {"seconds": round(seconds, 1), "peak_rss_mb": peak >> 10, "exit": proc.returncode,
            "tail": stderr.strip().splitlines()[-3:] if proc.returncode else []}


def pages(pdf: Path) -> int | None:
    try:
        import pypdf
        return len(pypdf.PdfReader(pdf).pages)
    except Exception:   # no PDF, or pypdf missing
        return None


def writers(manifest: Path) -> dict:
    """Seconds to make Typst markup for every chapter: our writer vs pandoc's, per chapter."""
    from compiler.backends.pdf.options import PdfOptions
    from compiler.backends.typst import build_source
    from compiler.build import run
    from compiler.compile.pandoc import write_many
    from compiler.load.theme import load_theme

    loaded = run.load(manifest)
    book, _ = run.compile(loaded, render="raw")
    theme = load_theme(loaded.manifest.theme, loaded.root)
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        source = build_source(book, PdfOptions(), theme, Path(root))
        ours = time.perf_counter() - start
    docs = [{**c.ast, "meta": {}} for c in book.all_chapters]
    start = time.perf_counter()
    results = write_many(docs, "typst")
    theirs = time.perf_counter() - start
    return {"chapbook_writer_s": round(ours, 2), "chapbook_writer_bytes": len(source.text),
            "pandoc_typst_writer_per_chapter_s": round(theirs, 2),
            "pandoc_failures": sum(1 for r in results if r.error)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("book", help="number of posts to generate, or a book.yml")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--weasyprint", action="store_true", help="also time one WeasyPrint build")
    parser.add_argument("--skip-writers", action="store_true", help="do not compare the two Typst writers")
    parser.add_argument("--skip-raw", action="store_true", help="do not run the raw route")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-typst-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.book.isdigit():
        book_dir = work / f"book-{args.book}"
        if not (book_dir / "book.yml").is_file():
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), args.book, str(book_dir)], check=True,
                           stdout=subprocess.DEVNULL)
        manifest = book_dir / "book.yml"
    else:
        manifest = Path(args.book).resolve()
        book_dir = manifest.parent
    env = {"PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    report: dict = {"book": str(manifest), "posts": len(list(book_dir.rglob("*.md")))}

    out = work / "typst-out"
    report["typst"] = measure([sys.executable, "-m", "compiler", "build", str(manifest), "-f", "pdf",
                               "--pdf-engine", "typst", "--no-cache", "-o", str(out), "-q"], book_dir, env)
    report["typst"]["pages"] = pages(next(out.glob("*.pdf"), out / "none"))

    if args.skip_raw:
        print(json.dumps(report, indent=2))
        return
    from compiler.compile.pandoc import pandoc_path
    posts = sorted(str(p) for p in book_dir.rglob("*.md"))
    raw_typ = work / "raw.typ"
    raw_root = work / "raw-root"
    raw_root.mkdir(exist_ok=True)
    raw_typ = raw_root / "raw.typ"
    pandoc = measure([pandoc_path(), "--file-scope", "--toc", "-s", "-t", "typst", "-o", str(raw_typ), *posts], book_dir)
    fonts = str(ROOT / "themes" / "default" / "fonts")
    compile_ = measure([sys.executable, "-c", RAW_COMPILE, str(raw_typ), str(work / "raw.pdf"), str(raw_root), fonts],
                       book_dir)
    report["raw"] = {"pandoc": pandoc, "typst_compile": compile_,
                     "seconds": round(pandoc["seconds"] + compile_["seconds"], 1),
                     "peak_rss_mb": max(pandoc["peak_rss_mb"], compile_["peak_rss_mb"]),
                     "pages": pages(work / "raw.pdf")}

    if args.weasyprint:
        wout = work / "weasyprint-out"
        report["weasyprint"] = measure([sys.executable, "-m", "compiler", "build", str(manifest), "-f", "pdf",
                                        "--no-cache", "-o", str(wout), "-q"], book_dir, env)
        report["weasyprint"]["pages"] = pages(next(wout.glob("*.pdf"), wout / "none"))
        report["typst_over_weasyprint"] = round(report["typst"]["seconds"] / report["weasyprint"]["seconds"], 3)
    report["typst_over_raw"] = round(report["typst"]["seconds"] / report["raw"]["seconds"], 3)
    print(json.dumps(report), file=sys.stderr, flush=True)      # kept should the comparison below fail
    if not args.skip_writers:
        report["writers"] = writers(manifest)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
