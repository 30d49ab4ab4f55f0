"""Hostile raw HTML and attribute syntax cannot reach any output (checked on the real pipeline)."""

from __future__ import annotations

import re

import pytest

from helpers import compile_manifest, make_book, post

HOSTILE = """
<script>alert('raw')</script>

Inline <img src=x onerror="alert(1)"> and <a href="javascript:alert(2)">js</a>.

[attr link](https://example.com){onclick="alert(3)"}

[span]{onmouseover="alert(4)"}

## Heading {onclick="alert(5)"}

::: {onload="alert(6)"}
div
:::

<iframe src="https://evil.example"></iframe>

<a href="data:text/html,<script>alert(7)</script>">data</a>

```{=html}
<script>alert(8)</script>
```

<div onclick="x()"><p>unbalanced

<style>body{background:url(file:///etc/passwd)}</style>

<!-- a -- comment -->

<object data="x.swf"></object><embed src="y"><base href="https://evil.example/"><meta http-equiv="refresh" content="0">

<svg><script>alert(9)</script></svg>

[vb](vbscript:msgbox)
"""


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    book, problems = compile_manifest(make_book(folder, {"evil.md": post("Evil", HOSTILE)}))
    return book.chapters[0], problems


def test_no_script_survives(chapter):
    html = chapter[0].html.lower()
    for needle in ("<script", "alert(", "javascript:", "vbscript:", "data:text/html", "<iframe", "<object",
                   "<embed", "<base", "<meta", "<style", "file:///", "<svg"):
        assert needle not in html, needle
    assert not re.search(r"\son[a-z]+\s*=", html)


def test_content_is_kept_and_reported(chapter):
    ch, problems = chapter
    assert "js" in ch.html and "attr link" in ch.html and "unbalanced" in ch.html
    assert sum(1 for d in problems if d.code == "CB112") >= 5


def test_html_is_balanced(chapter):
    html = chapter[0].html
    assert html.count("<div") == html.count("</div>")
