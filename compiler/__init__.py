"""Chapbook: compile a series of blog posts into a book (EPUB, PDF, HTML)."""

__version__ = "0.1.0"
