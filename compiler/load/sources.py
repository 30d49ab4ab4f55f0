"""Posts: a Markdown file with YAML (`---`) or TOML (`+++`) front matter, decoded and checked.

Nothing here raises on bad input: every problem becomes a Diagnostic with the file and line.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date as Date, datetime, timezone
from pathlib import Path

import frontmatter
from frontmatter.default_handlers import BaseHandler, YAMLHandler

from compiler.load import yamlsafe
from compiler.model.diagnostics import Diagnostic, diag

DATE_KEYS = {"date", "lastmod", "updated", "modified", "publishdate", "published", "expirydate", "created"}
_FILENAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")


class TOMLHandler(BaseHandler):
    """`+++` front matter (Hugo), read with the standard library's tomllib."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> dict:
        return tomllib.loads(fm)


_HANDLERS = [YAMLHandler(), TOMLHandler()]


UNREADABLE = ("CB100", "CB113", "CB151")   # codes of a post that is reported, not compiled (CB151: too large)


@dataclass(frozen=True)
class Post:
    path: Path                 # resolved
    rel: str                   # relative to the book folder, for messages
    meta: dict
    meta_lines: dict           # key path -> file line
    body: str
    body_line: int             # file line of the body's first line
    lines: tuple[str, ...]     # the file's lines, for locating diagnostics
    title: str
    slug: str
    date: datetime | None
    tags: tuple[str, ...]
    description: str | None
    draft: bool | None         # None: not said in front matter
    aliases: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    lang: str | None = None    # front matter `lang:` or `language:` (BCP 47)

    def meta_line(self, *key) -> int:
        return self.meta_lines.get(tuple(key)) or self.meta_lines.get((), 1)

    @property
    def readable(self) -> bool:
        """False when the file could not be read (CB100) or its front matter is broken (CB113):
        such a post is reported, not compiled."""
        return not any(d.code in UNREADABLE for d in self.diagnostics)

    def locate(self, needle: str, after: int = 0) -> int | None:
        """The first file line (1-based, at or after `after`) in the body containing `needle`."""
        start = max(after, self.body_line) - 1
        for i in range(start, len(self.lines)):
            if needle in self.lines[i]:
                return i + 1
        return None


def locator(post: "Post", claimed: set | None = None):
    """`line(needle)`: the file line of `needle`'s first occurrence in the body not yet reported, so
    that the same text reported twice (one image refused in two places) is reported at each of its
    own lines. Passes over one post share `claimed` (needle, line) pairs."""
    claimed = set() if claimed is None else claimed

    def line(needle: str) -> int | None:
        first = found = post.locate(needle)
        while found is not None and (needle, found) in claimed:
            found = post.locate(needle, found + 1)
        found = found or first
        if found:
            claimed.add((needle, found))
        return found
    return line


def parse_date(value) -> datetime | None:
    """ISO 8601 dates and datetimes (a space may separate date and time). Raises ValueError otherwise."""
    if isinstance(value, datetime):
        return _in_range(value)
    if isinstance(value, Date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$", text):
        raise ValueError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or YYYY-MM-DDTHH:MM:SS+01:00)")
    try:
        return _in_range(datetime.fromisoformat(text))
    except ValueError as exc:   # 2025-02-30, month 13: the value quoted, not only Python's words
        raise ValueError(f"{value!r} is not a valid date ({exc})") from None


def _in_range(when: datetime) -> datetime:
    """A datetime that can be compared and converted to UTC (years 1 to 9999 once offset)."""
    if when.tzinfo is not None:
        try:
            when.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError(f"{when.isoformat()} is outside the years 1 to 9999 once converted to UTC") from None
    return when


def decode(raw: bytes) -> str:
    """UTF-8 with or without a BOM; CRLF and CR become LF (line numbers unchanged)."""
    text = raw.decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}"
                                           for plane in range(17))
# C0 controls but tab and newline, DEL and the C1 controls, and the 66 Unicode noncharacters
# (U+FDD0..U+FDEF, U+xFFFE and U+xFFFF in every plane): none is allowed in HTML, and XML refuses
# most of them. They are removed with a warning (CB121), like control characters.
CONTROL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_NONCHARACTERS}]")


