"""Keep Chapbook's outputs out of the blog's repository and out of the published site.

`init` writes the book into the blog folder, so its output folder (`dist/`) and cache
(`.chapbook-cache/`) sit beside the blog's own files. They are added to the blog's `.gitignore`
(created only when the blog folder is the top of a git work tree: it has `.git`; nothing above the
blog folder is read), and, for Jekyll, which publishes every file it is not told to skip, to
`exclude:` in `_config.yml` together with the manifest. Hugo, Hexo, Zola and Eleventy publish
only their content and static folders, so nothing needs to be said to them. Edits are textual
(comments and order kept) and checked by re-reading the YAML; an edit that cannot be made safely
is not made, and the caller says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

OUTPUTS = ("dist/", ".chapbook-cache/")


def ignore_outputs(root: Path, engine: str, manifest: Path) -> list[str]:
    """Add the outputs to .gitignore and the engine's exclude list; returns what was done, one line each."""
    done = []
    gitignore = _gitignore(root)
    if gitignore:
        done.append(gitignore)
    if engine == "jekyll":
        done.append(_jekyll_exclude(root, [*OUTPUTS, manifest.relative_to(root).as_posix()]))
    return [d for d in done if d]


def _gitignore(root: Path) -> str:
    path = root / ".gitignore"
    if not path.is_file() and not (root / ".git").exists():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    present = {line.strip().strip("/") for line in text.splitlines()}
    missing = [f"/{o}" for o in OUTPUTS if o.strip("/") not in present]
    if not missing:
        return ""
    addition = ("" if not text or text.endswith("\n") else "\n") + "# Chapbook: the book's outputs and cache\n" + \
        "".join(f"{m}\n" for m in missing)
    path.write_text(text + addition, encoding="utf-8")
    return f"added {', '.join(missing)} to {path.name}"


def _jekyll_exclude(root: Path, entries: list[str]) -> str:
    config = root / "_config.yml"
    if not config.is_file():
        return ""
    text = config.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return "left _config.yml alone (it does not parse): add dist/ and .chapbook-cache/ to its exclude list"
    current = data.get("exclude") if isinstance(data, dict) else None
    if current is not None and not isinstance(current, list):
        return "left _config.yml alone (its exclude is not a list): add dist/ and .chapbook-cache/ to it"
    missing = [e for e in entries if e not in {str(c) for c in current or []}]
    if not missing:
        return ""
    edited = _insert(text, missing, current is not None)
    try:
        after = yaml.safe_load(edited) or {}
    except yaml.YAMLError:
        after = {}
    if not isinstance(after, dict) or not set(missing) <= set(map(str, after.get("exclude") or [])):
        return "left _config.yml alone (its exclude list could not be edited safely): add " + ", ".join(missing)
    config.write_text(edited, encoding="utf-8")
    return f"added {', '.join(missing)} to exclude: in _config.yml (so Jekyll does not publish them)"


def _insert(text: str, missing: list[str], has_key: bool) -> str:
    if not has_key:
        return text + ("" if text.endswith("\n") else "\n") + "# Chapbook: the book's outputs, cache and manifest are not part of the site\nexclude:\n" + \
            "".join(f"  - {m}\n" for m in missing)
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        flow = re.match(r"^exclude:\s*\[(.*)\]\s*(#.*)?$", line.rstrip("\n"))
        if flow:
            items = [s for s in (x.strip() for x in flow.group(1).split(",")) if s]
            lines[i] = f"exclude: [{', '.join(items + missing)}]\n"
            return "".join(lines)
        if re.match(r"^exclude:\s*(#.*)?$", line.rstrip("\n")):
            j = i + 1
            indent = "  "
            while j < len(lines) and (re.match(r"^\s+-\s", lines[j]) or not lines[j].strip()):
                if lines[j].strip():
                    indent = re.match(r"^(\s+)-", lines[j]).group(1)
                j += 1
            while j > i + 1 and not lines[j - 1].strip():
                j -= 1
            lines[j:j] = [f"{indent}- {m}\n" for m in missing]
            return "".join(lines)
    return text
