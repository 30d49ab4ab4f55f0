"""Shared by the benchmarks: the generated books they measure, made once and kept in bench/.work/."""

from __future__ import annotations

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