def describe_char(char: str) -> str:
    """`U+FFFE (a noncharacter)`, `U+0007 (a control character)`."""
    code = ord(char)
    kind = "a noncharacter" if code >= 0xFDD0 else "a control character"
    return f"U+{code:04X} ({kind})"


# A post larger than this, or with a longer unbroken word, is refused at once (CB151) rather than
# letting pandoc or the PDF renderer run for minutes: see the README's "Limits".
MAX_POST_BYTES = 512 << 10        # 512 KiB of Markdown: about 250 printed pages
MAX_WORD = 10_000                 # characters without a space (a pasted blob, not prose)
_LONG_WORD = re.compile(r"\S{%d,}" % (MAX_WORD + 1))


def load_post(path: Path, rel: str) -> Post:
    """Read one post. Unreadable files give a Post with an error diagnostic and an empty body."""
    if not path.is_file():   # a FIFO would block, a device never end
        return _broken(path, rel, diag("CB100", rel, None, "not a regular file: left out"))
    try:
        size = path.stat().st_size
        if size > MAX_POST_BYTES:   # never read whole: it could be gigabytes
            return _broken(path, rel, diag("CB151", rel, None, f"post too large (limit {MAX_POST_BYTES // 1024:,} KiB): "
                                           f"{size / 1024:,.0f} KiB; split it into several posts"))
        text = decode(path.read_bytes())
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return _broken(path, rel, diag("CB100", rel, line, f"not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"))
    except OSError as exc:
        return _broken(path, rel, diag("CB100", rel, None, f"cannot read the file: {exc.strerror}"))
    word = _LONG_WORD.search(text)
    if word:
        line = text.count("\n", 0, word.start()) + 1
        return _broken(path, rel, diag("CB151", rel, line, f"post too large (limit {MAX_WORD:,} characters in one "
                                       f"word): a word of {len(word[0]):,} characters without a space; break it up "
                                       "or put it in a file the post links to"))
    found = first_control(text)
    if found is None:
        return parse_post(text, path, rel)
    line = text.count("\n", 0, found.start()) + 1
    post = parse_post(CONTROL.sub("", text), path, rel)
    note = diag("CB121", rel, line, f"{len(CONTROL.findall(text))} control character(s) or noncharacter(s) "
                f"removed, the first {describe_char(found[0])}; remove them from the file")
    return replace(post, diagnostics=(note, *post.diagnostics))


def first_control(text: str) -> re.Match | None:
    """`CONTROL.search(text)`; every character it finds is unprintable: a C-speed check first."""
    return None if text.replace("\n", "").replace("\t", "").isprintable() else CONTROL.search(text)


def without_controls(value, key: tuple = ()):
    """`value` (front matter, a manifest) with control characters removed from every string, and
    the key path of the first string that had some (None if none had)."""
    if isinstance(value, str):
        return (CONTROL.sub("", value), key) if CONTROL.search(value) else (value, None)
    if isinstance(value, dict):
        pairs = [(k, without_controls(v, key + (k,))) for k, v in value.items()]
        first = next((where for _, (_, where) in pairs if where is not None), None)
        return ({k: v for k, (v, _) in pairs} if first else value), first
    if isinstance(value, list):
        items = [without_controls(v, key + (i,)) for i, v in enumerate(value)]
        first = next((where for _, where in items if where is not None), None)
        return ([v for v, _ in items] if first else value), first
    return value, None


def _broken(path: Path, rel: str, problem: Diagnostic) -> Post:
    return Post(path, rel, {}, {}, "", 1, (), path.stem, _slug_from_name(path)[1], None, (), None, None, (), (problem,))


