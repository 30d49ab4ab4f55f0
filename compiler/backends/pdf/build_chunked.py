"""The chunked build: chunks in parallel, the skeleton, the merge (see `chunked` for the design).

Returns None when the book fits in one chunk: then the single render is cheaper.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from compiler import __version__
from compiler.backends import BuildContext
import compiler.backends.pdf.chunked as ck
from compiler.backends.pdf import contents
from compiler.backends.pdf.document import Assembled, book_blocks, cover_of, render_document
from compiler.backends.pdf.fetcher import BOOK_URL, FetchPolicy, Refused
from compiler.backends.pdf.outline import toc_tree
from compiler.backends.pdf.renderer import Running, default_memory_limit, default_timeout
from compiler.build.chunkcache import CACHE_FOLDER, ChunkCache, cache_key
from compiler.build.output import atomic_path
from compiler.model.book import Book
from compiler.model.diagnostics import Severity, diag
from compiler.support.paths import relative

_BOOK_REF = re.compile(re.escape(BOOK_URL) + r'([^"\')\s]+)')


class _Failed(Exception):
    """A render failed (already reported): no PDF, the previous one stays."""


def build_chunked(backend, book: Book, options, ctx: BuildContext, jobs: int) -> list[Path] | None:
    from compiler.backends.pdf.reports import prepare_diagnostics, render_diagnostics

    target = ctx.out_dir / f"{book.meta.slug}.pdf"
    shown = relative(book.root, ctx.shown(target))
    blocks, entries, flattened = book_blocks(book, options)
    cover_url, cover_problem = cover_of(book, options)
    try:
        chunks = ck.plan_chunks(blocks, options, ck.chunk_bound())
    except ck.TooLarge as exc:
        ctx.diagnostics.append(diag(
            "CB260", exc.source, None,
            f"post too large for the PDF (limit {exc.limit} pages between two headings, about {exc.estimated} "
            "estimated): add ## headings to split it, or build with outputs.pdf.jobs: 1", Severity.ERROR))
        return []
    if len(chunks) < 2:
        return None
    ctx.diagnostics.extend(prepare_diagnostics(book, Assembled("", None, flattened, cover_problem), shown))
    memory = options.memory_limit << 20 if options.memory_limit else (default_memory_limit() or 0) // jobs or None
    base = {"target": "", "root": str(book.root), "theme": [str(f) for f in ctx.theme.folders],
            "assets": {k: str(v) for k, v in book.assets.items()}, "network": book.network,
            "variant": None if options.variant == "none" else options.variant, "body_start": None,
            "memory_limit": memory}
    folder = book.root / CACHE_FOLDER if ctx.cache_dir is True else ctx.cache_dir or None
    cache = None if book.network else ChunkCache.within(folder, "pdf")   # a remote image may change
    salt = _salt(ctx, options)
    policy = FetchPolicy(book.root, tuple(ctx.theme.folders), dict(book.assets), book.network)
    run = _Run(jobs, cache, salt, policy, ctx, options.timeout)
    toc_ids = sorted({e.id for e in entries})
    work = Path(tempfile.mkdtemp(prefix="chapbook-pdf-"))
    clock = [time.perf_counter()]

    def lap() -> float:
        now = time.perf_counter()
        seconds, clock[0] = now - clock[0], now
        return seconds
    try:
        # 1. the chunks, in parallel
        chunk_jobs = []
        for index, pieces in enumerate(chunks):
            html = _timeless(render_document(book, options, ctx.theme, [p.block for p in pieces], [], cover=False,
                                             extra_css=ck.CHUNK_CSS))
            starts = sorted({p.anchor for p in pieces} | set(toc_ids))
            chunk_jobs.append({**base, "html": html, "target": str(work / f"chunk-{index}.pdf"), "starts": starts})
        run.total = len(chunk_jobs)
        chunk_results = run.render(chunk_jobs, "chunks")
        _check(chunk_results, chunks, ctx, shown)
        laid = ck.read_chunks(chunks, chunk_results, set(toc_ids))
        missing = [p.slug for c in chunks for p in c if p.slug not in laid.pages]
        if missing:
            _internal(ctx, shown, f"chapter {missing[0]} was not found in its chunk")

        chunk_wall = lap()
        # 2. the skeleton: front segment first (its length fixes the roman numbers), then the body
        recto = options.recto_chapters
        front = [b for b in blocks if b["kind"] == "front"]
        body = [b for b in blocks if b["kind"] != "front"]
        body_at = ck.place(body, laid, recto, 0)
        labels = {}
        block_ids = {b["id"] for b in blocks}
        for block in body:
            labels[block["id"]] = str(body_at[block["id"]] + 1)
        guess = 4 + len(entries) // 30
        pieces = contents.slices(entries, contents.contents_bound())
        front_results: list[dict] = []
        for _attempt in range(3):
            front_at = ck.place(front, laid, recto, guess)
            for block in front:
                labels[block["id"]] = ck.roman(front_at[block["id"]] + 1)
            for name, (slug, offset) in laid.where.items():
                if name in block_ids:
                    continue
                if slug in front_at:
                    labels[name] = ck.roman(front_at[slug] + offset + 1)
                elif slug in body_at:
                    labels[name] = str(body_at[slug] + offset + 1)
            front_results, info = [], []
            for i, piece in enumerate(pieces):   # one after another: each starts where the last ended
                last = i == len(pieces) - 1
                css = ck.SKELETON_CSS + (contents.continued_css(len(info)) if i else "")
                html = render_document(book, options, ctx.theme, ck.skeleton_blocks(front, laid) if last else [],
                                       piece, cover_url=cover_url, cover=None if i == 0 else False, extra_css=css)
                starts = ({b["id"] for b in front} if last else set()) | (set(ck.FRONT_IDS) if i == 0 else set())
                job = {**base, "html": ck.literal_links(html, labels), "target": str(work / f"front-{i}.pdf"),
                       "literal_targets": True, "starts": sorted(starts)}
                result = run.render([job], "front matter")[0]
                _check([result], None, ctx, shown)
                front_results.append(result)
                info += result["page_info"]
            found = _starts(info)
            actual = found[front[0]["id"]] if front else guess
            if actual == guess:
                break
            guess = actual
        front_at = ck.place(front, laid, recto, guess)
        found = _starts(info)
        if any(found.get(b["id"]) != front_at[b["id"]] for b in front):
            _internal(ctx, shown, "the front matter's pages are not where the plan put them")
        s0 = len(info)
        body_start = s0 + (s0 % 2 if recto else 0) if body else None
        groups = ck.segments(body, body_at, ck.segment_bound())
        seg_jobs, expected = [], []
        parts_before = 0
        for k, group in enumerate(groups, start=1):
            first = body_at[group[0]["id"]]
            last = group[-1]
            end = body_at[last["id"]] + (1 if last["kind"] == "part" else len(laid.pages[last["id"]]))
            css = (ck.SKELETON_CSS + ck.HIDE_FRONT + ck.opening_css(body_start + first, first + 1)
                   + f"body {{ counter-reset: part {parts_before}; }}\n")
            parts_before += sum(1 for b in group if b["kind"] == "part")
            html = _timeless(ck.literal_links(render_document(book, options, ctx.theme, ck.skeleton_blocks(group, laid),
                                                              [], cover=False, extra_css=css), labels))
            seg_jobs.append({**base, "html": html, "target": str(work / f"segment-{k}.pdf"), "literal_targets": True,
                             "starts": sorted(b["id"] for b in group)})
            expected.append((first, end, group))
        run.total = len(seg_jobs)
        seg_results = run.render(seg_jobs, "page furniture") if seg_jobs else []
        _check(seg_results, None, ctx, shown)

        skeleton_wall = lap()
        # 3. the plan of every final page, then the merge
        dx = ck.side_shift_pt(options)
        plan: list = []

        def chunk_page(g: int, slug: str, offset: int):
            c, local = laid.pages[slug][offset]
            shift = dx * (int(g % 2 == 0) - int(local % 2 == 0))
            return (c, local), shift

        from compiler.backends.pdf.stitch import FinalPage, Outline, stitch
        for i, result in enumerate(front_results):
            plan += [FinalPage((i, local)) for local in range(len(result["page_info"]))]
        for block in front:
            for offset in range(len(laid.pages[block["id"]])):
                g = found[block["id"]] + offset
                plan[g].chunk, plan[g].dx = chunk_page(g, block["id"], offset)
        for k, ((first, end, group), result) in enumerate(zip(expected, seg_results), start=len(front_results)):
            g0 = body_start + first
            if len(plan) > g0 or g0 - len(plan) > 1 or len(result["page_info"]) != end - first:
                _internal(ctx, shown, f"skeleton segment {k} has {len(result['page_info'])} pages, "
                                      f"the plan {end - first}")
            while len(plan) < g0:
                plan.append(FinalPage(None))
            at = _starts(result["page_info"])
            for block in group:
                if at.get(block["id"]) != body_at[block["id"]] - first:
                    _internal(ctx, shown, f"{block['id']} is not on the page the plan put it")
            for local in range(end - first):
                plan.append(FinalPage((k, local)))
            for block in group:
                if block["kind"] == "part":
                    continue
                for offset in range(len(laid.pages[block["id"]])):
                    g = g0 + body_at[block["id"]] - first + offset
                    plan[g].chunk, plan[g].dx = chunk_page(g, block["id"], offset)

        def outline(nodes):
            return [Outline(n["entry"].text, n["entry"].id, outline(n["children"])) for n in nodes]

        if ctx.progress:
            ctx.progress(f"merging {len(plan)} pages")
        segment_files = [Path(r["file"]) for r in front_results + seg_results]
        chunk_files = [Path(r["file"]) for r in chunk_results]
        with atomic_path(target) as tmp:
            pages = stitch(tmp, segment_files, chunk_files, plan, outline(toc_tree(entries)), body_start)
        merge_wall = lap()
        if cache is not None:
            cache.prune(run.used)
        results = chunk_results + front_results + seg_results
        fresh = [r for r in results if not r.get("cached")]
        chunk_cpu = sum(r.get("cpu", 0) for r in chunk_results if not r.get("cached"))
        merged = {"refused": [x for r in results for x in r.get("refused", [])],
                  "messages": [m for r in results for m in r.get("messages", [])],
                  "pages": pages, "cpu": sum(r.get("cpu", 0) for r in fresh),
                  "maxrss_kb": max([r.get("maxrss_kb", 0) for r in fresh] or [0])}
        ctx.diagnostics.extend(d for d in render_diagnostics(book, merged, shown) if d.severity != Severity.INFO)
        ctx.diagnostics.append(diag(
            "CB262", shown, None,
            f"PDF: {pages} pages from {len(chunks)} chunks and {len(front_results) + len(seg_results)} skeleton segments on {jobs} "
            f"processes ({len(results) - len(fresh)} of {len(results)} reused from the cache); renderers "
            f"{merged['cpu']:.1f} s CPU, peak memory {merged['maxrss_kb'] >> 10} MB per renderer; chunks "
            f"{chunk_wall:.1f} s ({chunk_cpu:.1f} s CPU), skeleton {skeleton_wall:.1f} s "
            f"({merged['cpu'] - chunk_cpu:.1f} s CPU), merge {merge_wall:.1f} s", Severity.INFO))
        return [target]
    except _Failed:
        return []
    finally:
        run.running.cancel()
        shutil.rmtree(work, ignore_errors=True)


class _Run:
    """Renders through the cache and the process pool, with progress."""

    def __init__(self, jobs: int, cache: ChunkCache | None, salt: str, policy: FetchPolicy, ctx: BuildContext,
                 timeout: int | None):
        self.jobs, self.cache, self.salt, self.policy, self.ctx = jobs, cache, salt, policy, ctx
        self.timeout = timeout
        self.running = Running()
        self.used: set[str] = set()
        self.total = 0
        self.done = 0
        self.pages = 0
        self._digests: dict[str, str] = {}

    def render(self, jobs: list[dict], what: str) -> list[dict]:
        self.done, self.pages = 0, 0
        results: list[dict | None] = [None] * len(jobs)
        todo = []
        for index, job in enumerate(jobs):
            key = self._key(job) if self.cache is not None else None
            hit = self.cache.get(key + ".pdf") if key else None
            info = self.cache.get(key + ".json") if key else None
            if hit and info:
                try:
                    result = json.loads(info.read_text())
                    results[index] = {**result, "file": str(hit), "cached": True}
                    self.used.update((key + ".pdf", key + ".json"))
                    self.done += 1
                    continue
                except (OSError, ValueError):
                    pass
            todo.append((index, key))
        self._show(what)

        def done(result):
            self.done += 1
            self.pages += result.get("pages", 0)
            self._show(what)

        rendered = ck.render_many([(jobs[i], self.timeout or default_timeout(jobs[i]["html"])) for i, _ in todo], self.jobs,
                                  self.running, done)
        for (index, key), result in zip(todo, rendered):
            result = {**result, "file": jobs[index]["target"]}
            results[index] = result
            if key and "error" not in result:
                keep = {k: v for k, v in result.items() if k in ("pages", "page_info", "refused", "messages")}
                info_file = Path(jobs[index]["target"] + ".json")
                info_file.write_text(json.dumps(keep))
                self.cache.put(key + ".pdf", Path(jobs[index]["target"]))
                self.cache.put(key + ".json", info_file)
                self.used.update((key + ".pdf", key + ".json"))
        return results

    def _show(self, what: str) -> None:
        if self.ctx.progress:
            self.ctx.progress(f"{what} {self.done}/{self.total}" + (f", {self.pages} pages" if self.pages else ""))

    def _key(self, job: dict) -> str:
        """Everything that changes a render's bytes: the HTML, the settings, the theme's files and
        the book files the HTML names (the salt covers versions and the theme)."""
        assets = []
        for rel in sorted(set(_BOOK_REF.findall(job["html"]))):
            assets.append(rel + ":" + self._digest(rel))
        settings = json.dumps({k: job.get(k) for k in ("variant", "starts", "literal_targets", "memory_limit")},
                              sort_keys=True)
        return cache_key(self.salt, settings, "\n".join(assets), job["html"])

    def _digest(self, rel: str) -> str:
        if rel not in self._digests:
            try:
                path = self.policy.locate(BOOK_URL + rel)
                self._digests[rel] = hashlib.sha256(Path(path).read_bytes()).hexdigest() if isinstance(path, Path) else rel
            except (Refused, OSError):
                self._digests[rel] = "missing"
        return self._digests[rel]


def _salt(ctx: BuildContext, options) -> str:
    """Versions of everything that typesets, and the theme's files (CSS, fonts, templates)."""
    import pydyf
    import pikepdf
    from importlib.metadata import version
    digest = hashlib.sha256()
    for folder in ctx.theme.folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return json.dumps([__version__, version("weasyprint"), pydyf.__version__, pikepdf.__version__,
                       options.model_dump(mode="json"), digest.hexdigest()])


