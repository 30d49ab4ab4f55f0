"""HTML backend: a static folder, `<out>/html/`, that any web server (or file://) can publish.

`site` mode (default) writes an index page and one page per chapter; `single` mode writes the whole
book as one self-contained file. Both carry search (an index built here, searched by the theme's own
script), the other formats built in the same run, and nothing that loads from elsewhere. The
folder is written atomically: a failed build leaves the previous one in place.
See docs/html.md for the options and what the folder contains.
"""

from __future__ import annotations

from pathlib import Path

from compiler.backends import BuildContext
from compiler.backends.html.options import HtmlOptions
from compiler.backends.html.single import write_single
from compiler.backends.html.site import write_site
from compiler.model.book import Book
from compiler.build.output import atomic_dir

__all__ = ["HtmlBackend", "HtmlOptions"]


class HtmlBackend:
    name = "html"
    options_model = HtmlOptions
    uses_ast = False            # it prints the chapters' HTML fragments

    def build(self, book: Book, options: HtmlOptions, ctx: BuildContext) -> list[Path]:
        target = ctx.out_dir / "html"
        with atomic_dir(target) as folder:
            if options.mode == "single":
                write_single(book, options, ctx, folder)
            else:
                write_site(book, options, ctx, folder)
        return [target]