def parse_post(text: str, path: Path, rel: str) -> Post:
    problems: list[Diagnostic] = []
    lines = tuple(text.split("\n"))
    meta, meta_lines, body, body_line = _split(text, rel, problems)
    meta, escaped = without_controls(meta)
    if escaped:   # written as YAML escapes ("\x01"): the file itself was clean
        problems.append(diag("CB121", rel, meta_lines.get(escaped, None), f"control characters removed from "
                             f"{'.'.join(map(str, escaped))}; remove the escapes from the front matter"))
    file_date, name_slug = _slug_from_name(path)
    broken = any(d.code == "CB113" for d in problems)   # one typo, one error: no "no title" after it
    title = meta.get("title")
    if broken:
        title = title if isinstance(title, str) and title.strip() else name_slug.replace("-", " ").capitalize()
    elif title is None or (isinstance(title, str) and not title.strip()):
        problems.append(diag("CB103", rel, meta_lines.get(("title",), 1),
                             "no title in the front matter; add `title: …` (the chapter heading)"))
        title = name_slug.replace("-", " ").capitalize()
    elif isinstance(title, (list, dict, bool, bytes)):
        problems.append(diag("CB103", rel, meta_lines.get(("title",), 1),
                             f"title is a {type(title).__name__}, not text; write `title: \"…\"`"))
        title = name_slug.replace("-", " ").capitalize()
    date = _check_dates(meta, meta_lines, rel, problems)
    if date is None and file_date is not None:
        date = file_date
    description = meta.get("description") or meta.get("summary")
    if not description and not broken:
        problems.append(diag("CB104", rel, meta_lines.get((), 1),
                             "no description in the front matter; add `description: …` (used in the book's metadata)"))
    slug = _ascii(str(meta.get("slug") or name_slug))   # `café` and `cafe\u0301` both `cafe`, not `caf`
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", slug)[:100].strip("-.") or "chapter"   # a file name on every system
    draft = meta.get("draft")
    if draft is not None and not isinstance(draft, bool):
        problems.append(diag("CB123", rel, meta_lines.get(("draft",), 1), f"draft: {draft!r} is not true or false "
                             "(write it without quotes); the post is treated as if it had no `draft:`"))
    lang = _language(meta, meta_lines, rel, problems)
    return Post(
        lang=lang, path=path, rel=rel, meta=meta, meta_lines=meta_lines, body=body, body_line=body_line, lines=lines,
        title=str(title).strip(), slug=slug, date=date, tags=_tags(meta),
        description=str(description).strip() if description else None,
        draft=draft if isinstance(draft, bool) else None,
        aliases=tuple(str(a) for a in _as_list(meta.get("aliases")) + _as_list(meta.get("permalink"))),
        diagnostics=tuple(problems),
    )


def _split(text: str, rel: str, problems: list[Diagnostic]) -> tuple[dict, dict, str, int]:
    """Front matter (as a dict, with line numbers per key path) and body (with its first line)."""
    stripped = text.lstrip()
    lead = text[: len(text) - len(stripped)].count("\n")
    handler = frontmatter.detect_format(stripped, _HANDLERS)
    if handler is None:
        return _recover_unopened(text, rel, problems)
    try:
        _, fm, body = handler.FM_BOUNDARY.split(stripped, 2)
    except ValueError:
        problems.append(diag("CB113", rel, lead + 1, f"front matter opened with {handler.START_DELIMITER} but never closed; "
                             f"add a closing {handler.END_DELIMITER} line"))
        return {}, {}, "", len(text.split("\n")) + 1
    # Both pieces are suffixes-in-place of the text: their positions give exact file lines.
    fm_pos = len(text) - len(stripped) + stripped.index(fm, len(handler.START_DELIMITER))
    fm_line = text.count("\n", 0, fm_pos) + 1
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    meta, meta_lines = _load_meta(handler, fm, fm_line, rel, problems)
    return meta, meta_lines, body, body_line


def _load_meta(handler, fm: str, fm_line: int, rel: str, problems: list[Diagnostic]) -> tuple[dict, dict]:
    if isinstance(handler, TOMLHandler):
        try:
            data = tomllib.loads(fm)
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"line (\d+)", str(exc))
            problems.append(diag("CB113", rel, fm_line + int(line.group(1)) - 1 if line else fm_line, f"TOML front matter: {exc}"))
            return {}, {}
        return data, {(): fm_line}
    try:
        doc = yamlsafe.load(fm)
    except yamlsafe.YamlSyntaxError as exc:
        problems.append(diag("CB113", rel, fm_line + (exc.line or 1) - 1, f"front matter: {exc.message}"))
        return {}, {}
    if doc.data is None:
        return {}, {(): fm_line}
    if not isinstance(doc.data, dict):
        problems.append(diag("CB113", rel, fm_line + 1, "front matter must be a mapping of keys (title: …), "
                             f"not a {type(doc.data).__name__}"))
        return {}, {}
    for key, line in doc.duplicates:
        problems.append(diag("CB122", rel, fm_line + line - 1, f"{'.'.join(map(str, key))} is given twice in the "
                             "front matter: the last one is used; keep one"))
    return doc.data, {path: fm_line + line - 1 for path, line in doc.lines.items()}


