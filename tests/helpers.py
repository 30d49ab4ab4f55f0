"""Shared test helpers (imported as `from helpers import ...`): tiny fixture books written into tmp
folders, compiling in-process, and the CLI run for real. Fixtures live in conftest.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# shared/ lies beside the project's folder (CI: beside the clone); /work/shared on the developers' machines.
SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if (p / "corpora").is_dir()), ROOT.parent / "shared")
RUST_BLOG = SHARED / "corpora" / "rust-blog"


def post(title: str | None = "A post", body: str = "Some text.\n", **meta) -> str:
    """A Markdown post with YAML front matter (keys in the order given)."""
    fm = {"title": title, **meta} if title is not None else dict(meta)
    fm.setdefault("description", "A description.")
    head = yaml.safe_dump(fm, sort_keys=False, allow_unicode=True) if fm else ""
    return f"---\n{head}---\n\n{textwrap.dedent(body).lstrip()}"


def make_book(folder: Path, posts: dict[str, str], manifest: dict | str | None = None) -> Path:
    """Write posts (name -> text, names may contain folders) and book.yml; return the manifest path."""
    for name, text in posts.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if manifest is None:
        manifest = {"title": "Test Book", "authors": ["Tess Ter"], "language": "en", "chapters": list(posts)}
    text = manifest if isinstance(manifest, str) else yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    target = folder / "book.yml"
    target.write_text(text, encoding="utf-8")
    return target


def compile_manifest(manifest: Path):
    """Book and diagnostics for a manifest, in-process."""
    from compiler.compile.assemble import compile_book
    from compiler.load.manifest import load_manifest
    return compile_book(load_manifest(manifest))


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m compiler ARGS`, as a user runs it; never raises on a non-zero exit."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=600)


def run_json(*args: str, cwd: Path | None = None):
    result = run_cli(*args, cwd=cwd)
    return result, json.loads(result.stdout)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chapter(slug: str, kind: str = "chapter", html: str = "", headings=()):
    """A Chapter made directly (no pandoc): for unit tests of the model and the backends' pieces."""
    from compiler.model.book import Chapter
    return Chapter(slug, slug.title(), f"{slug}.md", kind, None, (), None, {}, html, tuple(headings))


def book(front=(), parts=(), back=(), root: Path = Path("/book")):
    """A Book made directly from chapters and parts (no pandoc, no manifest)."""
    from datetime import datetime, timezone

    from compiler.model.book import Book, Metadata
    meta = Metadata(title="T", subtitle=None, authors=(), language="en", identifier="urn:x", date=None,
                    modified=datetime(2024, 1, 1, tzinfo=timezone.utc), publisher=None, rights=None,
                    description=None, subjects=(), cover=None, site_url=None, series=None, slug="t")
    return Book(meta, root, tuple(front), tuple(parts), tuple(back))
