"""compiler.load.theme: a theme file that links out of its folder is never read."""

from __future__ import annotations

import os

import pytest

from compiler.model.diagnostics import FatalError
from compiler.load.theme import load_theme


def test_links_out_of_a_theme_are_refused(tmp_path):
    book = tmp_path / "book"
    (book / "mytheme" / "html").mkdir(parents=True)
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    os.symlink(secret, book / "mytheme" / "html" / "book.css")
    os.symlink(secret, book / "mytheme" / "html" / "page.html.j2")
    (book / "mytheme" / "html" / "own.css").write_text("p { margin: 0 }")
    theme = load_theme("mytheme", book)
    assert theme.find("html/own.css") == (book / "mytheme" / "html" / "own.css").resolve()
    assert theme.find("html/base.css") is None
    with pytest.raises(FatalError, match="links outside the theme folder"):
        theme.find("html/book.css")
    with pytest.raises(FatalError, match="links outside the theme folder"):
        theme.environment("html").get_template("page.html.j2")
