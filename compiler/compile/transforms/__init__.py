"""Pure transforms over pandoc's JSON AST (dicts with "t" and "c", as pandoc writes them).

A transform is a function on one element, panflute-style: return None to keep it (its children
are walked), an element to replace it, or a list of elements (possibly empty) to splice in its
place. `walk` applies a table of such functions in one pass and builds new containers only where
something changed, so stages return new values without copying whole documents.
"""

from __future__ import annotations

from typing import Callable

Element = dict
Handler = Callable[[Element], "Element | list[Element] | None"]

# Where an element's Attr ([id, classes, key-values]) sits inside its "c".
ATTR_INDEX = {"Header": 1, "Div": 0, "Span": 0, "Code": 0, "CodeBlock": 0, "Link": 0, "Image": 0,
              "Table": 0, "Figure": 0}


def walk(value, handlers: dict[str, Handler]):
    """Return `value` with `handlers[t]` applied to every element of type t, depth first."""
    if isinstance(value, dict):
        new = _element(value, handlers)
        return new
    if not isinstance(value, list):
        return value
    out = None
    for i, item in enumerate(value):
        if isinstance(item, list):
            new, splice = walk(item, handlers), False
        elif isinstance(item, dict):
            new = _element(item, handlers)
            splice = isinstance(new, list)
        else:
            new, splice = item, False
        if new is item:
            if out is not None:
                out.append(item)
            continue
        if out is None:
            out = value[:i]
        if splice:
            out.extend(new)
        else:
            out.append(new)
    return value if out is None else out


def _element(item: dict, handlers):
    """One element: its handler's answer, or the element with its children walked."""
    if "t" not in item:
        return item
    handler = handlers.get(item["t"])
    if handler is not None:
        replaced = handler(item)
        if replaced is not None:
            return replaced
    content = item.get("c")
    if isinstance(content, list):
        new = [walk(x, handlers) if isinstance(x, list) else _child_element(x, handlers) for x in content]
        if any(a is not b for a, b in zip(new, content)):
            return {"t": item["t"], "c": new}
    elif isinstance(content, dict):
        new = _child_element(content, handlers)
        if new is not content:
            return {"t": item["t"], "c": new}
    return item


def _child_element(x, handlers):
    """A single child element in a fixed slot (not a list): a splice there keeps its first item."""
    if not isinstance(x, dict):
        return x
    new = _element(x, handlers)
    if isinstance(new, list):
        return new[0] if new else x
    return new


def stringify(value) -> str:
    """Plain text of any AST fragment (like pandoc.utils.stringify)."""
    parts: list[str] = []
    _text(value, parts)
    return "".join(parts)


def _text(value, parts: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _text(item, parts)
        return
    if not isinstance(value, dict):
        return
    t = value.get("t")
    if t == "Str":
        parts.append(value["c"])
    elif t in ("Space", "SoftBreak", "LineBreak"):
        parts.append(" ")
    elif t in ("Code", "Math"):
        parts.append(value["c"][1])
    elif t in ("RawInline", "RawBlock", "CodeBlock"):
        return
    elif t in ("Link", "Image"):
        _text(value["c"][1], parts)
    elif t == "Header":
        _text(value["c"][2], parts)
    elif t == "Note":
        return
    elif t == "Quoted":  # smart quotes, as pandoc prints them
        double = value["c"][0]["t"] == "DoubleQuote"
        parts.append("\u201c" if double else "\u2018")
        _text(value["c"][1], parts)
        parts.append("\u201d" if double else "\u2019")
    elif t in ("Para", "Plain"):
        _text(value["c"], parts)
        parts.append(" ")
    else:
        _text(value.get("c"), parts)


def attr_of(element: Element):
    index = ATTR_INDEX.get(element["t"])
    return None if index is None else element["c"][index]


def with_attr(element: Element, attr) -> Element:
    c = list(element["c"])
    c[ATTR_INDEX[element["t"]]] = attr
    return {"t": element["t"], "c": c}


def header(level: int, ident: str, inlines: list) -> Element:
    return {"t": "Header", "c": [level, [ident, [], []], inlines]}


def text_inlines(text: str) -> list:
    """Inlines for a plain string (words and spaces)."""
    out: list = []
    for i, word in enumerate(text.split(" ")):
        if i:
            out.append({"t": "Space"})
        if word:
            out.append({"t": "Str", "c": word})
    return out
