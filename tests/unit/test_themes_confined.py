"""compiler.themes: a theme file that links out of its folder is never read."""

from __future__ import annotations

import os

import jinja2
import pytest

from compiler.themes import builtin_dir, load_theme


def test_links_out_of_a_theme_are_ignored(tmp_path):
    book = tmp_path / "book"
    (book / "mytheme" / "html").mkdir(parents=True)
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    os.symlink(secret, book / "mytheme" / "html" / "book.css")
    os.symlink(secret, book / "mytheme" / "html" / "page.html.j2")
    (book / "mytheme" / "html" / "own.css").write_text("p { margin: 0 }")
    theme = load_theme("mytheme", book)
    assert theme.find("html/book.css") == (builtin_dir() / "default" / "html" / "book.css").resolve()
    assert theme.find("html/own.css") == (book / "mytheme" / "html" / "own.css").resolve()
    assert theme.find("html/page.html.j2") is None
    env = theme.environment("html")
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("page.html.j2")
