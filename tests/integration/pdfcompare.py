"""What two PDFs of one book must share, whatever engine typeset them (used by test_typst.py and
bench/bench_typst.py): outline, contents numbers, page labels against folios, links, fonts, words."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pypdf

_LEADER = re.compile(r"^(.*?)\s*(?:(?:\.\s*){3,}[\s\u2060]*|\u2060)([0-9]+|[ivxlcdm]+)\s*$")


def outline(path: Path) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark, in order."""
    reader = pypdf.PdfReader(path)
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, " ".join(item.title.split()), reader.get_destination_page_number(item)))
    walk(reader.outline, 0)
    return out


def page_labels(path: Path) -> list[str]:
    return list(pypdf.PdfReader(path).page_labels)


def page_texts(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def folios(path: Path) -> dict[int, str]:
    """Page index -> the number printed alone on the page's last line (where there is one)."""
    found = {}
    for index, page in enumerate(page_texts(path)):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines and re.fullmatch(r"[0-9]+|[ivxlcdm]+", lines[-1]):
            found[index] = lines[-1]
    return found


def contents_numbers(path: Path, titles: list[str]) -> list[tuple[str, str]]:
    """(title, printed number) of each contents line, in order (titles may wrap: matched by start)."""
    out = []
    pending = ""
    for page in page_texts(path)[:12]:
        for line in page.splitlines():
            line = line.strip()
            match = _LEADER.match(line)
            if match:
                out.append((" ".join((pending + " " + match[1]).split()), match[2]))
                pending = ""
            elif out or pending or any(line and t.startswith(line[:20]) for t in titles):
                pending = (pending + " " + line) if pending or line else ""
    return out


def broken_links(path: Path) -> int:
    """Internal link annotations whose destination is not a page of the document."""
    reader = pypdf.PdfReader(path)
    pages = {page.indirect_reference.idnum for page in reader.pages}
    named = reader.named_destinations
    broken = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            dest = annot.get("/Dest")
            action = annot.get("/A")
            if dest is None and action is not None and action.get("/S") == "/GoTo":
                dest = action.get("/D")
            if dest is None:
                continue
            if isinstance(dest, (str, bytes)) or hasattr(dest, "decode"):
                target = named.get(str(dest))
                ok = target is not None and reader.get_destination_page_number(target) is not None
            else:
                ok = dest[0].idnum in pages
            broken += not ok
    return broken


def unembedded_fonts(path: Path) -> list[str]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return [line for line in out if len(line.split()) >= 5 and line.split()[-5] != "yes"]


def chapter_words(path: Path, drop_lines: set[str], depth: int = 0) -> dict[str, list[str]]:
    """Each top-level-or-chapter bookmark's words, from its page to the next one's (running heads,
    folios and the lines in `drop_lines` set aside; hyphenated line ends joined)."""
    texts = page_texts(path)
    marks = [(title, page) for level, title, page in outline(path) if level <= depth]
    out: dict[str, list[str]] = {}
    starts = sorted({page for _, page in marks})
    for title, page in marks:
        if title in out:
            continue
        end = next((s for s in starts if s > page), len(texts))
        out[title] = words("\n".join(_body_lines(texts[i], drop_lines if i > page else set())
                                   for i in range(page, end)))
    return out


def _body_lines(page: str, drop: set[str]) -> str:
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    if lines and re.fullmatch(r"[0-9]+|[ivxlcdm]+", lines[-1]):
        lines = lines[:-1]
    if lines and " ".join(lines[0].split()).lower() in drop:
        lines = lines[1:]
    return "\n".join(lines)


def words(text: str) -> list[str]:
    text = re.sub(r"[-\u00ad\u2010]\n\s*", "-", text)      # a word hyphenated at a line end
    text = re.sub(r"[\u00ad\u200b]", "", text)
    return [w for w in re.split(r"\s+", text) if w]


def same_words(a: list[str], b: list[str]) -> tuple[bool, str]:
    """The same words: the same letters and digits (punctuation set aside: WeasyPrint maps JetBrains
    Mono's ligatures for `::`, `//`, `<=` to wrong text; note markers differ by a full stop), and
    the same word multiset but for a few long code tokens that one engine broke across lines and
    the other did not. Footnotes sit at the foot of different pages, so order is not compared
    across pages. Returns the first differences if not the same."""
    clean = [list(filter(None, (re.sub(r"\W|_", "", w) for w in ws))) for ws in (a, b)]
    chars = [Counter("".join(ws)) for ws in clean]
    ca, cb = Counter(clean[0]), Counter(clean[1])
    leftover = sum((ca - cb).values()) + sum((cb - ca).values())
    if chars[0] == chars[1] and leftover <= max(4, len(clean[0]) // 100):
        return True, ""
    return False, f"only in first: {list((ca - cb).items())[:8]}; only in second: {list((cb - ca).items())[:8]}"
