"""The book's outline without level gaps.

A chapter's heading list (Chapter.headings) feeds the EPUB nav and NCX, the PDF outline, the HTML
contents and `toc`. Whatever levels a post skips (a first heading at ###, a ## then ####, a # ###
## order that ranking distinct levels cannot close), each heading sits at most one level below the
heading it belongs to: the levels are closed up, their relative order kept. The chapter bodies keep
their own heading elements (compile/transforms/headings.py normalises those).
"""

from __future__ import annotations

from dataclasses import replace

from compiler.compile.transforms.ids import Heading


def close_gaps(headings: list[Heading]) -> tuple[list[Heading], list[tuple[Heading, int, int]]]:
    """Headings with outline levels closed up under the chapter title (level 1), and the jumps
    closed: (heading, level of the heading before it, level as written)."""
    out: list[Heading] = []
    jumps: list[tuple[Heading, int, int]] = []
    stack: list[tuple[int, int]] = []          # (level as written, level in the outline)
    for h in headings:
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        level = stack[-1][1] + 1 if stack else 2
        before = out[-1].level if out else 1
        if h.level > before + 1:
            jumps.append((h, before, h.level))
        stack.append((h.level, level))
        out.append(h if level == h.level else replace(h, level=level))
    return out, jumps


def outline_jumps(post, jumps: list[tuple[Heading, int, int]]) -> list:
    """A warning (CB106) for a chapter whose first heading sits deeper than level 2; jumps between
    two headings are already reported, at their line, by lint.heading_jumps."""
    from compiler.compile.lint import locate_heading
    from compiler.model.diagnostics import diag
    found = []
    for heading, before, written in jumps:
        if before == 1:
            found.append(diag("CB106", post.rel, locate_heading(post, heading.text), f"heading \u201c{heading.text}\u201d "
                              f"opens the chapter but is deeper than a later heading: it would sit {written - before} "
                              "levels below the title; the contents (EPUB nav, PDF outline, HTML contents) show "
                              "it one level below"))
    return found
