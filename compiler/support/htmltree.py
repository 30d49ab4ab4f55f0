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


def text_slots(element):
    """(node, "text" | "tail") for each piece of text inside `element`, in reading order (the
    element's own text, then each child's content and the text that follows the child)."""
    if element.text:
        yield element, "text"
    for child in element:
        if isinstance(child.tag, str):
            yield from text_slots(child)
        if child.tail:
            yield child, "tail"
