"""Rewriting one body: tag by tag, each known construct through its handler, each unknown one
removed and reported (CB119); code blocks and spans kept."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import Callable

from compiler.model.diagnostics import Diagnostic, Severity
from compiler.compile.blogsyntax.handlers import HUGO, LIQUID, _code_language, _describe, _inline_code_span
from compiler.compile.blogsyntax.syntax import (
    CONVERTED, Opened, Tag, UNKNOWN, Verbatim, _MIRROR,
    _OPENER, _URL_FILTERED, _mask, _within, find_tags, find_verbatim,
    inline_code, pair, parse_args, unescape_code,
)

# --- rewriting ---------------------------------------------------------------------------------

class _Rewrite:
    """One body: finds code and tags, then rebuilds the text piece by piece (local, short-lived)."""

    def __init__(self, text: str, rel: str, body_line: int):
        self.text, self.rel, self.body_line = text, rel, body_line
        self.out: list[str] = []
        self.problems: list[Diagnostic] = []
        self.converted: Counter = Counter()
        self.first_line: int | None = None
        self.closers: dict[int, Callable[[Tag], str]] = {}   # closing tag index -> its replacement
        self.closed: set[int] = set()                        # closing tag indexes that have an opener
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return self.body_line + bisect.bisect_left(self.newlines, offset)

    def run(self) -> tuple[str, list[Diagnostic]]:
        pairs, never_closed, blocks = find_verbatim(self.text)
        unclosed = {t.start for t in never_closed}
        regions = [(v.start, v.end) for v in pairs]
        units = sorted(pairs + find_tags(_mask(self.text, sorted(blocks + regions))), key=lambda u: u.start)
        spans = inline_code(self.text, sorted(blocks + regions), [(u.start, u.end) for u in units])
        units = [u for u in units if not _within(u.start, spans)]
        singles = [u for u in units if isinstance(u, Tag)]
        pairs = pair(singles)
        index = {id(t): i for i, t in enumerate(singles)}
        events = sorted([(s, e, None) for s, e in blocks + spans] + [(u.start, u.end, u) for u in units],
                        key=lambda ev: ev[0])
        pos = 0
        for start, end, unit in events:
            self.out.append(self.text[pos:start])
            if unit is None:
                self.out.append(unescape_code(self.text[start:end]))
            elif isinstance(unit, Verbatim):
                self.out.append(self.verbatim(unit))
            elif unit.start in unclosed:
                self.out.append(self.unknown(unit, " (it is never closed)"))
            else:
                i = index[id(unit)]
                self.out.append(self.tag(unit, i, pairs.get(i)))
            pos = end
        self.out.append(self.text[pos:])
        self.report_strays(_mask(self.text, sorted(blocks + spans + [(u.start, u.end) for u in units])))
        if self.converted:
            what = ", ".join(f"{n} {name}" for name, n in sorted(self.converted.items()))
            self.problems.append(Diagnostic(CONVERTED, Severity.INFO, self.rel, self.first_line,
                                            f"engine syntax converted: {what}"))
        return "".join(self.out), self.problems

    # --- bookkeeping

    def done(self, what: str, tag: Tag) -> None:
        self.converted[what] += 1
        if self.first_line is None:
            self.first_line = self.line(tag.start)

    def unknown(self, tag: Tag, note: str = "") -> str:
        self.problems.append(Diagnostic(UNKNOWN, Severity.WARNING, self.rel, self.line(tag.start),
                                        f"{_describe(tag)} removed{note}; write what it meant in Markdown"))
        return ""

    def report_strays(self, masked: str) -> None:
        for m in _OPENER.finditer(masked):
            self.problems.append(Diagnostic(UNKNOWN, Severity.WARNING, self.rel, self.line(m.start()),
                                            f"unterminated engine tag {m.group(0)!r}: left as text; close it or remove it"))

    def around(self, tag) -> tuple[str, str]:
        """The text before the tag on its first line and after it on its last line (original body)."""
        start = self.text.rfind("\n", 0, tag.start) + 1
        end = self.text.find("\n", tag.end)
        return self.text[start:tag.start], self.text[tag.end:end if end >= 0 else len(self.text)]

    def alone(self, tag) -> bool:
        before, after = self.around(tag)
        return not before.strip() and not after.strip()

    def own_line(self, tag, block: str) -> str:
        """`block` on lines of its own: a newline is added where the tag shares its line with text."""
        before, after = self.around(tag)
        return ("\n" if before.strip() else "") + block + ("\n" if after.strip() else "")

    # --- dispatch

    def tag(self, tag: Tag, i: int, closer: int | None) -> str:
        if tag.engine == "escaped":
            self.done("escaped shortcode", tag)
            return _inline_code_span("{{" + tag.name + tag.args + _MIRROR[tag.name] + "}}")
        if tag.engine == "output":
            return self.output(tag)
        if tag.closing:
            close = self.closers.pop(i, None)
            return close(tag) if close else ("" if i in self.closed else self.unknown(tag, " (it closes nothing)"))
        if closer is not None:
            self.closed.add(closer)
        handler = (HUGO if tag.engine == "hugo" else LIQUID).get(tag.name)
        result = handler(self, tag, parse_args(tag.args), closer is not None) if handler else None
        if result is None:
            return self.unknown(tag, " (its inner text is kept)" if closer is not None else "")
        self.done(tag.name, tag)
        if isinstance(result, Opened):
            self.closers[closer] = result.close
            result = result.text
        return self.keep_lines(tag, result)

    def keep_lines(self, tag: Tag, result: str) -> str:
        """A tag spread over several lines, alone on them: pad its result with blank lines."""
        missing = self.text.count("\n", tag.start, tag.end) - result.count("\n")
        return result + "\n" * missing if missing > 0 and self.alone(tag) else result

    def output(self, tag: Tag) -> str:
        expr = tag.args.strip()
        if re.fullmatch(r"site\.(baseurl|url|github\.url)", expr):
            self.done("site url", tag)
            return ""
        m = _URL_FILTERED.match(expr)
        if m:
            self.done("url filter", tag)
            return m["path"]
        return self.unknown(tag)

    def verbatim(self, unit: Verbatim) -> str:
        tag, content = unit.open, self.text[unit.open.end:unit.close.start]
        self.done(tag.name, tag)
        if tag.name == "raw":
            return content
        if tag.name == "comment":
            return "\n" * self.text.count("\n", unit.start, unit.end)
        return self.fence(unit, content, *_code_language(tag, parse_args(tag.args)))

    def fence(self, unit: Verbatim, content: str, lang: str | None, numbered: bool) -> str:
        """A highlight/codeblock pair as a fenced code block (indentation of the tag kept)."""
        ticks = "`" * max(3, max((len(r) for r in re.findall(r"`+", content)), default=0) + 1)
        info = f"{{.{lang} .numberLines}}" if numbered and lang else (lang or "")
        before, _ = self.around(unit.open)
        head = ("\n" if before.strip() else "") + ticks + info + ("" if content.startswith("\n") else "\n")
        last = content[content.rfind("\n") + 1:]
        _, after = self.around(unit.close)
        tail = ("\n" if last.strip() or "\n" not in content else "") + ticks + ("\n" if after.strip() else "")
        return head + content + tail
