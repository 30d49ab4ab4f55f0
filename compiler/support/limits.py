"""Resource limits for child processes that fit inside the limits already in force.

A container, a CI runner or `ulimit -v` may set a hard limit below what Chapbook would ask for by
default; a process may lower its limits but never raise them past the hard limit. So a default is
clamped to the hard limit (and the caller says so), and an explicit setting above it is refused.
"""

from __future__ import annotations

import resource


def hard_limit(which: int) -> int | None:
    """The hard limit in force for `which` (resource.RLIMIT_*), or None when unlimited."""
    hard = resource.getrlimit(which)[1]
    return None if hard == resource.RLIM_INFINITY else hard


def fit(which: int, wanted: int) -> tuple[int, bool]:
    """`wanted`, or the hard limit when that is lower: (value, clamped)."""
    hard = hard_limit(which)
    if hard is not None and wanted > hard:
        return hard, True
    return wanted, False


def apply(which: int, soft: int, hard: int | None = None) -> None:
    """Set a limit in this (child) process, never above the hard limit already in force."""
    ceiling = hard_limit(which)
    hard = soft if hard is None else hard
    if ceiling is not None:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    resource.setrlimit(which, (soft, hard))
