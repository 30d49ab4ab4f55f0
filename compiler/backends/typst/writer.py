"""Typst markup from a chapter's pandoc AST (the same normalised AST every backend receives).

Safety first: every piece of text from a post goes out either backslash-escaped in markup
(`\\#` is a literal `#`, and Typst accepts a backslash before any character) or inside a Typst
string literal (`"…"`, with `\\` and `"` escaped). Nothing a post contains is ever read by Typst as
code, a label, a reference, math or a comment. Control characters are dropped. Raw `{=typst}`
blocks are dropped and reported; raw HTML contributes its text, as the WeasyPrint PDF shows it.

Labels: every id is mapped to a generated label (`cb1`, `cb2`, …), unique book-wide by
construction; links to ids that no element carries are printed unlinked (Typst refuses them).
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import unquote
from dataclasses import dataclass, field

import lxml.html

from compiler.backends.pdf.chunked import ANCHOR_URL
from compiler.compile.transforms import stringify

MAX_DEPTH = 20      # deeper elements are printed as plain text (Typst stops at 64 nested show rules)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufff9-\ufffb]")
_MARKUP_SPECIAL = re.compile(r"([\\#$*_`<>@=\-+/~\[\]\"':.,;!?()%&^|{}])")
_EXTERNAL = re.compile(r"^(https?|ftp)://", re.I)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LANG = re.compile(r"^([a-zA-Z]{2,3})(?:-([a-zA-Z]{2}))?(?:-|$)")
_CODE_LANG = re.compile(r"^[A-Za-z0-9_+#.-]{1,32}$")
_LONG_RUN = re.compile(r"\S{60,}")
_IMG_ALT = re.compile(r"""\balt\s*=\s*(["'])(.*?)\1""", re.S)


def text(value: str) -> str:
    """Literal text in Typst markup: control characters dropped, every markup character escaped."""
    return _MARKUP_SPECIAL.sub(r"\\\1", _CONTROL.sub("", value))


def string(value: str) -> str:
    """A Typst string literal holding `value` exactly (less control characters)."""
    cleaned = _CONTROL.sub("", value)
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def lang_args(code: str | None) -> str:
    """`lang: "en", region: "GB"` for a BCP 47 tag Typst understands, else ""."""
    match = _LANG.match(code or "")
    if not match:
        return ""
    args = f'lang: "{match[1].lower()}"'
    if match[2]:
        args += f', region: "{match[2].upper()}"'
    return args


@dataclass
class Labels:
    """Ids of the whole book -> generated Typst labels (only ids that some element carries)."""
    by_id: dict[str, str] = field(default_factory=dict)
    placed: set[str] = field(default_factory=set)       # labels some element carries
    linked: set[str] = field(default_factory=set)       # labels some link names
    local: set[str] | None = None                       # labels of this chunk (None: the whole book)

    def add(self, ident: str) -> str:
        if ident not in self.by_id:
            self.by_id[ident] = f"cb{len(self.by_id) + 1}"
        return self.by_id[ident]

    def get(self, ident: str) -> str | None:
        return self.by_id.get(ident)


@dataclass
class HeadingPlan:
    """How one body heading is printed: its outline level, and whether contents/bookmarks list it."""
    level: int
    outlined: bool


@dataclass
class ChapterWriter:
    """Writes one chapter's blocks; collects what the backend reports."""
    labels: Labels
    headings: dict[str, HeadingPlan]
    link_notes: bool
    typst_dropped: int = 0
    flattened: int = 0
    images: list = field(default_factory=list)      # (url, alt) of every image; resolved by `image`
    image: object = None                             # callable(url, alt_markup) -> markup
    _notes_by_url: dict = field(default_factory=dict)
    _notes_by_text: dict = field(default_factory=dict)
    _in_note: int = 0

    # --- blocks ---------------------------------------------------------------------------------

    def blocks(self, blocks: list, depth: int = 0) -> str:
        return "\n\n".join(filter(None, (self.block(b, depth) for b in blocks)))

    def block(self, b: dict, depth: int) -> str:
        t, c = b.get("t"), b.get("c")
        if depth > MAX_DEPTH:
            self.flattened += 1
            return text(" ".join(stringify(b).split()))
        if t in ("Para", "Plain"):
            return self.inlines(c, depth)
        if t == "Header":
            return self.header(c, depth)
        if t == "CodeBlock":
            (ident, classes, _), code = c
            lang = next((x for x in classes if _CODE_LANG.match(x)), None)
            lang_arg = f", lang: {string(lang.lower())}" if lang else ""
            return f"#raw(block: true{lang_arg}, {string(_breakable(code.rstrip()))})"
        if t == "BlockQuote":
            return f"#cb-quote[{self.blocks(c, depth + 1)}]"
        if t in ("BulletList", "OrderedList"):
            items = c if t == "BulletList" else c[1]
            body = ", ".join(f"[{self.blocks(item, depth + 1)}]" for item in items)
            if t == "BulletList":
                return f"#list({body},)"
            start, style, _ = c[0]
            numbering = {"LowerAlpha": "a.", "UpperAlpha": "A.", "LowerRoman": "i.", "UpperRoman": "I."}.get(style["t"], "1.")
            return f"#enum(start: {int(start)}, numbering: \"{numbering}\", {body},)"
        if t == "DefinitionList":
            out = []
            for term, definitions in c:
                out.append(f"#cb-term[{self.inlines(term, depth)}]")
                out += [f"#cb-definition[{self.blocks(d, depth + 1)}]" for d in definitions]
            return "\n\n".join(out)
        if t == "LineBlock":
            return " #linebreak() ".join(self.inlines(line, depth) for line in c)
        if t == "HorizontalRule":
            return "#cb-rule()"
        if t == "Table":
            return self.table(c, depth)
        if t == "Figure":
            _, (_, caption), body = c
            inner = self.blocks(body, depth + 1)
            cap = self.blocks(caption, depth + 1)
            return f"#cb-figure([{inner}], [{cap}])"
        if t == "Div":
            (ident, classes, kvs), body = c
            inner = self.blocks(body, depth + 1)
            inner = self._labelled_block(ident, inner)
            lang = lang_args(dict(kvs).get("lang"))
            return f"#text({lang})[{inner}]" if lang else inner
        if t == "RawBlock":
            return self.raw(c, block=True)
        return ""

    def _labelled_block(self, ident: str, inner: str) -> str:
        label = self.labels.add(ident) if ident else None
        if label and label not in self.labels.placed:
            self.labels.placed.add(label)
            return f"#metadata(none)#label(\"{label}\")\n{inner}"
        return inner

    def header(self, c, depth: int) -> str:
        level, (ident, _, _), inlines = c
        plan = self.headings.get(ident)
        label = self.labels.get(ident) if ident else None
        if plan is None or label is None or label in self.labels.placed:   # not in the outline
            return f"#cb-subhead[{self.inlines(inlines, depth)}]"
        self.labels.placed.add(label)
        flag = "true" if plan.outlined else "false"
        return (f"#heading(level: {plan.level}, outlined: {flag}, bookmarked: {flag}, supplement: [h{min(int(level), 6)}])"
                f"[{self.inlines(inlines, depth)}]#label(\"{label}\")")

    def table(self, c, depth: int) -> str:
        _, (_, caption), colspecs, head, bodies, foot = c
        columns = len(colspecs)
        if not columns:
            return ""
        aligns = [{"AlignLeft": "left", "AlignRight": "right", "AlignCenter": "center"}.get(a["t"], "left")
                  for a, _ in colspecs]
        cells: list[str] = []
        header_cells: list[str] = []

        def rows_of(rows, into, strong=False):
            for _, row in rows:
                for (_, align, rowspan, colspan, body) in row:
                    inner = self.blocks(body, depth + 1)
                    if strong:
                        inner = f"#strong[{inner}]"
                    span = ""
                    if int(rowspan) > 1:
                        span += f"rowspan: {int(rowspan)}, "
                    if int(colspan) > 1:
                        span += f"colspan: {min(int(colspan), columns)}, "
                    into.append(f"table.cell({span})[{inner}]" if span else f"[{inner}]")

        rows_of(head[1], header_cells, strong=True)
        for _, _, inter, rows in bodies:
            rows_of(inter, cells)
            rows_of(rows, cells)
        rows_of(foot[1], cells)
        head_part = f"table.header(repeat: false, {', '.join(header_cells)}), " if header_cells else ""
        body = ", ".join(cells)
        cap = self.blocks(caption, depth + 1) if caption else ""
        table = (f"table(columns: {columns}, align: ({', '.join(aligns)},), {head_part}{body}{',' if body else ''})")
        return f"#cb-table({table}, [{cap}])"

    def raw(self, c, block: bool) -> str:
        fmt, content = c
        fmt = fmt.lower()
        if fmt == "typst":
            self.typst_dropped += 1
            return ""
        if fmt != "html":
            return ""
        if not block:       # an inline tag: its text is beside it, in the AST; an image shows its alt
            alt = _IMG_ALT.search(content) if content.lstrip().lower().startswith("<img") else None
            return text(html.unescape(alt[2])) if alt else ""
        try:
            root = lxml.html.fragment_fromstring(content, create_parent="div")
        except Exception:   # unparsable raw HTML shows nothing, as in the sanitised HTML
            return ""
        for bad in root.xpath(".//script|.//style|.//template|.//noscript"):
            bad.drop_tree()
        for img in root.iter("img"):        # a raw HTML image is not fetched: its alt text shows
            img.tail = (img.get("alt") or "") + (img.tail or "")
        words = " ".join(root.text_content().split())
        return text(words) if words else ""

    # --- inlines --------------------------------------------------------------------------------

    def inlines(self, items: list, depth: int = 0) -> str:
        return "".join(self.inline(i, depth) for i in items)

    def inline(self, i: dict, depth: int) -> str:
        t, c = i.get("t"), i.get("c")
        if t == "Str":
            return text(c)
        if t in ("Space", "SoftBreak"):
            return " "
        if depth > MAX_DEPTH:
            self.flattened += 1
            return text(stringify(i))
        d = depth + 1
        if t == "Emph":
            return f"#emph[{self.inlines(c, d)}]"
        if t == "Strong":
            return f"#strong[{self.inlines(c, d)}]"
        if t == "Underline":
            return f"#underline[{self.inlines(c, d)}]"
        if t == "Strikeout":
            return f"#strike[{self.inlines(c, d)}]"
        if t == "Superscript":
            return f"#super[{self.inlines(c, d)}]"
        if t == "Subscript":
            return f"#sub[{self.inlines(c, d)}]"
        if t == "SmallCaps":
            return f"#smallcaps[{self.inlines(c, d)}]"
        if t == "Quoted":
            open_, close = ("\u201c", "\u201d") if c[0]["t"] == "DoubleQuote" else ("\u2018", "\u2019")
            return open_ + self.inlines(c[1], d) + close
        if t == "Cite":
            return self.inlines(c[1], d)
        if t == "Code":
            return f"#raw({string(_breakable(c[1]))})"
        if t == "Math":
            kind, tex = c
            shown = f"\\({tex}\\)" if kind["t"] == "InlineMath" else f"\\[{tex}\\]"
            return text(shown)
        if t == "LineBreak":
            return "#linebreak()"
        if t == "RawInline":
            return self.raw(c, block=False)
        if t == "Link":
            return self.link(c, d)
        if t == "Image":
            return self.image_of(c, d)
        if t == "Note":
            return self.note(c, d)
        if t == "Span":
            (ident, classes, kvs), body = c
            inner = self.inlines(body, d)
            label = self.labels.add(ident) if ident else None
            if label and label not in self.labels.placed:
                self.labels.placed.add(label)
                inner = f"#metadata(none)#label(\"{label}\"){inner}"
            lang = lang_args(dict(kvs).get("lang"))
            return f"#text({lang})[{inner}]" if lang else inner
        return ""

    def link(self, c, depth: int) -> str:
        _, body, (url, _) = c
        inner = self.inlines(body, depth)
        url = url.strip()
        if url.startswith("#"):
            label = self.labels.get(url[1:]) or self.labels.get(unquote(url[1:]))
            if not label:
                return inner
            if self.labels.local is not None and label not in self.labels.local:
                return f"#link(\"{ANCHOR_URL}{label}\")[{inner}]"     # in another chunk: set at merge
            self.labels.linked.add(label)
            return f"#link(label(\"{label}\"))[{inner}]"
        if not _SCHEME.match(url) or url.startswith("//"):
            return inner                          # a relative file link leads nowhere in a PDF
        out = f"#link({string(url)})[{inner}]"
        if self.link_notes and _EXTERNAL.match(url) and _wants_link_note(body, url):
            if self._in_note:
                return out + " " + text(f"<{url}>")
            return out + self._link_note(url)
        return out

    def _link_note(self, url: str) -> str:
        known = self._notes_by_url.get(url)
        if known:
            return f"#footnote(label(\"{known}\"))"
        label = self.labels.add(f"\0link-note {id(self)} {url}")
        self.labels.placed.add(label)
        self._notes_by_url[url] = label
        return f"#footnote[#cb-url({string(url)})]#label(\"{label}\")"

    def note(self, c, depth: int) -> str:
        """A footnote; a note cited twice (pandoc repeats its text) repeats the first one's number."""
        key = json.dumps(c, sort_keys=True)
        if key in self._notes_by_text:
            return f"#footnote(label(\"{self._notes_by_text[key]}\"))"
        self._in_note += 1
        try:
            inner = self.blocks(c, depth)
        finally:
            self._in_note -= 1
        label = self.labels.add(f"\0note {id(self)} {len(self._notes_by_text)}")
        self.labels.placed.add(label)
        self._notes_by_text[key] = label
        return f"#footnote[{inner}]#label(\"{label}\")"

    def image_of(self, c, depth: int) -> str:
        _, alt, (url, _) = c
        alt_markup = self.inlines(alt, depth)
        if self.image is None:
            return alt_markup
        return self.image(url, alt_markup, stringify(alt))


def _wants_link_note(body: list, url: str) -> bool:
    shown = " ".join(stringify(body).split()).rstrip("/")
    bare = re.sub(r"^(https?|ftp)://(www\.)?", "", url, flags=re.I).rstrip("/")
    return shown not in (url.rstrip("/"), bare)


def _breakable(code: str) -> str:
    """Code keeps its characters; very long unbroken runs get zero-width break chances (Typst
    would otherwise let them run off the page)."""
    if not _LONG_RUN.search(code):
        return code
    return _LONG_RUN.sub(lambda m: "\u200b".join(m[0][i:i + 40] for i in range(0, len(m[0]), 40)), code)
