"""Safe YAML for manifests and front matter.

PyYAML's SafeLoader still expands aliases (a "billion laughs" document loads instantly and explodes
when walked), reads `NO` as False (YAML 1.1) and turns dates into datetime objects. This loader
refuses aliases, keeps only `true`/`false` as booleans and leaves dates as strings, so that
Chapbook parses and reports dates itself. It also records the line of every key path.
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class AliasRefused(yaml.YAMLError):
    def __init__(self, line: int):
        super().__init__(f"YAML aliases (*name) are not allowed (line {line})")
        self.line = line


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        if self.check_event(AliasEvent):
            raise AliasRefused(self.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)


# Resolvers: drop YAML 1.1 booleans (yes/no/on/off) and timestamps, keep true/false.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass(frozen=True)
class YamlDoc:
    data: object
    lines: dict[tuple, int]  # key path -> 1-based line (relative to the text given)
    duplicates: tuple[tuple[tuple, int], ...] = ()   # (key path, line) of each key given twice: the last wins


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.line = line


_MEMO: ContextVar = ContextVar("chapbook_yaml_memo", default=None)


@contextmanager
def remembered(memo):
    """Within it, `load` keeps what it parses in the build cache's memo (compiler/build/memo.py),
    keyed by the text: a build after an edit parses only the front matter that changed."""
    token = _MEMO.set(memo)
    try:
        yield
    finally:
        _MEMO.reset(token)


def load(text: str) -> YamlDoc:
    """Parse one YAML document; raise YamlSyntaxError with a 1-based line on any problem."""
    memo = _MEMO.get()
    if memo is None:
        return _parse(text)
    key = memo.key("yaml", text)
    if (kept := memo.get("yaml", key)) is not None:
        return YamlDoc(kept["data"], {tuple(path): line for path, line in kept["lines"]},
                       tuple((tuple(path), line) for path, line in kept["duplicates"]))
    doc = _parse(text)     # a document that cannot be parsed is not kept (it raised)
    if _plain(doc.data):   # only what JSON gives back as it was
        memo.put("yaml", key, {"data": doc.data, "lines": [[list(p), line] for p, line in doc.lines.items()],
                               "duplicates": [[list(p), line] for p, line in doc.duplicates]})
    return doc


def _plain(value, depth: int = 0) -> bool:
    if depth > 50:
        return False
    if value is None or type(value) in (str, bool, int):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v, depth + 1) for k, v in value.items())
    return False


def _parse(text: str) -> YamlDoc:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except AliasRefused as exc:
        raise YamlSyntaxError(str(exc), exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        raise YamlSyntaxError(f"YAML syntax error: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML error: {exc}", None) from None
    except RecursionError:
        raise YamlSyntaxError(TOO_DEEP, None) from None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    duplicates: list[tuple[tuple, int]] = []
    try:
        if node is not None:
            _record_lines(node, (), lines, duplicates)
    except RecursionError:
        raise YamlSyntaxError(TOO_DEEP, None) from None
    return YamlDoc(data, lines, tuple(duplicates))


TOO_DEEP = "YAML nested too deeply (hundreds of levels of lists or mappings); flatten it"


def _record_lines(node: Node, path: tuple, lines: dict[tuple, int], duplicates: list) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        seen = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                child = path + (key.value,)
                if key.value in seen:
                    duplicates.append((child, key.start_mark.line + 1))
                seen.add(key.value)
                lines[child] = key.start_mark.line + 1
                _record_lines(value, child, lines, duplicates)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _record_lines(item, path + (i,), lines, duplicates)


def line_of(doc: YamlDoc, path: tuple) -> int | None:
    """The line of the longest known prefix of `path`."""
    for cut in range(len(path), -1, -1):
        line = doc.lines.get(tuple(path[:cut]))
        if line is not None:
            return line
    return None
