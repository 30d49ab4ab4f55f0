"""Blog-engine syntax in posts (Jekyll Liquid, Hexo tag plugins, Hugo shortcodes), turned into what
it means before pandoc reads the post.

A static-site generator expands `{% highlight %}`, `{{< figure >}}` or `{% post_url %}` when it
builds the site; printed as written they would be literal braces in the book. Each known construct
becomes Markdown (or the raw `<figure>` the sanitiser keeps); each unknown one is removed, keeping
the text between a paired tag's opening and closing, and reported with file and line (CB119).

Code is left alone: fenced and indented code blocks (found by markdown-it, a CommonMark parser,
so code inside lists and block quotes counts too) and inline code spans, because posts about
templates and Rust backtraces (`{{closure}}`) show these characters on purpose. The one change
made inside code undoes the engines' own escapes, which exist so that the site prints the syntax
literally: balanced `{% raw %}`/`{% endraw %}` markers are dropped and `{{</* x */>}}` becomes
`{{< x >}}`.

A one-line tag becomes a one-line result, so the body keeps its line count; the exceptions are a
tag sharing its line with text it must be split from (a code fence, an aside) and a figure with a
caption, which needs a few lines of raw HTML around its Markdown image.

The package, by job: `syntax` (the tag grammar and where code is), `rewrite` (one body, tag by
tag), `handlers` (what each known tag becomes).
"""

from __future__ import annotations

from compiler.model.diagnostics import Diagnostic
from compiler.compile.blogsyntax.rewrite import _Rewrite
from compiler.compile.blogsyntax.syntax import CONVERTED, UNKNOWN

__all__ = ["CONVERTED", "UNKNOWN", "preprocess"]


def preprocess(text: str, rel: str, body_line: int) -> tuple[str, list[Diagnostic]]:
    """Return the body with engine syntax rewritten to Markdown/HTML, and diagnostics (file:line).

    `body_line` is the file line of the body's first line, for messages.
    """
    if "{{" not in text and "{%" not in text:
        return text, []
    return _Rewrite(text, rel, body_line).run()
