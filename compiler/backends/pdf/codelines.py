"""Code blocks set line by line, so a wrapped line keeps its shape.

Each source line of a `<pre>` becomes one block-level `<span class="cl">` whose continuation lines
hang at the line's own indentation plus a step (`padding-left` with a negative `text-indent`, in
`ch` of the code font); print.css draws a continuation mark (an SVG image, so it is not text that
copying or pdftotext would pick up) in the box's left padding beside every continuation line.
A block whose longest line would wrap more than a few times is set one size smaller
(`class="code-wide"`). Trailing empty lines are dropped (no empty last line in a code box).
Highlighted tokens get a break opportunity between them (see `_break_between_tokens`).
"""

from __future__ import annotations

import lxml.html

from compiler.support.htmltree import text_slots

STEP = 2                 # continuation lines hang this many characters further in than their line
COLUMNS = 66             # characters of the code font on one line of the default page (A5, 10.5pt)
FEW_WRAPS = 3            # a longest line needing more lines than this sets the block smaller
TAB = 4
WORD_JOINER = "\u2060"


def set_code_lines(root) -> None:
    for pre in root.iter("pre"):
        code = pre.find("code")
        holder = code if code is not None and len(pre) == 1 and not (pre.text or "").strip() else pre
        lines = _split(holder)
        if lines is None:
            continue
        while lines and not _text(lines[-1]).strip():
            lines.pop()
        holder.text = None
        for child in list(holder):
            holder.remove(child)
        longest = 0
        for line in lines:
            text = _text(line).expandtabs(TAB)
            longest = max(longest, len(text))
            indent = len(text) - len(text.lstrip(" ")) if text.strip() else 0
            hang = indent + STEP
            line.set("class", f"cl {line.get('class') or ''}".strip())
            line.set("style", f"padding-left:{hang}ch;text-indent:-{hang}ch")
            line.tail = None
            if indent:
                _join_indentation(line)
            _break_between_tokens(line)
            holder.append(line)
        if longest > COLUMNS * FEW_WRAPS:
            pre.set("class", f"{pre.get('class') or ''} code-wide".strip())


def _text(element) -> str:
    return element.text_content()


def _split(holder) -> list | None:
    """The holder's content as one span per source line, or None when it is not plain lines
    (pandoc's highlighted spans, or text and inline elements separated by newlines)."""
    children = list(holder)
    if children and all(c.tag == "span" and (c.get("id") or "").count("-") and "\n" not in _text(c)
                        for c in children) and not (holder.text or "").strip() \
            and all(not (c.tail or "").strip("\n") for c in children):
        return children        # pandoc's highlighted lines: one span each, newlines between
    # Anything else: cut the content at its newlines into spans, keeping inline elements whole.
    lines = [lxml.html.Element("span")]

    def add_text(text: str | None) -> None:
        if not text:
            return
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append(lxml.html.Element("span"))
            line = lines[-1]
            if part:
                if len(line):
                    last = line[-1]
                    last.tail = (last.tail or "") + part
                else:
                    line.text = (line.text or "") + part

    add_text(holder.text)
    for child in children:
        if not isinstance(child.tag, str):
            add_text(child.tail)
            continue
        if "\n" in _text(child):
            return None        # an element spanning lines: leave the block as it is
        tail, child.tail = child.tail, None
        lines[-1].append(child)
        add_text(tail)
    return lines


def _join_indentation(line) -> None:
    """A WORD JOINER (U+2060, no width, no glyph in the PDF's text) between a line's indentation
    and its first character. Without it, a line whose text ends exactly at the box's edge is
    broken after its leading spaces by WeasyPrint, leaving an empty first line."""
    for node, attribute in text_slots(line):
        text = getattr(node, attribute)
        stripped = text.lstrip(" \t")
        if stripped:
            setattr(node, attribute, text[:len(text) - len(stripped)] + WORD_JOINER + stripped)
            return


def _break_between_tokens(line) -> None:
    """A break opportunity (`<wbr>`, no character) between two adjacent highlighted tokens:
    WeasyPrint does not find the `overflow-wrap: anywhere` break inside a run of inline spans with
    no space between them, and lets such a run overflow the box."""
    children = list(line)
    for span, following in zip(children, children[1:]):
        if span.tag == "span" and following.tag == "span" and not span.tail:
            span.addnext(lxml.html.Element("wbr"))
