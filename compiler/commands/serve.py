"""`chapbook serve`: live preview of the HTML booklet (the work is in `compiler.serve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compiler.console import ManifestArg, Quiet, Verbose, err, terminal


def serve(
    manifest: ManifestArg = Path("book.yml"),
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535,
                                      help="Port to listen on (0 picks a free one).")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on. Only this machine can connect "
                                                     "unless you give another address (such as 0.0.0.0).")] = "127.0.0.1",
    open_browser: Annotated[bool, typer.Option("--open", help="Open the preview in the default browser.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Build the HTML booklet, serve it on 127.0.0.1 and rebuild and reload the page when sources change.

    Watches the manifest, posts, images and theme. Builds go to a temporary folder, never to dist/.

    A build with errors is shown in the page and here, and the last good build stays served.
    """
    terminal.set(quiet, verbose)

    def say(message: str) -> None:
        if not quiet or message.startswith(("Build failed", "Warning", "Serving")):
            err.print(message, markup=False, highlight=False)

    from compiler.serve import preview     # here: the other commands do not load the server
    settings = preview.Settings(manifest, host, port, open_browser, verbose)
    preview.run(settings, preview.Reporter(say, terminal.diagnostics))
    raise typer.Exit(0)