def _recover_unopened(text: str, rel: str, problems: list[Diagnostic]) -> tuple[dict, dict, str, int]:
    """A file that starts with `key: value` lines and a lone `---`: front matter missing its opening line."""
    match = re.match(r"\A((?:[A-Za-z_][\w-]*:.*\n)(?:.*\n)*?)-{3,}[ \t]*\n", text)
    if match:
        try:
            doc = yamlsafe.load(match.group(1))
        except yamlsafe.YamlSyntaxError:
            doc = None
        if doc is not None and isinstance(doc.data, dict) and "title" in doc.data:
            problems.append(diag("CB114", rel, 1, "front matter has no opening --- line; add one at the top of the file"))
            body_line = match.group(0).count("\n") + 1
            return doc.data, dict(doc.lines), text[match.end():], body_line
    return {}, {}, text, 1


def _check_dates(meta: dict, meta_lines: dict, rel: str, problems: list[Diagnostic]) -> datetime | None:
    """Check every date-like key at any depth; return the post's own date."""
    found: datetime | None = None
    for key_path, value in _walk(meta, ()):
        if str(key_path[-1]).lower() not in DATE_KEYS or value in (None, "") or isinstance(value, bool):
            continue   # `published: false` is Jekyll's draft flag, not a date
        name = ".".join(str(k) for k in key_path)
        try:
            parsed = parse_date(value)
        except ValueError as exc:
            then = ("; the post is ordered as undated (its file name's YYYY-MM-DD- date if it has one, else "
                    "after every dated post)") if key_path == ("date",) else ""
            problems.append(diag("CB105", rel, meta_lines.get(key_path), f"{name}: {exc}{then}"))
            continue
        if key_path == ("date",):
            found = parsed
    return found


def _walk(data, path: tuple):
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list)):
                yield from _walk(value, path + (key,))
            else:
                yield path + (key,), value
    elif isinstance(data, list):
        for i, value in enumerate(data):
            if isinstance(value, (dict, list)):
                yield from _walk(value, path + (i,))


def _slug_from_name(path: Path) -> tuple[datetime | None, str]:
    stem = path.stem
    if stem == "index":  # Hugo page bundle: slug/index.md
        stem = path.parent.name
    match = _FILENAME_DATE.match(stem)
    if match:
        try:
            return datetime(int(match[1]), int(match[2]), int(match[3])), match[4]
        except ValueError:
            return None, match[4]
    return None, stem


def _ascii(text: str) -> str:
    """Latin letters without their accents (NFKD, combining marks dropped); other letters stay
    (and become `-` in a slug)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def slug_key(slug: str) -> str:
    """What makes two slugs the same file on a case-insensitive or normalising file system."""
    return unicodedata.normalize("NFKC", slug).casefold()


def _language(meta: dict, meta_lines: dict, rel: str, problems: list[Diagnostic]) -> str | None:
    """The post's own language, when its front matter gives a BCP 47 tag."""
    from compiler.support.bidi import BCP47
    for key in ("lang", "language"):
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, str) and BCP47.match(value.strip()):
            return value.strip()
        problems.append(diag("CB123", rel, meta_lines.get((key,), 1), f"{key}: {value!r} is not a language tag "
                             "(like he, ar, pt-BR); the post takes the book's language"))
    return None


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, (str, int, float))]
    return []


def _tags(meta: dict) -> tuple[str, ...]:
    tags: list[str] = []
    for key in ("tags", "categories", "series"):  # Hugo's `series` taxonomy selects too
        value = meta.get(key)
        items = [t.strip() for t in value.split(",")] if isinstance(value, str) else _as_list(value)
        tags += [str(t) for t in items if str(t).strip()]
    return tuple(dict.fromkeys(tags))