_DATES = re.compile(r'<meta name="dcterms\.(?:created|modified)" content="[^"]*">\n?')


def _timeless(html: str) -> str:
    """Chunks and body segments without the build time: the merged PDF takes its metadata from the
    front segment, and a chunk's bytes must not change with the clock (or the cache never hits)."""
    return _DATES.sub("", html)


def _starts(page_info: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, (_, ids) in enumerate(page_info):
        for name in ids:
            found.setdefault(name, index)
    return found


def _check(results: list[dict], chunks, ctx: BuildContext, shown: str) -> None:
    error = ck.first_error(results)
    if error is None:
        return
    where = ""
    if chunks is not None:
        index = results.index(error)
        sources = [p.block.get("source") for p in chunks[index] if p.block.get("source")]
        if sources:
            where = f" (chunk {index + 1} of {len(chunks)}: {sources[0]}" + (f" … {sources[-1]}" if len(sources) > 1 else "") + ")"
    ctx.diagnostics.append(diag("CB261", shown, None, f"PDF not written{where}: {error['error']}", Severity.ERROR))
    raise _Failed()


def _internal(ctx: BuildContext, shown: str, message: str) -> None:
    ctx.diagnostics.append(diag("CB263", shown, None, f"PDF not written: the chunked layout went wrong ({message}); "
                                                      "build it in one pass with outputs.pdf.jobs: 1",
                                Severity.ERROR))
    raise _Failed()
