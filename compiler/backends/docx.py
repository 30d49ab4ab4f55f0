"""DOCX backend (stub, to be written): a Word manuscript through pandoc."""

from __future__ import annotations

from compiler.backends import BackendOptions
from compiler.diagnostics import FatalError


class DocxOptions(BackendOptions):
    pass


class DocxBackend:
    name = "docx"
    options_model = DocxOptions

    def build(self, book, options, ctx):
        raise FatalError("the docx backend is not written yet", 2)
