"""`chapbook init`: start a book from an existing blog.

Scans the blog's posts (compiler.init.detect), lists the series it could make a book of (tags and
categories, with post counts and date ranges), and writes a commented `book.yml` for one of them
inside the blog folder: the book folder is the blog folder, since Chapbook reads nothing outside
the manifest's folder. What it cannot guess is left as a commented placeholder. The manifest is
validated (schema, and which posts it selects) before it replaces anything.

Which series without --series: the best-supported series of two posts or more, from every signal
the blog gives (compiler.init.series: tag families, series front matter, blurbs, title prefixes;
weights and the tie rule there and in docs/init.md); with none, every post. --all takes every post.
The listing explains each series found; the blocks its posts repeat become boilerplate rules
(compiler.init.proposal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from compiler.console import Quiet, Verbose, terminal


def init(
    blog_dir: Annotated[Path, typer.Argument(metavar="BLOG_DIR", help="The blog's folder (the book folder: the manifest is written inside it).")] = Path("."),
    series: Annotated[Optional[list[str]], typer.Option("--series", "-s", metavar="TAG",
                      help="Tag or category to make the book of (or the name of a series listed); repeat it (or separate with commas) for several spellings.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every post, whatever its tags.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Manifest to write (default: BLOG_DIR/book.yml); must be inside BLOG_DIR.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing manifest.")] = False,
    listing: Annotated[bool, typer.Option("--list", help="Only list the series found and why; write nothing.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Scan a blog's posts, list the series found, and write a book.yml for one of them.

    Also adds the book's output and cache folders to the blog's .gitignore and, for Jekyll, to
    `exclude:` in _config.yml, so neither git nor the blog publishes them."""
    terminal.set(quiet, verbose)
    from compiler.init import wizard      # here, not at the top: the other commands start faster
    wizard.run(blog_dir, series, every, out, force, listing)
