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
from compiler.backends.typst.writer import ChapterWriter, HeadingPlan, Labels, lang_args, string, text
from compiler.load.theme import Theme
from compiler.model.book import Book, Chapter, shorten
from compiler.support.locales import words
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

    def post_at(self, line: int) -> str | None:
        for first, last, source in self.spans:
            if first <= line <= last:
                return source
        return None


def build_source(book: Book, options: PdfOptions, theme: Theme, root: Path) -> Source:
    """The book's Typst source; images it uses are copied into `root` (an empty private folder)."""
    template = theme.read(TEMPLATE)
    entries = toc_entries(book, options.toc_depth)
    levels = {e.id: e.level for e in entries}
    in_toc = {e.id for e in entries}
    labels = Labels()
    for ident in book.chapter_of():
        labels.add(ident)
    fit = running_chars(options)
    images = _Images(book, root, options)
    chunks: list[tuple[str, str | None]] = [(_config(book, options, theme) + "\n" + template, None)]
    add = lambda markup, source=None: chunks.append((markup, source))    # noqa: E731
    add("#show: cb-book.with(cb-config)")
    if options.cover:
        add("#cb-cover(cb-config)")
    add("#cb-titlepage(cb-config)")
    add(f"#cb-colophon(cb-config, ({', '.join(_colophon(book))},))")
    add(f"#cb-contents(cb-config, [{text(words(book.meta.language)['contents'])}])")
    problems: list[tuple[str, str, str]] = []
    flattened: dict[str, int] = {}
    body_started = False
    part_number = 0

    def chapter(ch: Chapter, kind: str, base: int) -> None:
        title_label = labels.get(ch.slug)
        labels.placed.add(title_label)
        date = f"[{text(ch.date.strftime('%Y-%m-%d'))}]" if ch.date and kind == "chapter" else "none"
        head = (f"#cb-chapter(cb-config, [{text(ch.title)}], \"{title_label}\", {levels[ch.slug]}, "
                f"{string(shorten(ch.title, fit))}, {date})")
        writer = ChapterWriter(labels, _plans(ch, base, options.toc_depth, in_toc), options.link_notes)
        writer.image = images.for_chapter(ch, problems)
        body = writer.blocks(ch.ast.get("blocks", []))
        if writer.typst_dropped:
            problems.append(("CB271", ch.source, f"PDF (Typst): {writer.typst_dropped} raw Typst block(s) dropped; "
                                                 "posts cannot run Typst code"))
        if writer.flattened:
            flattened[ch.source] = writer.flattened
        add(head + "\n" + body, ch.source)

    for ch in book.front:
        chapter(ch, "front", 1)
    for part in book.parts:
        if not body_started:
            add("#cb-body-start(cb-config)\n#set page(numbering: \"1\")\n#counter(page).update(1)")
            body_started = True
        base = 1
        if part.title and part.slug:
            part_number += 1
            label = labels.get(part.slug)
            labels.placed.add(label)
            add(f"#cb-part(cb-config, [{text(part.title)}], \"{label}\", {levels[part.slug]}, "
                f"{string(shorten(part.title, fit))}, {part_number})")
            base = 2
        for ch in part.chapters:
            chapter(ch, "chapter", base)
    for ch in book.back:
        if not body_started:
            add("#cb-body-start(cb-config)\n#set page(numbering: \"1\")\n#counter(page).update(1)")
            body_started = True
        chapter(ch, "back", 1)
    missing = labels.linked - labels.placed      # a link to an id no printed element carries
    if missing:
        add("".join(f"#metadata(none)#label(\"{m}\")" for m in sorted(missing, key=lambda m: int(m[2:]))))
    return _join(chunks, problems, flattened)


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
    m = book.meta
    lines = [m.series, m.rights, m.date, m.identifier, f"Typeset with chapbook {__version__}"]
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
        "cover-image": "none",
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


def shown_target(book: Book, target: Path) -> str:
    return relative(book.root, target)
