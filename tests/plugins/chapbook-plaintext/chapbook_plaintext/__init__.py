"""A Chapbook backend in a package of its own: the book as one plain-text file, `<out>/<slug>.txt`.

It uses only what any plugin gets, from the one public module `compiler.api`: the Book model,
BackendOptions, BuildContext, atomic writes, the AST walk and diagnostics (CB29x is the range
reserved for plugins).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from pydantic import Field

from compiler.api import BackendOptions, Book, BuildContext, Chapter, diag, stringify, walk, write_bytes


class PlaintextOptions(BackendOptions):
    width: int = Field(72, ge=20, le=200, description="Line width")


class PlaintextBackend:
    name = "plaintext"
    options_model = PlaintextOptions

    def build(self, book: Book, options: PlaintextOptions, ctx: BuildContext) -> list[Path]:
        lines = [*_underlined(book.meta.title, "#"), ", ".join(book.meta.authors), ""]
        for chapter in book.all_chapters:
            lines += _chapter(chapter, options.width, ctx)
        text = "\n".join(lines).rstrip() + "\n"
        return [write_bytes(ctx.out_dir / f"{book.meta.slug}.txt", text.encode("utf-8"))]


def _chapter(chapter: Chapter, width: int, ctx: BuildContext) -> list[str]:
    images: list[str] = []
    walk(chapter.ast["blocks"], {"Image": lambda el: images.append(el["c"][2][0])})
    if images:
        ctx.diagnostics.append(diag("CB290", chapter.source, None,
                                    f"plaintext: {len(images)} image(s) left out (alt text kept)"))
    lines = ["", *_underlined(chapter.title, "="), ""]
    for block in chapter.ast["blocks"]:
        if block["t"] == "Header":
            lines += [*_underlined(stringify(block["c"][2]).strip(), "-"), ""]
        elif block["t"] == "CodeBlock":
            lines += ["    " + line for line in block["c"][1].splitlines()] + [""]
        else:
            text = " ".join(stringify(block).split())
            if text:
                lines += textwrap.wrap(text, width) + [""]
    return lines


def _underlined(text: str, mark: str) -> list[str]:
    return [text, mark * len(text)]
