"""compiler.load.yamlsafe: no aliases, YAML 1.2-style booleans, dates kept as text, lines per key."""

from __future__ import annotations

import pytest

from compiler.load import yamlsafe


def test_scalars_and_lines():
    doc = yamlsafe.load("a: NO\nb: 2025-01-01\nc:\n  - 1\n  - {d: true}\n")
    assert doc.data == {"a": "NO", "b": "2025-01-01", "c": [1, {"d": True}]}
    assert doc.lines[("c", 1, "d")] == 5 and yamlsafe.line_of(doc, ("c", 1, "missing")) == 5


@pytest.mark.parametrize("text, line", [
    ("a: &x [1]\nb: *x\n", 2),
    ("a: [1\nb: 2\n", 2),
    ("a: 'unclosed\n", 2),
])
def test_errors_carry_lines(text, line):
    with pytest.raises(yamlsafe.YamlSyntaxError) as info:
        yamlsafe.load(text)
    assert info.value.line == line


def test_billion_laughs_is_refused_before_expansion():
    lol = "a: &a ['lol','lol']\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))
    with pytest.raises(yamlsafe.YamlSyntaxError, match="aliases"):
        yamlsafe.load(lol)
