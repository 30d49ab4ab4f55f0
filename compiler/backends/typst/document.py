"""The whole book as one Typst source: `cb-config` (built here), the theme's `typst/book.typ`, then
the book's content as calls of the template's functions. Also the private file root: the book's
images copied under generated names, nothing else."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from compiler import __version__
from compiler.backends.pdf.document import running_chars
from compiler.backends.pdf.options import PdfOptions, font_points, page_margins, page_size_mm
from compiler.backends.pdf.outline import toc_entries
from compiler.backends.typst.writer import ANCHOR_URL, ChapterWriter, HeadingPlan, Labels, lang_args, string, text
from compiler.load.theme import Theme
from compiler.model.book import Book, Chapter, shorten
from compiler.support.locales import long_date, words
from compiler.support.paths import OutsideBook, confine, relative

TEMPLATE = "typst/book.typ"
MAX_PIXELS = 50_000_000             # larger images are refused (decompression bombs)
_RASTER = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
_VECTOR = {".svg"}


@dataclass
class Source:
    """The generated source and what maps its lines back to posts."""
    text: str
    spans: list[tuple[int, int, str]]        # (first line, last line, post source) of each chapter
    problems: list[tuple[str, str, str]] = field(default_factory=list)   # (code, post, message)
    flattened: dict[str, int] = field(default_factory=dict)
    cover_image: str | None = None

    def post_at(self, line: int) -> str | None:
        for first, last, source in self.spans:
            if first <= line <= last:
                return source
        return None


def build_source(book: Book, options: PdfOptions, theme: Theme, root: Path) -> Source:
    """The book's Typst source; images it uses are copied into `root` (an empty private folder)."""
    composer = Composer(book, options, theme, root)
    return composer.source(composer.front() + composer.body(), contents="outline")


class Composer:
    """Writes the book's Typst, whole or in pieces (chunks compiled one at a time; see chunks.py)."""

    def __init__(self, book: Book, options: PdfOptions, theme: Theme, root: Path):
        self.book, self.options = book, options
        self.template = theme.read(TEMPLATE)
        self.images = _Images(book, root, options)
        self.problems: list[tuple[str, str, str]] = []
        cover, why = self.images.cover() if options.cover and book.meta.cover else (None, None)
        if why:
            self.problems.append(("CB202", relative(book.root, book.meta.cover), f"cover image {why}; a typeset cover is used"))
        self.config = _config(book, options, theme) + (
            f"\n#let cb-config = cb-config + (cover-image: \"{cover}\")" if cover else "")
        self.entries = toc_entries(book, options.toc_depth)
        self.levels = {e.id: e.level for e in self.entries}
        self.in_toc = {e.id for e in self.entries}
        self.labels = Labels()
        for ident in book.chapter_of():
            self.labels.add(ident)
        self.fit = running_chars(options)
        self.flattened: dict[str, int] = {}

    def front(self) -> list:
        return [("front", ch, 1) for ch in self.book.front]

    def body(self) -> list:
        items: list = []
        number = 0
        for part in self.book.parts:
            base = 1
            if part.title and part.slug:
                number += 1
                items.append(("part", (part, number), 1))
                base = 2
            items += [("chapter", ch, base) for ch in part.chapters]
        return items + [("back", ch, 1) for ch in self.book.back]

    def source(self, items: list, contents: str | list | None, furniture: bool = True, body_start: int | None = 1,
               extra: str = "", local: set[str] | None = None, after_show: str = "") -> Source:
        """Typst for `items`. `contents`: "outline" (Typst's own), a list of (entry, page) printed as
        given, or None. `body_start`: the arabic number of the first body page (None: no body here).
        `local`: the labels placed in this source (others are linked as anchor URIs, resolved at the merge);
        `after_show`: markup after the template's show rule (set rules over the template's)."""
        labels = self.labels
        labels.placed, labels.linked, labels.local = set(), set(), local
        chunks: list[tuple[str, str | None]] = [(self.config + extra + "\n" + self.template, None)]
        add = lambda markup, source=None: chunks.append((markup, source))    # noqa: E731
        add("#show: cb-book.with(cb-config)" + after_show)
        if furniture:
            if self.options.cover:
                add("#cb-cover(cb-config)")
            add("#cb-titlepage(cb-config)")
            add(f"#cb-colophon(cb-config, ({', '.join(_colophon(self.book))},))")
            title = f"[{text(words(self.book.meta.language)['contents'])}]"
            if contents == "outline":
                add(f"#cb-contents(cb-config, {title})")
            elif contents is not None:
                add(f"#cb-static-contents(cb-config, {title}, ({''.join(self._toc_line(e, p) for e, p in contents)}))")
        started = False
        for kind, item, base in items:
            if kind != "front" and not started and body_start is not None:
                add(f"#cb-body-start(cb-config)\n#set page(numbering: \"1\")\n#counter(page).update({body_start})")
                started = True
            if kind == "part":
                part, number = item
                label = labels.get(part.slug)
                labels.placed.add(label)
                add(f"#cb-part(cb-config, [{text(part.title)}], \"{label}\", {self.levels[part.slug]}, "
                    f"{string(shorten(part.title, self.fit))}, {number})")
            else:
                add(self._chapter(item, kind, base), item.source)
        missing = {m for m in labels.linked - labels.placed if local is None or m in local}
        if missing:      # a link to an id no printed element carries: it leads to the end of the text
            add("".join(f"#metadata(none)#label(\"{m}\")" for m in sorted(missing, key=lambda m: int(m[2:]))))
        return _join(chunks, self.problems, self.flattened)

    def _toc_line(self, entry, page: str) -> str:
        label = self.labels.get(entry.id)
        return (f"(level: {entry.level}, kind: \"{entry.kind}\", title: [{text(entry.text)}], "
                f"target: \"{ANCHOR_URL}{label}\", page: {string(page)}),")

    def _chapter(self, ch: Chapter, kind: str, base: int) -> str:
        labels = self.labels
        title_label = labels.get(ch.slug)
        labels.placed.add(title_label)
        date = (f"[{text(long_date(ch.date.date().isoformat(), self.book.meta.language))}]"
                if ch.date and kind == "chapter" else "none")   # spelled as the other formats spell it
        head = (f"#cb-chapter(cb-config, [{text(ch.title)}], \"{title_label}\", {self.levels[ch.slug]}, "
                f"{string(shorten(ch.title, self.fit))}, {date})")
        writer = ChapterWriter(labels, _plans(ch, base, self.options.toc_depth, self.in_toc), self.options.link_notes)
        writer.image = self.images.for_chapter(ch, self.problems)
        body = writer.blocks(ch.ast.get("blocks", []))
        if writer.typst_dropped:
            self.problems.append(("CB271", ch.source, f"PDF (Typst): {writer.typst_dropped} raw Typst block(s) "
                                                      "dropped; posts cannot run Typst code"))
        if writer.flattened:
            self.flattened[ch.source] = writer.flattened
        return head + "\n" + body


