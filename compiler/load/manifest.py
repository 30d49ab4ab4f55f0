"""`book.yml`: what goes into the book, in what order, and the book's metadata.

The schema refuses unknown keys and reports every problem at once, each with file, line and key
path. Backend options (`outputs.<name>`) are validated by each backend's own options model, once:
the validated options are kept on the `LoadedManifest` the build uses.
"""

from __future__ import annotations

import difflib
import re
import typing
import uuid
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from compiler.load import yamlsafe
from compiler.model.diagnostics import FatalError, LintPolicy, Severity, lint_code_problem
from compiler.load.sources import CONTROL, describe_char, without_controls

DEFAULT_EDITORIAL_NOTES = [r"(?i)\bexpand each of these\b", r"\bTODO\b", r"\bTK\b", r"\bFIXME\b", r"\bXXX\b"]
MARKDOWN_FLAVORS = ("commonmark_x", "commonmark", "gfm", "markdown", "markdown_strict", "markdown_mmd", "markdown_phpextra")
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Series(_Strict):
    from_: str = Field(alias="from", description="Folder searched recursively for .md and .markdown posts")
    tags: list[str] = Field(default_factory=list, description="A post is taken when it has any of these tags")
    exclude: list[str] = Field(default_factory=list, description="Paths or glob patterns (relative to the book folder) to leave out")
    order: Literal["date", "title", "manifest"] = Field("date", description="Chapter order")
    name: str | None = Field(None, description="Series (collection) name, for EPUB `belongs-to-collection`")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SiteSettings(_Strict):
    engine: Literal["auto", "jekyll", "hugo", "zola", "eleventy", "plain"] = Field(
        "auto", description="The engine that builds the blog, whose permalink rules map links to chapters")
    config: str | None = Field(None, description="The site config (relative to the book folder); default: the engine's")
    permalink: str | None = Field(None, description="The posts' permalink pattern (Jekyll/Hugo placeholders), "
                                                    "overriding the engine's")


class Part(_Strict):
    title: str
    chapters: list[str]


class BoilerplateRule(_Strict):
    kind: Literal["blockquote", "paragraph", "div", "heading", "any"] = "any"
    starts_with: str | None = None
    contains: str | None = None
    matches: str | None = None

    @model_validator(mode="after")
    def _one_test(self):
        if not (self.starts_with or self.contains or self.matches):
            raise ValueError("a boilerplate rule needs one of starts_with, contains or matches")
        if self.matches:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"matches {self.matches!r} is not a valid regular expression: {exc}") from None
        return self


class Lint(_Strict):
    """`lint:` what the author chose to hear (see `LintPolicy`)."""
    ignore: list[str] = Field(default_factory=list)
    severity: dict[str, Literal["info", "warning", "error"]] = Field(default_factory=dict)

    @field_validator("ignore")
    @classmethod
    def _ignore(cls, v: list[str]) -> list[str]:
        v = [c.strip().upper() for c in v]
        for code in v:
            if problem := lint_code_problem(code):
                raise ValueError(problem)
        return v

    @field_validator("severity")
    @classmethod
    def _severity(cls, v: dict[str, str]) -> dict[str, str]:
        v = {c.strip().upper(): s for c, s in v.items()}
        for code in v:
            if problem := lint_code_problem(code):
                raise ValueError(problem)
        return v

    def policy(self) -> LintPolicy:
        return LintPolicy(frozenset(self.ignore), tuple((c, Severity(s)) for c, s in sorted(self.severity.items())))


class Manifest(_Strict):
    title: str
    subtitle: str | None = None
    authors: list[str] = Field(default_factory=list)
    language: str = "en"
    identifier: str | None = None
    date: Date | None = None
    publisher: str | None = None
    rights: str | None = None
    edition: str | None = None
    description: str | None = None
    cover: str | None = None
    site_url: str | None = None
    site: SiteSettings | None = None
    bylines: bool = True
    chapters: list[str] | None = None
    parts: list[Part] | None = None
    series: Series | None = None
    front_matter: list[str] = Field(default_factory=list)
    back_matter: list[str] = Field(default_factory=list)
    boilerplate: list[BoilerplateRule] = Field(default_factory=list)
    drafts: Literal["include", "warn", "exclude", "error"] = "warn"
    editorial_notes: list[str] = Field(default_factory=lambda: list(DEFAULT_EDITORIAL_NOTES))
    markdown_flavor: str = "commonmark_x"
    network: bool = False
    theme: str = "default"
    outputs: dict[str, dict] = Field(default_factory=dict)
    lint: Lint = Field(default_factory=Lint)

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the title is empty")
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        if not _BCP47.match(v):
            raise ValueError(f"{v!r} is not a BCP 47 language tag (like en, en-GB, pt-BR)")
        return v

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("site_url must be an absolute http(s) URL, like https://example.com")
        return v.rstrip("/") + "/" if v else v

    @field_validator("markdown_flavor")
    @classmethod
    def _flavor(cls, v: str) -> str:
        base = re.split(r"[+-]", v, maxsplit=1)[0]
        if base not in MARKDOWN_FLAVORS:
            raise ValueError(f"unknown markdown flavor {base!r}; use one of {', '.join(MARKDOWN_FLAVORS)}")
        return v

    @field_validator("outputs", mode="before")
    @classmethod
    def _outputs(cls, v):
        """`epub:` with nothing after it means the format with its default options."""
        if isinstance(v, dict):
            return {k: ({} if options is None else options) for k, options in v.items()}
        return v

    @field_validator("editorial_notes")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for pattern in v:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return v

    @model_validator(mode="after")
    def _one_content_source(self):
        given = [k for k in ("chapters", "parts", "series") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("say what goes in the book with exactly one of `chapters`, `parts` or `series`"
                             + (f" (found {', '.join(given)})" if given else ""))
        return self

    @property
    def book_identifier(self) -> str:
        """The manifest's identifier, or a stable urn:uuid derived from the title."""
        return self.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'chapbook:' + self.title)}"


