"""The public plugin surface: everything a third-party backend needs, from one module.

    from compiler.api import Book, Chapter, BackendOptions, BuildContext, diag, write_bytes

Plugins import from here only; the modules behind these names may move between versions, this
module's names do not (see docs/plugins.md).
"""

from __future__ import annotations

from compiler.backends import Backend, BackendOptions, BuildContext
from compiler.build.output import atomic_dir, atomic_path, write_bytes
from compiler.compile.transforms import stringify, walk
from compiler.model.book import Book, Chapter, Heading, Metadata, Part
from compiler.model.diagnostics import Diagnostic, FatalError, Severity, diag

__all__ = [
    # the model every backend gets
    "Book", "Chapter", "Heading", "Metadata", "Part",
    # a backend's shape, its options and what a build gives it
    "Backend", "BackendOptions", "BuildContext",
    # problems: diagnostics (plugins use CB290-CB299) and the one exception that stops a build
    "Diagnostic", "FatalError", "Severity", "diag",
    # atomic writes
    "atomic_dir", "atomic_path", "write_bytes",
    # pandoc's AST: one-pass walk and plain text
    "stringify", "walk",
]
