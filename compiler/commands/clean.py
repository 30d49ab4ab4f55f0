"""`chapbook clean`: remove the build cache and the default output folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from compiler.build import run
from compiler.build.cache import clean as remove
from compiler.console import CacheDir, ManifestArg, Quiet, Verbose, err, find_manifest, terminal


def clean(
    manifest: ManifestArg = None,
    cache_dir: CacheDir = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder to remove (default: dist/ beside the manifest).")] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Remove the build cache (.chapbook-cache/) and the output folder (dist/): the next build starts cold."""
    terminal.set(quiet, verbose)
    loaded = run.load(find_manifest(manifest))
    removed = remove(loaded.root, cache_dir.resolve() if cache_dir else None, out.resolve() if out else None)
    if terminal.verbosity >= 0:
        err.print("\n".join(f"removed {escape(str(p))}" for p in removed) or "nothing to remove", highlight=False)
    raise typer.Exit(0)
