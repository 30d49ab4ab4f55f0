"""`outputs.html` in book.yml: every option documented in docs/html.md, unknown keys refused."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from compiler.backends import BackendOptions
from compiler.support.urls import scheme_of

POST_URL_FIELDS = ("slug", "yyyy", "mm", "dd")


class HtmlOptions(BackendOptions):
    mode: Literal["site", "single"] = Field(
        "site", description="site: an index page and one page per chapter; single: one self-contained file")
    post_url: str | None = Field(
        None, description="Where each post lives on the blog, relative to site_url (or absolute). "
                          "Placeholders: {slug}, {yyyy}, {mm}, {dd} (the post's date). Default: the "
                          "post's permalink by the blog engine's rules (none when unknown)")
    base_url: str | None = Field(
        None, description="Where this folder will be published (absolute http(s) URL), for sitemap.xml "
                          "and Open Graph; default: site_url + the book's slug + '/'")
    toc_limit: int = Field(
        150, ge=1, description="Books with more chapters show a window of the contents on each page "
                               "(the index page always lists every chapter)")
    search: bool = Field(True, description="Build the search index and show the search box")

    @field_validator("post_url")
    @classmethod
    def _post_url(cls, v: str | None) -> str | None:
        """Refuse unknown placeholders now rather than fail half-way through a build."""
        if v is None:
            return v
        try:
            v.format(**{name: "x" for name in POST_URL_FIELDS})
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"post_url {v!r}: unknown or malformed placeholder ({exc}); "
                             f"use {', '.join('{' + f + '}' for f in POST_URL_FIELDS)}") from None
        scheme = scheme_of(v.lstrip())
        if scheme and scheme not in ("http", "https"):
            raise ValueError(f"post_url {v!r}: only http(s) URLs or paths relative to site_url are allowed")
        if any(c in v for c in "\"<>\\") or any(ord(c) < 32 for c in v):
            raise ValueError(f"post_url {v!r}: quotes, angle brackets, backslashes and control characters "
                             "are not allowed")
        return v

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("base_url must be an absolute http(s) URL, like https://example.com/book/")
        return v.rstrip("/") + "/" if v else v
