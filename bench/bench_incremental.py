"""Benchmark: the build cache. Cold, no-op and one-edit builds of the same generated book, in one run.

    python bench/bench_incremental.py [N] [--pdf]      (default N=1000 generated posts; HTML+EPUB)

Each step runs `chapbook build` as a user does, in its own process, on a private copy of the book:
1. cold: an empty cache (`.chapbook-cache/` removed);
2. no-op: the same command again, nothing changed;
3. one edit: one word added to one paragraph of one post;
4. check: `chapbook check` on the unchanged book (after one check that fills the cache).
Every figure is reported against the cold build of the same run. Memory is the peak of the whole
process tree (Chapbook, its pandoc workers, renderer children), summed, sampled from /proc every
20 ms (a sampler written here: no library sums a tree's RSS over time).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from workdir import generated, tree_rss_kb  # noqa: E402


def measure(cmd: list[str], cwd: Path) -> dict:
    """Wall time and the peak summed RSS of the command's process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kb(proc.pid) * 1024)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:5])} … failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return {"seconds": seconds, "peak_mb": peak[0] / 2**20, "stderr": err.decode()}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 1000
    formats = "html,epub,pdf" if "--pdf" in sys.argv else "html,epub"
    source = generated(n).parent
    with tempfile.TemporaryDirectory(prefix="chapbook-bench-") as tmp:
        book = Path(tmp) / "book"
        shutil.copytree(source, book, ignore=shutil.ignore_patterns(".chapbook-cache", "dist"))
        build = [sys.executable, "-m", "compiler", "build", str(book / "book.yml"), "--format", formats, "-q"]
        check = [sys.executable, "-m", "compiler", "check", str(book / "book.yml"), "-q"]
        env_root = HERE.parent
        rows = []
        cold = measure(build, env_root)
        rows.append(("cold build", cold))
        rows.append(("no-op rebuild", measure(build, env_root)))
        post = sorted((book / "posts").glob("*.md"))[n // 2]
        text = post.read_text()
        cut = text.index("\n\n", text.index("---", 3) + 3) + 2
        post.write_text(text[:cut] + "Edited. " + text[cut:])
        rows.append(("rebuild after one edited paragraph", measure(build, env_root)))
        measure(check, env_root)
        rows.append(("check, unchanged book", measure(check, env_root)))
    print(f"{n} generated posts, formats {formats}; ratios against the cold build of this run")
    for name, r in rows:
        print(f"  {name:<36} {r['seconds']:7.2f} s  {r['seconds'] / cold['seconds']:6.1%}   peak {r['peak_mb']:6.0f} MB")


if __name__ == "__main__":
    main()
