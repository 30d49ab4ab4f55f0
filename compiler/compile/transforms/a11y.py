"""Accessibility repairs on a chapter's rendered HTML, shared by every HTML-based output (EPUB,
HTML booklet, PDF).

- An empty table header cell (`| | 2023 | 2024 |`, `&nbsp;`, or raw `<th></th>`) names no column or row:
  screen readers announce it as a header with nothing in it (axe-core and Ace: empty-table-header).
  It becomes an ordinary, empty data cell, in place.
"""

from __future__ import annotations

import re

_EMPTY_TH = re.compile(r"<th(\s[^>]*)?>((?:\s|&nbsp;|&#160;|&#x0*a0;)*)</th>", re.IGNORECASE)


def empty_header_cells(html: str) -> str:
    return _EMPTY_TH.sub(lambda m: f"<td{m[1] or ''}>{m[2]}</td>", html) if "<th" in html else html
