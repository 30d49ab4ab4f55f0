"""Footnote calls set as a publisher sets them, over pandoc's AST.

- A note cited twice (`[^a]` twice: pandoc makes two identical Note elements) is one note: the
  second call repeats the first one's number and links to it (a superscript link, so DOCX keeps
  it too), instead of a duplicate note.
- Adjacent calls are separated by a superscript comma ("¹,²", not "¹²", read as twelve).
- A space before a call is closed up ("times.¹", not "times. ¹").

Notes are numbered in reading order, as pandoc's HTML writer numbers them (1, 2, … per chapter),
so a repeated call can carry the number of the note it repeats.
"""

from __future__ import annotations

import json

from compiler.compile.transforms import walk

_SPACES = ("Space", "SoftBreak")


def tidy_notes(blocks: list) -> list:
    seen: dict[str, int] = {}

    def note(el):
        key = json.dumps(el["c"], sort_keys=True)
        if key in seen:
            n = seen[key]
            return {"t": "Link", "c": [["", ["footnote-ref", "note-again"], [["role", "doc-noteref"]]],
                                       [{"t": "Superscript", "c": [{"t": "Str", "c": str(n)}]}], [f"#fn{n}", ""]]}
        seen[key] = len(seen) + 1
        return {"t": "Note", "c": walk(el["c"], handlers)}   # notes inside the note, in order

    handlers = {"Note": note}
    blocks = walk(blocks, handlers)
    return _calls(blocks)


def _is_call(el) -> bool:
    return isinstance(el, dict) and (el.get("t") == "Note" or (
        el.get("t") == "Link" and "note-again" in el["c"][0][1]))


def _calls(value):
    """Spaces before calls removed, commas between adjacent calls, in every list of inlines."""
    if isinstance(value, dict):
        content = value.get("c")
        if isinstance(content, list):
            new = _calls(content)
            return value if new is content else {**value, "c": new}
        return value
    if not isinstance(value, list):
        return value
    items = [_calls(x) for x in value]
    changed = any(a is not b for a, b in zip(items, value))
    if any(_is_call(x) for x in items):
        out: list = []
        edited = False
        for item in items:
            if _is_call(item):
                while out and isinstance(out[-1], dict) and out[-1].get("t") in _SPACES and len(out) > 1:
                    out.pop()
                    edited = True
                if out and _is_call(out[-1]):
                    out.append({"t": "Superscript", "c": [{"t": "Str", "c": ","}]})
                    edited = True
            out.append(item)
        if edited:
            return out
    return items if changed else value
