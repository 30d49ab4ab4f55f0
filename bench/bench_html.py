"""Benchmark: `chapbook build --format html` against one plain pandoc process, in the same run.

    python bench/bench_html.py [N]                 (default N=1000 generated posts)
    python bench/bench_html.py --book path/to/book.yml
    python bench/bench_html.py 1000 --repeat 5       (alternating pairs; the median ratio is the verdict)

The baseline is `pandoc --file-scope -f commonmark_x -t html -s` writing the same posts as one
standalone HTML file. Chapbook is timed as a user runs it (the whole pipeline: manifest, parse,
transforms, lint, HTML fragments, then the backend writing every page, the search index and the
assets); a second child splits that time into compile and HTML backend, to show where it goes.
Each measurement runs in its own process (peak memory is its own). The machine is noisy: compare
the ratio from one run. Budget: at most 1.2x the pandoc process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # the project's own compiler, installed or not
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))
from workdir import generated  # noqa: E402
BUDGET = 1.2


def measure(cmd: list[str], cwd: Path) -> dict:
    """Wall time and peak RSS of one child process (wait4 gives the child's own rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):   # 1: the book has warnings-as-errors or diagnostics; it was still written
            raise SystemExit(f"{' '.join(cmd[:4])} … failed ({code}):\n{err.read().decode()[-2000:]}")
        return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "stdout": out.read().decode()}


def stage(manifest: str, out: str) -> None:
    """Child mode: compile, then run the HTML backend; print both timings as JSON."""
    from compiler.compile.assemble import compile_book
    from compiler.backends import BuildContext
    from compiler.backends.html import HtmlBackend
    from compiler.support.heap import paused_gc
    from compiler.load.manifest import load_manifest
    from compiler.load.theme import load_theme

    start = time.perf_counter()
    loaded = load_manifest(Path(manifest))
    with paused_gc(freeze=True):   # as `chapbook build` compiles
        book, _ = compile_book(loaded)
    compiled = time.perf_counter()
    backend = HtmlBackend()
    options = backend.options_model.model_validate(loaded.manifest.outputs.get("html") or {})
    ctx = BuildContext(out_dir=Path(out), theme=load_theme(loaded.manifest.theme, loaded.root), formats=("html",))
    with paused_gc(freeze=True):   # as `chapbook build` runs the backends
        [folder] = backend.build(book, options, ctx)
    done = time.perf_counter()
    files = [p for p in folder.rglob("*") if p.is_file()]
    print(json.dumps({"compile": compiled - start, "html": done - compiled, "pages": len(book.all_chapters),
                      "files": len(files), "mb": sum(p.stat().st_size for p in files) / 1e6}))


def posts_of(manifest: Path) -> list[str]:
    """The Markdown files of the book's folder (the generated book's posts/), relative to it."""
    folder = manifest.parent
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.md") if not p.name.startswith("."))


def main(manifest: Path, repeat: int = 1) -> None:
    from compiler.compile.pandoc import pandoc_path

    folder = manifest.parent
    posts = posts_of(manifest)
    pairs = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):   # pandoc and Chapbook alternate, so both see the same machine
            pandoc = measure([pandoc_path(), "--file-scope", "-f", "commonmark_x", "-t", "html", "-s",
                              "--metadata", "title=Bench", "-o", str(Path(tmp) / "pandoc.html"), *posts], folder)
            build = measure([sys.executable, "-m", "compiler", "-q", "build", str(manifest), "--format", "html",
                             "--no-cache", "--out", str(Path(tmp) / "cli")], HERE.parent)   # cold, as pandoc is
            pairs.append((pandoc, build))
        split = measure([sys.executable, str(Path(__file__).resolve()), "--stage", str(manifest),
                         str(Path(tmp) / "stage")], HERE.parent)
    parts = json.loads(split["stdout"].strip().splitlines()[-1])
    size = sum((folder / p).stat().st_size for p in posts) / 1e6
    print(f"{len(posts)} posts, {size:.1f} MB of Markdown ({manifest})")
    print(f"{'measurement':52} {'seconds':>8} {'peak MB':>8}")
    for pandoc, build in pairs:
        print(f"{'pandoc --file-scope -f commonmark_x -t html -s':52} {pandoc['seconds']:8.1f} {pandoc['peak_mb']:8.0f}")
        print(f"{'chapbook build --format html (whole pipeline)':52} {build['seconds']:8.1f} {build['peak_mb']:8.0f}"
              f"   ratio {build['seconds'] / pandoc['seconds']:.2f}")
    print(f"{'  of which (separate run) compile':52} {parts['compile']:8.1f}")
    print(f"{'  of which (separate run) HTML backend':52} {parts['html']:8.1f}"
          f"   {parts['pages']} chapters, {parts['files']} files, {parts['mb']:.0f} MB")
    ratios = sorted(b["seconds"] / p["seconds"] for p, b in pairs)
    ratio = ratios[len(ratios) // 2]
    worst = max(ratios)
    verdict = "within" if ratio <= BUDGET else "OVER"
    label = "ratio chapbook / pandoc" if repeat == 1 else f"median ratio of {repeat} pairs (worst {worst:.2f})"
    print(f"{label}: {ratio:.2f} ({verdict} the {BUDGET}x budget); "
          f"HTML backend alone / pandoc: {parts['html'] / pairs[-1][0]['seconds']:.2f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    times = 1
    if "--repeat" in args:
        at = args.index("--repeat")
        times = int(args[at + 1])
        del args[at:at + 2]
    if args and args[0] == "--stage":
        stage(args[1], args[2])
    elif len(args) > 1 and args[0] == "--book":
        main(Path(args[1]).resolve(), times)
    else:
        main(generated(int(args[0]) if args else 1000), times)
