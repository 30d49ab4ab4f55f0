"""Scale: whole `chapbook build` runs of generated books of several sizes, in one run.

    python bench/bench_scale.py 300 1000 5000            # all formats (epub, pdf, html)
    python bench/bench_scale.py 1000 --format pdf --jobs 1

For each size, one `chapbook build --no-cache` of bench/generate.py's book (made once, kept in
bench/.work/), as a user runs it, in a process tree sampled from /proc every 0.2 s:
- wall time of the whole build, and each format's time as the build reports it;
- peak RSS of the whole process tree (Chapbook, pandoc, renderer processes, summed), and the
  largest peak of any one process other than Chapbook's own (a renderer, pandoc);
- pages of the PDF (pdfinfo).
Then each size's PDF time against the first size's, scaled by the number of posts: a linear
backend gives 1.0 (issue 11 asks for 5,000 posts in at most 5.5x the 1,000-post time).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from workdir import generated  # noqa: E402

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
ROW = re.compile(r"^\s*(\w+)\s*│.*│\s*([\d.]+) s\s*$")


def _processes() -> tuple[dict[int, list[int]], dict[int, int]]:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * PAGE_KB
    return children, rss


def _name(pid: int) -> str:
    """A process as the report names it: pandoc, or what a Python process runs (renderer, Chapbook)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    if "pandoc" in args[0]:
        return "pandoc"
    text = " ".join(args)
    return "renderer" if "renderer" in text else "typst" if "typst" in text else "chapbook" if "compiler" in text else Path(args[0]).name


class Sampler(threading.Thread):
    """Peak summed RSS of a process tree, and the peak of its largest non-root process (KB)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.tree, self.child, self.done = pid, 0, 0, threading.Event()
        self.child_name, self.tree_parts = "", ""      # which process the largest child was; the tree at its peak

    def run(self) -> None:
        while not self.done.is_set():
            children, rss = _processes()
            total, stack, parts = 0, [self.pid], []
            while stack:
                p = stack.pop()
                total += rss.get(p, 0)
                parts.append(f"{_name(p)} {rss.get(p, 0) >> 10}")
                if p != self.pid and rss.get(p, 0) > self.child:
                    self.child, self.child_name = rss.get(p, 0), _name(p)
                stack += children.get(p, [])
            if total > self.tree:
                self.tree, self.tree_parts = total, ", ".join(parts)
            time.sleep(0.2)


def build(manifest: Path, out: Path, formats: str, jobs: int | None) -> dict:
    env = {**os.environ, "COLUMNS": "200", "SOURCE_DATE_EPOCH": "1700000000"}
    book = manifest
    if jobs is not None:   # a copy of the manifest with outputs.pdf.jobs set
        import yaml
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        data.setdefault("outputs", {}).setdefault("pdf", {})
        data["outputs"]["pdf"] = {**(data["outputs"]["pdf"] or {}), "jobs": jobs}
        book = manifest.with_name(f"book-jobs{jobs}.yml")
        book.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    command = [sys.executable, "-m", "compiler", "build", str(book), "--no-cache", "--out", str(out),
               "--format", formats]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    output = proc.communicate()[0]
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({proc.returncode}):\n{output[-4000:]}")
    times = {m.group(1): float(m.group(2)) for line in output.splitlines() if (m := ROW.match(line))}
    pages = None
    for pdf in out.glob("*.pdf"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return {"seconds": seconds, "times": times, "tree_mb": sampler.tree / 1024, "child_mb": sampler.child / 1024,
            "pages": pages, "child_name": sampler.child_name, "tree_parts": sampler.tree_parts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of generated posts")
    parser.add_argument("--format", default="epub,pdf,html")
    parser.add_argument("--jobs", type=int, default=None, help="outputs.pdf.jobs (default: the manifest's)")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        manifest = generated(n)
        out = Path(tempfile.mkdtemp(prefix=f"bench-scale-{n}-"))
        try:
            row = build(manifest, out, args.format, args.jobs)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        rows.append((n, row))
        per = " ".join(f"{k} {v:.1f} s" for k, v in row["times"].items())
        print(f"{n} posts: {row['seconds']:.1f} s ({per}), {row['pages']} pages, tree peak {row['tree_mb']:.0f} MB, "
              f"largest child {row['child_mb']:.0f} MB ({row['child_name']}); the tree at its peak, MB: {row['tree_parts']}",
              flush=True)
    first_n, first = rows[0]
    for n, row in rows[1:]:
        if "pdf" in first["times"] and "pdf" in row["times"]:
            ratio = row["times"]["pdf"] / first["times"]["pdf"]
            print(f"PDF {n} vs {first_n} posts: {ratio:.2f}x the time for {n / first_n:.1f}x the posts "
                  f"(linear: {ratio / (n / first_n):.2f}); tree peak {row['tree_mb'] / first['tree_mb']:.2f}x")


if __name__ == "__main__":
    main()
