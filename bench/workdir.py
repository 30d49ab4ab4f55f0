"""Shared by the benchmarks: the generated books they measure, made once and kept in bench/.work/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"


def generated(n: int) -> Path:
    """The manifest of a book of `n` generated posts (bench/generate.py), made on first use."""
    folder = WORK / f"gen{n}"
    if not (folder / "book.yml").is_file():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(n), str(folder)], check=True,
                       stdout=subprocess.DEVNULL)
    return folder / "book.yml"


def tree_rss_kb(pid: int) -> int:
    """Summed RSS of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack += children.get(p, [])
    return total
