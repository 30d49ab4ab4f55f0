"""Benchmark: Chapbook's parse + transforms against one plain pandoc process, in the same run.

    python bench/bench_core.py [N]          (default N=1000 generated posts)

Each measurement runs in its own child process so that peak memory (max RSS) is its own. Prints
seconds, peak memory and the ratio to plain `pandoc --file-scope -f commonmark_x -t html posts/*.md`
(one process converting the same posts). The machine is noisy: compare ratios from one run.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE.parent))   # the project's own compiler, installed or not
sys.path.insert(0, str(HERE))
from workdir import generated  # noqa: E402


def measure(cmd: list[str], cwd: Path) -> dict:
    """Wall time and peak RSS of one child process (wait4 gives the child's own rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = __import__("os").wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out = proc.stdout.read().decode()
    if status != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr.read().decode()[-2000:]}")
    return {"seconds": seconds, "max_rss_mb": usage.ru_maxrss / 1024, "stdout": out}


def stage(manifest: str, render: str) -> None:
    """Child mode: compile the book (with or without HTML fragments); print stage timings as JSON."""
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    start = time.perf_counter()
    book, problems = compile_book(load_manifest(Path(manifest)), render=render == "render")
    pandoc_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"inner_seconds": time.perf_counter() - start, "chapters": len(book.chapters),
                      "pandoc_worker_peak_mb": pandoc_peak,
                      "errors": sum(1 for d in problems if d.severity.value == "error")}))


def main(n: int) -> None:
    from compiler.compile.pandoc import pandoc_path
    folder = generated(n).parent
    posts = sorted(str(p.relative_to(folder)) for p in (folder / "posts").glob("*.md"))
    rows = {}
    rows["pandoc, one process, md -> html"] = measure(
        [pandoc_path(), "--file-scope", "-f", "commonmark_x", "-t", "html", "-o", "/dev/null", *posts], folder)
    child = [sys.executable, str(Path(__file__).resolve()), "--stage", str(folder / "book.yml")]
    rows["chapbook parse + transforms + lint"] = measure(child + ["norender"], HERE.parent)
    rows["chapbook compile incl. HTML fragments"] = measure(child + ["render"], HERE.parent)
    base = rows["pandoc, one process, md -> html"]["seconds"]
    print(f"{n} generated posts, {sum((folder / p).stat().st_size for p in posts) / 1e6:.1f} MB of Markdown")
    print(f"{'measurement':42} {'seconds':>8} {'peak MB':>8} {'ratio':>6}  (peak MB: the process; pandoc workers)")
    for name, row in rows.items():
        extra = json.loads(row["stdout"]) if row["stdout"].strip().startswith("{") else {}
        workers = f"  {extra['pandoc_worker_peak_mb']:.0f} MB per pandoc worker" if extra else ""
        print(f"{name:42} {row['seconds']:8.1f} {row['max_rss_mb']:8.0f} {row['seconds'] / base:6.2f}{workers}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--stage":
        stage(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