def _join(chunks, problems, flattened) -> Source:
    out, spans, line = [], [], 1
    for markup, source in chunks:
        lines = markup.count("\n") + 1
        if source:
            spans.append((line, line + lines - 1, source))
        out.append(markup)
        line += lines + 1        # chunks are separated by a blank line
    return Source("\n\n".join(out) + "\n", spans, problems, flattened)


def _plans(chapter: Chapter, base: int, depth: int, in_toc: set[str]) -> dict[str, HeadingPlan]:
    """Each body heading's outline level (nesting as the contents count it) and whether it is listed."""
    plans: dict[str, HeadingPlan] = {}
    open_levels: list[int] = []
    for heading in chapter.headings:
        while open_levels and open_levels[-1] >= heading.level:
            open_levels.pop()
        open_levels.append(heading.level)
        plans[heading.id] = HeadingPlan(base + len(open_levels), heading.id in in_toc)
    return plans


def _colophon(book: Book) -> list[str]:
    """The copyright page's lines, as the WeasyPrint PDF prints them (no identifier)."""
    m = book.meta
    said = words(m.language)
    lines = [m.title + (f": {m.subtitle}" if m.subtitle else ""), m.series, m.rights, m.edition,
             f"{said['publisher']}: {m.publisher}" if m.publisher else None,
             f"{said['date']}: {long_date(str(m.date), m.language)}" if m.date else None,
             f"Typeset with chapbook {__version__}"]
    return [f"[{text(line)}]" for line in lines if line]


