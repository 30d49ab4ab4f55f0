"""The page's stylesheet: the theme's CSS, with its dark rules made to obey the reader's toggle.

Theme CSS (ours, the shared highlight palette, a book's own theme) says "dark" the standard way,
`@media (prefers-color-scheme: dark) { … }`. The toggle sets `data-theme` on the root element, so
each such block is rewritten twice: inside the media query unless the reader chose light, and
outside it when the reader chose dark. Theme authors keep writing plain CSS.
"""

from __future__ import annotations

import tinycss2
from tinycss2 import ast

LIGHT_CHOSEN = ':root:not([data-theme="light"])'
DARK_CHOSEN = ':root[data-theme="dark"]'


def with_theme_toggle(css: str) -> str:
    rules = tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=False)
    out = []
    for rule in rules:
        if isinstance(rule, ast.AtRule) and rule.lower_at_keyword == "media" and _is_dark_query(rule):
            inner = tinycss2.parse_rule_list(rule.content or [], skip_comments=True, skip_whitespace=True)
            auto = "".join(_scoped(r, LIGHT_CHOSEN) for r in inner)
            chosen = "".join(_scoped(r, DARK_CHOSEN) for r in inner)
            out.append(f"@media {tinycss2.serialize(rule.prelude).strip()} {{\n{auto}}}\n{chosen}")
        else:
            out.append(rule.serialize())
    return "".join(out)


def _is_dark_query(rule: ast.AtRule) -> bool:
    prelude = "".join(tinycss2.serialize(rule.prelude).split()).lower()
    return prelude == "(prefers-color-scheme:dark)"


def _scoped(rule, root: str) -> str:
    if not isinstance(rule, ast.QualifiedRule):
        return rule.serialize() + "\n"
    scoped = ", ".join(_scope_selector(s, root) for s in _selectors(rule.prelude))
    return f"{scoped} {{{tinycss2.serialize(rule.content)}}}\n"


def _selectors(prelude: list) -> list[str]:
    """Split a selector list at its top-level commas (commas inside `:is(…)` are nested tokens)."""
    groups: list[list] = [[]]
    for token in prelude:
        if isinstance(token, ast.LiteralToken) and token.value == ",":
            groups.append([])
        else:
            groups[-1].append(token)
    return [tinycss2.serialize(g).strip() for g in groups if tinycss2.serialize(g).strip()]


def _scope_selector(selector: str, root: str) -> str:
    """`:root`/`html` selectors gain the condition; any other selector is nested under it."""
    for start in (":root", "html"):
        if selector == start or selector.startswith(start + " ") or selector.startswith(start + ":") \
                or selector.startswith(start + "["):
            return root + selector[len(start):]
    return f"{root} {selector}"
