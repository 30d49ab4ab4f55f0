"""Python's cycle collector, paused while the book's trees are built.

A compiled book is a few million small dicts and lists (pandoc's AST of every post) that hold no
reference cycles. With the collector on, every generation-2 pass walks all of them again: on 1,000
posts that was 1.5-2 s of the compile (json.loads alone ran 2.6x slower).

Re-enabling the collector after such a pause has its own cost: everything allocated meanwhile is
still in the young generation, so the next allocation triggers a pass over all of it, and the
interpreter makes another at exit (0.7 s each for 3 million objects). A short-lived command
therefore asks for `freeze=True`: what the block allocated moves to the permanent generation,
which the collector never walks (reference counting still frees it). A long-running process
(`chapbook serve`) does not freeze, so cycles it drops between builds are still collected.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused_gc(freeze: bool = False):
    """Usable as `with paused_gc():` or as a decorator; nests, and restores the previous state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