def _config(book: Book, options: PdfOptions, theme: Theme) -> str:
    m = book.meta
    width, height = page_size_mm(options.page_size)
    margins = page_margins(options)
    lang = lang_args(m.language) or 'lang: "en"'
    parts = dict(p.split(": ", 1) for p in lang.split(", "))

    def markup(value: str | None) -> str:
        return f"[{text(value)}]" if value else "none"

    fields = {
        "title": string(m.title), "authors": "(" + "".join(f"{string(a)}, " for a in m.authors) + ")",
        "keywords": "(" + "".join(f"{string(s)}, " for s in m.subjects) + ")",
        "description": string(" ".join(m.description.split())) if m.description else "none",
        "date": "auto", "lang": parts["lang"], "region": parts.get("region", "none"),
        "title-markup": markup(m.title), "subtitle-markup": markup(m.subtitle),
        "authors-markup": markup(", ".join(m.authors)) if m.authors else "none",
        "publisher-markup": markup(m.publisher), "book-running": string(shorten(m.title, running_chars(options))),
        "page-width": f"{width:.2f}mm", "page-height": f"{height:.2f}mm",
        "margin-top": f"{margins['top']:.2f}mm", "margin-bottom": f"{margins['bottom']:.2f}mm",
        "margin-inner": f"{margins['inner']:.2f}mm", "margin-outer": f"{margins['outer']:.2f}mm",
        "font-size": f"{font_points(options.font_size):.2f}pt", "serif": '"Linux Libertine O"',
        "mono": '"JetBrains Mono"', "recto": "true" if options.recto_chapters else "false",
        "cover-image": "none", "flip": "0", "ua": "true" if options.variant == "pdf/ua-1" else "false",
    }
    return "#let cb-config = (\n" + "".join(f"  {k}: {v},\n" for k, v in fields.items()) + ")"


class _Images:
    """The book's images, copied into the private root under generated names, sized to fit."""

    def __init__(self, book: Book, root: Path, options: PdfOptions):
        self.book, self.root = book, root
        width, height = page_size_mm(options.page_size)
        m = page_margins(options)
        self.max_w = width - m["inner"] - m["outer"]
        self.max_h = 0.75 * (height - m["top"] - m["bottom"])
        self.copied: dict[Path, tuple[str, float | None]] = {}

    def for_chapter(self, chapter: Chapter, problems: list):
        def image(url: str, alt_markup: str, alt: str) -> str:
            found = self.place(url)
            if isinstance(found, str):
                problems.append(("CB272", chapter.source, f"PDF (Typst): image {url[:60]} left out: {found}"))
                return f"#cb-missing-image[{alt_markup or text(url[:60])}]"
            name, width = found
            size = f"{width:.2f}mm" if width else "auto"
            return f"#cb-image(\"{name}\", {size}, {string(alt)})"
        return image

    def place(self, url: str) -> tuple[str, float | None] | str:
        source = self.book.assets.get(url)
        if source is None:
            if url.startswith(("http://", "https://")):
                return "the Typst engine does not fetch remote images"
            return "not a file of the book"
        try:
            path = confine(self.book.root, source)
        except OutsideBook:
            return "outside the book folder"
        if path in self.copied:
            return self.copied[path]
        suffix = path.suffix.lower()
        if suffix not in _RASTER | _VECTOR:
            return f"{suffix or 'this'} images are not supported"
        width = None
        if suffix in _RASTER:
            width = self._width(path)
            if isinstance(width, str):
                return width
        name = f"/img/{len(self.copied) + 1}{suffix}"
        target = self.root / name.lstrip("/")
        target.parent.mkdir(exist_ok=True)
        try:
            shutil.copyfile(path, target)
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        self.copied[path] = (name, width)
        return self.copied[path]

    def cover(self) -> tuple[str | None, str | None]:
        """The cover image copied into the root (its Typst path), or why it cannot be used."""
        try:
            path = confine(self.book.root, self.book.meta.cover)
        except OutsideBook:
            return None, "outside the book folder"
        if path.suffix.lower() not in _RASTER:
            return None, f"{path.suffix or 'this'} cover images are not supported"
        width = self._width(path)
        if isinstance(width, str):
            return None, width
        name = f"/img/cover{path.suffix.lower()}"
        (self.root / "img").mkdir(exist_ok=True)
        try:
            shutil.copyfile(path, self.root / name.lstrip("/"))
        except OSError as exc:
            return None, f"cannot be read ({exc.strerror})"
        return name, None

    def _width(self, path: Path) -> float | str:
        try:
            from PIL import Image
            with Image.open(path) as image:
                w, h = image.size
                if w * h > MAX_PIXELS:
                    return f"{w}×{h} pixels is too large"
                dpi = image.info.get("dpi", (96, 96))[0] or 96
        except Exception as exc:  # any unreadable image is left out, with its reason
            return f"cannot be read ({type(exc).__name__})"
        natural = w / float(dpi) * 25.4
        scale = min(1.0, self.max_w / natural, self.max_h / (h / float(dpi) * 25.4))
        return max(1.0, natural * scale)
