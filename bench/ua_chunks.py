"""Why `variant: pdf/ua-1` is typeset in one pass: what the chunked path would do to its tags.

    python bench/ua_chunks.py [N]        (default 40 generated posts)

The same book, `variant: pdf/ua-1`, is built twice through the PDF backend: once as the backend
does it (one render), once forced through the chunked path (`build_chunked`, 2 processes) as if
PDF/UA were allowed there. For each file it prints the pages, the number of elements in the
structure tree (`pdfinfo -struct`), how many of them are paragraphs and headings, and how many
pages' content streams carry marked content (`/MCID`). The chunked file keeps the skeleton's tags
only: the chapters' text is drawn from form XObjects that no structure element points into.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from workdir import generated  # noqa: E402


def tags(pdf: Path) -> dict:
    import pikepdf
    out = subprocess.run(["pdfinfo", "-struct", str(pdf)], capture_output=True, text=True).stdout
    kinds = re.findall(r"^\s*(\w+)", out, flags=re.M)
    with pikepdf.open(pdf) as doc:
        marked = sum(b"/MCID" in page.Contents.read_bytes() if not isinstance(page.Contents, pikepdf.Array)
                     else any(b"/MCID" in c.read_bytes() for c in page.Contents) for page in doc.pages)
        pages = len(doc.pages)
    return {"pages": pages, "elements": len(kinds), "P": kinds.count("P"),
            "headings": sum(k in ("H1", "H2", "H3", "H4", "H5", "H6") for k in kinds), "marked pages": marked}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    from compiler.backends import BuildContext
    from compiler.backends.pdf import PdfBackend
    from compiler.backends.pdf.build_chunked import build_chunked
    from compiler.backends.pdf.options import PdfOptions
    from compiler.build import run

    loaded = run.load(generated(n))
    book, _ = run.compile(loaded)
    plan = run.prepare(loaded, ["pdf"])
    options = PdfOptions.model_validate({"variant": "pdf/ua-1", "jobs": 2})
    backend = PdfBackend()
    with tempfile.TemporaryDirectory() as scratch:
        results = {}
        for label, build in (("one pass (what Chapbook does)", lambda ctx: backend.build_single(book, options, ctx)),
                             ("chunked, forced", lambda ctx: build_chunked(backend, book, options, ctx, 2))):
            out = Path(scratch) / label.split()[0]
            ctx = BuildContext(out_dir=out, theme=plan.theme, formats=("pdf",), final_dir=out)
            [pdf] = build(ctx)
            results[label] = tags(pdf)
        for label, row in results.items():
            print(f"{label:32} " + ", ".join(f"{k} {v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
