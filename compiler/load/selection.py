"""The manifest's paths, checked before anything is opened, and a selection that must not be empty.

Every path `book.yml` names (`chapters`, `parts[].chapters`, `front_matter`, `back_matter`,
`series.from`, `cover`) is resolved and must lie inside the book folder and exist: otherwise it is
a problem of the manifest (exit 2, `book.yml:line`, the entry quoted), all of them reported at
once, and no file is opened. A book whose chapters come out empty (a `series` whose tags select
nothing, `chapters: []`, every post a draft left out) is refused the same way: an empty book is not
a valid EPUB and never what the author meant.
"""

from __future__ import annotations

from compiler.load.manifest import LoadedManifest
from compiler.model.diagnostics import FatalError
from compiler.support.paths import OutsideBook, confine

NO_POSTS = "selected no posts"


def _problem(loaded: LoadedManifest, key: tuple, message: str) -> str:
    return f"{loaded.path}:{loaded.line(*key)}: {'.'.join(map(str, key))}: {message}"


def path_problems(loaded: LoadedManifest) -> list[str]:
    """One message per manifest path that is outside the book folder or missing."""
    m, root = loaded.manifest, loaded.root
    files: list[tuple[tuple, str]] = []
    files += [(("front_matter", i), name) for i, name in enumerate(m.front_matter)]
    files += [(("chapters", i), name) for i, name in enumerate(m.chapters or [])]
    for p, part in enumerate(m.parts or []):
        files += [(("parts", p, "chapters", i), name) for i, name in enumerate(part.chapters)]
    files += [(("back_matter", i), name) for i, name in enumerate(m.back_matter)]
    problems = []
    for key, name in files:
        try:
            path = confine(root, name)
        except (OutsideBook, ValueError):   # ValueError: a NUL byte in the name
            problems.append(_problem(loaded, key, f"{name!r} is outside the book folder; move it into "
                                                  f"the folder of {loaded.name}"))
            continue
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            problems.append(_problem(loaded, key, f"{name!r} {what}; fix the path (relative to {loaded.name})"))
    if m.series is not None:
        try:
            folder = confine(root, m.series.from_)
        except (OutsideBook, ValueError):
            problems.append(_problem(loaded, ("series", "from"), f"{m.series.from_!r} is outside the book folder"))
        else:
            if not folder.is_dir():
                problems.append(_problem(loaded, ("series", "from"), f"folder {m.series.from_!r} does not exist: "
                                                                      f"the series {NO_POSTS}"))
    if m.cover:
        try:
            confine(root, m.cover)
        except (OutsideBook, ValueError):   # a missing cover inside the folder stays a warning (CB202)
            problems.append(_problem(loaded, ("cover",), f"{m.cover!r} is outside the book folder; put the "
                                                         "image in the book folder"))
    return problems


def check_paths(loaded: LoadedManifest) -> None:
    """Raise FatalError (exit 2) listing every manifest path problem."""
    problems = path_problems(loaded)
    if problems:
        raise FatalError(f"{len(problems)} problem(s) in the manifest:\n" + "\n".join(problems), 2)


def require_chapters(loaded: LoadedManifest, count: int, why: str = "", key: tuple = ()) -> None:
    """Raise FatalError (exit 2) when the manifest's selection holds no chapter; `why` and `key`
    (the manifest entry to blame) default to the selection's own keys."""
    if count:
        return
    m = loaded.manifest
    if key:
        detail = why
    elif m.series is not None:
        key = ("series", "tags") if m.series.tags else ("series", "from")
        detail = (f"no post under {m.series.from_!r} has any of the tags {', '.join(m.series.tags)}"
                  if m.series.tags else f"no .md or .markdown post under {m.series.from_!r}")
        if m.series.exclude:
            detail += " that `exclude` leaves in"
    elif m.parts is not None:
        key, detail = ("parts",), "no part lists a chapter"
    else:
        key, detail = ("chapters",), "the list is empty"
    raise FatalError(_problem(loaded, key, f"{NO_POSTS} ({why or detail}); an empty book cannot be built"), 2)
