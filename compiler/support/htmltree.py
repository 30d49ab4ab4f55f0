"""Small lxml tree edits shared by the backends that rework chapter HTML (EPUB, PDF)."""

from __future__ import annotations


def remove_keep_tail(element) -> None:
    """Remove `element` and its content, keeping the text that follows it."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
