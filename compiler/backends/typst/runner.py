"""The Typst process: `typst.compile` runs in a fresh interpreter with a CPU-time and a memory limit,
like WeasyPrint (compiler/backends/pdf/renderer.py). Job and result are plain JSON; the source
travels as a file in a private folder outside the Typst root, so the document cannot read it."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

_LOCATION = re.compile(r"\.typ:(\d+):(\d+)")
WALL_FACTOR = 4     # the wall-clock backstop, in CPU limits: a busy machine is slow, not stuck


def compile_job(job: dict) -> dict:
    """Compile `job["source"]` to `job["target"]`; runs in the child process."""
    import typst

    source = Path(job["source"]).read_bytes()
    standards = job.get("standards") or []
    try:
        _, warnings = typst.compile_with_warnings(
            source, output=job["target"], root=job["root"], font_paths=job["fonts"], ignore_system_fonts=True,
            format="pdf", pdf_standards=standards, timestamp=job["timestamp"])
    except typst.TypstError as exc:
        return {"errors": [_problem(exc)], "warnings": []}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"warnings": [_problem(w) for w in warnings], "maxrss_kb": usage.ru_maxrss,
            "cpu": usage.ru_utime + usage.ru_stime}


def _problem(exc) -> dict:
    """Message, hints and the line of the generated source (never the source text itself)."""
    diagnostic = "\n".join([getattr(exc, "diagnostic", "") or ""] + [str(t) for t in getattr(exc, "trace", None) or []])
    lines = [int(m[1]) for m in _LOCATION.finditer(diagnostic)]
    message = getattr(exc, "message", None) or (exc.args[0] if getattr(exc, "args", None) else str(exc))
    return {"message": str(message).splitlines()[0][:300] if message else "unknown problem",
            "hints": [str(h)[:200] for h in (getattr(exc, "hints", None) or [])][:3],
            "lines": lines[:20]}


def child_main() -> None:
    """Entry of the Typst process: job JSON on stdin, result JSON on stdout."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    job = json.loads(sys.stdin.read())
    if job.get("memory_limit"):
        _limit(resource.RLIMIT_AS, job["memory_limit"], job["memory_limit"])
    if job.get("cpu_limit"):
        _limit(resource.RLIMIT_CPU, int(job["cpu_limit"]), int(job["cpu_limit"]) + 5)
    try:
        result = compile_job(job)
    except MemoryError:
        result = {"error": "ran out of memory (outputs.pdf.memory_limit)"}
    except BaseException as exc:  # a Typst panic or any failure must become a diagnostic
        result = {"error": f"Typst failed: {type(exc).__name__}: {str(exc)[:300]}"}
    out.write(json.dumps(result))
    out.flush()


def _limit(kind: int, soft: int, hard: int) -> None:
    """Lower a limit (never above one already imposed on this process, e.g. by prlimit)."""
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


def run_typst(job: dict, timeout: float) -> dict:
    """Run `compile_job` in a fresh interpreter with limits; never raises for a failed compile."""
    job = {**job, "cpu_limit": timeout}
    package_parent = str(Path(__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)}
    command = [sys.executable, "-c", "from compiler.backends.typst.runner import child_main; child_main()"]
    try:
        proc = subprocess.run(command, input=json.dumps(job).encode(), capture_output=True,
                              timeout=WALL_FACTOR * timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"Typst took longer than {WALL_FACTOR * timeout:.0f} s (raise outputs.pdf.timeout, or split the book)"}
    try:
        return json.loads(proc.stdout or b"null") or {"error": _crash(proc)}
    except json.JSONDecodeError:
        return {"error": _crash(proc)}


def _crash(proc: subprocess.CompletedProcess) -> str:
    if proc.returncode == -signal.SIGXCPU:
        return "Typst used more CPU time than outputs.pdf.timeout allows (raise it, or split the book)"
    if proc.returncode < 0:
        return f"Typst was killed by signal {-proc.returncode} (out of memory? see outputs.pdf.memory_limit)"
    stderr = proc.stderr.decode("utf-8", "replace")
    if "memory allocation" in stderr or "out of memory" in stderr.lower():
        return "Typst ran out of memory (outputs.pdf.memory_limit)"
    tail = stderr.strip().splitlines()[-1:] or ["no output"]
    return f"Typst stopped (exit {proc.returncode}): {tail[0][:300]}"


def default_timeout(source_bytes: int) -> float:
    """CPU seconds: generous (Typst lays out ~1 MB of source in a few seconds)."""
    return 120 + 60 * source_bytes / 1e6