@dataclass(frozen=True)
class LoadedManifest:
    manifest: Manifest
    path: Path                      # the manifest file (resolved)
    root: Path                      # the book folder (resolved): nothing outside it is read
    lines: dict[tuple, int]         # key path -> line, for messages about entries
    backend_options: dict[str, BaseModel] = field(default_factory=dict)   # outputs.<name>, validated
    policy: LintPolicy = LintPolicy()   # lint: (and --ignore): what the author chose to hear

    def line(self, *key) -> int | None:
        return yamlsafe.line_of(yamlsafe.YamlDoc(None, self.lines), key)

    @property
    def name(self) -> str:
        return self.path.name


def load_manifest(path: Path, option_models: dict[str, type[BaseModel]] | None = None) -> LoadedManifest:
    """Read and validate `book.yml`.

    Raises FatalError (exit 2) listing every problem, each with file:line and key path.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise FatalError("the manifest is not a regular file; pass the path of book.yml", 2, path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FatalError("manifest not found; pass its path or run where book.yml is", 2, path) from None
    except UnicodeDecodeError as exc:
        raise FatalError(f"manifest is not UTF-8 (byte {exc.start}); save it as UTF-8", 2, path) from None
    except OSError as exc:
        raise FatalError(f"cannot read manifest: {exc.strerror}", 2, path) from None
    control = CONTROL.search(text)
    if control:
        raise FatalError(f"{describe_char(control[0])} in the manifest; remove it", 2, path,
                         text.count("\n", 0, control.start()) + 1)
    try:
        doc = yamlsafe.load(text)
    except yamlsafe.YamlSyntaxError as exc:
        raise FatalError(exc.message, 2, path, exc.line) from None
    if not isinstance(doc.data, dict):
        raise FatalError("the manifest must be a mapping of keys (title: …, chapters: …)", 2, path, 1)
    if doc.duplicates:
        raise FatalError("\n".join(f"{path}:{line}: {'.'.join(map(str, key))} is given twice (the second would "
                                   "silently win); keep one" for key, line in doc.duplicates), 2)
    _, escaped = without_controls(doc.data)
    if escaped:
        raise FatalError(f"{'.'.join(map(str, escaped))}: a control character (written as an escape); remove it",
                         2, path, yamlsafe.line_of(doc, escaped))
    problems: list[str] = []
    manifest = None
    backend_options: dict[str, BaseModel] = {}
    try:
        manifest = Manifest.model_validate(doc.data)
    except ValidationError as exc:
        problems += [_describe(path, doc, err, model=Manifest) for err in exc.errors()]
    for name, options in (doc.data.get("outputs") or {}).items() if isinstance(doc.data.get("outputs"), dict) else []:
        model = (option_models or {}).get(name)
        if option_models is not None and model is None:
            line = yamlsafe.line_of(doc, ("outputs", name))
            problems.append(f"{path}:{line}: outputs.{name}: unknown output format{_did_you_mean(name, option_models)} "
                            f"(known: {', '.join(sorted(option_models))})")
        elif model is not None:
            try:
                backend_options[name] = model.model_validate(options or {})
            except ValidationError as exc:
                problems += [_describe(path, doc, err, ("outputs", name), model) for err in exc.errors()]
    if problems or manifest is None:
        problems.sort(key=lambda p: int(m.group(1)) if (m := re.search(r":(\d+): ", p)) else 0)
        raise FatalError(f"{len(problems)} problem(s) in the manifest:\n" + "\n".join(problems), 2)
    resolved = path.resolve()
    return LoadedManifest(manifest, resolved, resolved.parent, doc.lines, backend_options, manifest.lint.policy())


def _describe(path: Path, doc: yamlsafe.YamlDoc, err: dict, prefix: tuple = (), model: type[BaseModel] | None = None) -> str:
    loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "literal["))))
    key = ".".join(str(p) for p in loc) or "(top level)"
    line = yamlsafe.line_of(doc, loc)
    if err["type"] == "extra_forbidden":
        known = _keys_at(model, loc[len(prefix):-1]) if model else []
        hint = _did_you_mean(str(loc[-1]), known)
        msg = (f"unknown key {key!r}{hint}" if hint else
               f"unknown key {key!r}; check its spelling against the manifest reference in the README")
    elif err["type"] == "missing":
        msg = f"{key}: required key is missing"
    else:
        msg = f"{key}: {err['msg'].removeprefix('Value error, ')}"
    return f"{path}:{line}: {msg}"


def _did_you_mean(word: str, known) -> str:
    """" — did you mean `title`?" for the closest known key (difflib), or ""."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6) or \
        difflib.get_close_matches(word.lower(), list(known), n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else ""


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the schema allows at `loc` (a path of keys and list indexes below `model`)."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for name, f in model.model_fields.items() if part in (name, f.alias)), None)
        model = _model_in(field.annotation) if field else None
        if model is None:
            return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_in(annotation) -> type[BaseModel] | None:
    """The pydantic model inside an annotation like `list[Part] | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
