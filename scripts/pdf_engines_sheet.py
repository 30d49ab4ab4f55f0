"""Build the default book with both PDF engines and write a contact sheet of the same pages side by
side (docs/images/pdf-engines.png, shown in docs/pdf.md).

    python3 scripts/pdf_engines_sheet.py          # needs pdftoppm (poppler-utils)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"title page": "_cb-title", "contents": "Contents", "chapter opening": 0, "text page": 1}
OUT = ROOT / "docs" / "images" / "pdf-engines.png"


def build(book: Path, engine: str) -> Path:
    out = book.parent / f"out-{engine}"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600",
           "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    subprocess.run([sys.executable, "-m", "compiler", "build", str(book), "-f", "pdf", "--pdf-engine", engine,
                    "-o", str(out), "-q"], check=True, env=env, capture_output=True)
    return next(out.glob("*.pdf"))


def pages_of(pdf: Path) -> list[int]:
    """1-based numbers of: the title page, the first contents page, the first chapter's first two pages."""
    import pypdf
    reader = pypdf.PdfReader(pdf)
    first = reader.get_destination_page_number(reader.outline[0]) + 1
    return [2, 4, first, first + 1]


def render(pdf: Path, page: int, folder: Path) -> Image.Image:
    stem = folder / f"{pdf.parent.name}-{page}"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf), str(stem)],
                   check=True)
    return Image.open(f"{stem}.png").convert("RGB")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "content", work / "content")
        shutil.copy(ROOT / "book.yml", work / "book.yml")
        rows = []
        for engine in ("weasyprint", "typst"):
            pdf = build(work / "book.yml", engine)
            rows.append((engine, [render(pdf, p, work) for p in pages_of(pdf)]))
        w, h = rows[0][1][0].size
        label, gap = 90, 8
        sheet = Image.new("RGB", (label + 4 * (w + gap), 2 * (h + gap) + gap), "white")
        draw = ImageDraw.Draw(sheet)
        for r, (engine, images) in enumerate(rows):
            y = gap + r * (h + gap)
            draw.text((8, y + h // 2), engine, fill="black")
            for c, image in enumerate(images):
                x = label + c * (w + gap)
                sheet.paste(image.resize((w, h)), (x, y))
                draw.rectangle([x - 1, y - 1, x + w, y + h], outline="#999999")
        OUT.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(OUT, optimize=True)
    print(OUT)


if __name__ == "__main__":
    main()
