"""compiler.support.locales: one table of the words Chapbook adds, complete in English, used by every template."""

from __future__ import annotations

import re

from helpers import ROOT

from compiler.support.locales import table, translator, words


def test_every_language_uses_only_english_keys():
    tables = table()
    english = set(tables["en"])
    for language, vocabulary in tables.items():
        assert set(vocabulary) <= english, (language, set(vocabulary) - english)
        for key, text in vocabulary.items():   # the same fields to fill in as English
            assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", tables["en"][key])), (language, key)


def test_every_key_the_templates_ask_for_exists():
    asked = set()
    for template in (ROOT / "themes").rglob("*.j2"):
        asked |= set(re.findall(r"""\bt\(\s*["'](\w+)["']""", template.read_text(encoding="utf-8")))
    assert asked and asked <= set(table()["en"]), asked - set(table()["en"])


def test_regions_and_unknown_languages():
    assert words("fr-CA")["next"] == "Suivant"
    assert words("xx")["next"] == "Next"
    assert translator("de")("start_reading", title="Eins") == "Lesen beginnen: Eins"
