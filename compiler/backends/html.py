"""Placeholder HTML backend: one standalone HTML file of the whole normalised book.

(To be replaced by the full HTML booklet backend.)
"""

from __future__ import annotations

from pathlib import Path

from compiler.backends import BackendOptions, BuildContext
from compiler.book import Book
from compiler.output import write_bytes


class HtmlOptions(BackendOptions):
    pass


class HtmlBackend:
    name = "html"
    options_model = HtmlOptions

    def build(self, book: Book, options: HtmlOptions, ctx: BuildContext) -> list[Path]:
        env = ctx.theme.environment("html")
        page = env.get_template("single.html.j2").render(book=book)
        return [write_bytes(ctx.out_dir / f"{book.meta.slug}.html", page.encode("utf-8"))]
