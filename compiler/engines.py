"""Blog-engine syntax in posts (Liquid for Jekyll, Hugo shortcodes): turned into what it means
before pandoc reads the post (stub: passes text through; to be written)."""

from __future__ import annotations

from compiler.diagnostics import Diagnostic


def preprocess(text: str, rel: str, body_line: int) -> tuple[str, list[Diagnostic]]:
    """Return the body with engine syntax rewritten to Markdown/HTML, and diagnostics (file:line).

    `body_line` is the file line of the body's first line, for messages. Must keep the body's line
    count unchanged where possible (diagnostics locate text by line).
    """
    return text, []
