"""Benchmark: Chapbook's EPUB backend against EbookLib alone writing the same chapters, in one run.

    python bench/bench_epub.py [N] [--repeat R] [--book path/to/book.yml]

The book (default: N=1000 generated posts, bench/generate.py) is compiled once; then, R times in
alternation, (a) `EpubBackend.build` writes the EPUB, and (b) a minimal EbookLib script writes the
same chapters (title + the core's HTML fragment per chapter, nav, NCX) the way EbookLib's docs show.
Prints the median wall and CPU seconds of each and their ratios. The machine is noisy (other jobs
share its two cores): compare the ratios of one run, and prefer the CPU ratio when the load is high.
"""

from __future__ import annotations

import argparse
import html
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))
from workdir import generated  # noqa: E402
sys.path.insert(0, str(HERE.parent))


def ebooklib_alone(book, target: Path) -> None:
    """What a user of EbookLib would write: one EpubHtml per chapter, a nav and an NCX."""
    from ebooklib import epub
    eb = epub.EpubBook()
    eb.set_identifier(book.meta.identifier)
    eb.set_title(book.meta.title)
    eb.set_language(book.meta.language)
    for author in book.meta.authors:
        eb.add_author(author)
    items = []
    for c in book.all_chapters:
        item = epub.EpubHtml(title=c.title, file_name=f"{c.slug}.xhtml", lang=book.meta.language)
        item.content = f'<h1 id="{c.slug}">{html.escape(c.title)}</h1>\n{c.html}'
        items.append(eb.add_item(item))
    eb.toc = items
    eb.add_item(epub.EpubNcx())
    eb.add_item(epub.EpubNav())
    eb.spine = ["nav", *items]
    epub.write_epub(str(target), eb)


def chapbook(book, theme, target_dir: Path) -> Path:
    from compiler.backends import BuildContext
    from compiler.backends.epub import EpubBackend, EpubOptions
    ctx = BuildContext(out_dir=target_dir, theme=theme, formats=("epub",))
    return EpubBackend().build(book, EpubOptions(), ctx)[0]


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1000, help="generated posts (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="alternating runs of each (default 5)")
    parser.add_argument("--book", type=Path, help="a book.yml to use instead of generated posts")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")

    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    from compiler.load.theme import load_theme
    manifest = args.book or generated(args.n)
    start = time.perf_counter()
    book, _ = compile_book(load_manifest(manifest))
    print(f"compiled {len(book.all_chapters)} chapters ({sum(len(c.html) for c in book.all_chapters) / 1e6:.1f} MB "
          f"of HTML) in {time.perf_counter() - start:.1f} s: {manifest}")
    theme = load_theme("default", book.root)
    runs: dict[str, list[tuple[float, float]]] = {"ebooklib": [], "chapbook": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        timed(lambda: ebooklib_alone(book, out / "warm.epub"))          # warm imports and caches once
        timed(lambda: chapbook(book, theme, out / "warm"))
        for _ in range(args.repeat):
            runs["ebooklib"].append(timed(lambda: ebooklib_alone(book, out / "ebooklib.epub")))
            runs["chapbook"].append(timed(lambda: chapbook(book, theme, out / "chapbook")))
        sizes = {"ebooklib": (out / "ebooklib.epub").stat().st_size,
                 "chapbook": next((out / "chapbook").glob("*.epub")).stat().st_size}
    med = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}
    for name, (wall, cpu) in med.items():
        print(f"{name:9} wall {wall:6.2f} s   cpu {cpu:6.2f} s   {sizes[name] / 2**20:5.1f} MiB   "
              f"(runs: {', '.join(f'{w:.2f}' for w, _ in runs[name])})")
    print(f"ratio chapbook/ebooklib: wall {med['chapbook'][0] / med['ebooklib'][0]:.2f}   "
          f"cpu {med['chapbook'][1] / med['ebooklib'][1]:.2f}   (target <= 1.2)")


if __name__ == "__main__":
    main()
