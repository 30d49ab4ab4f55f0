"""The words Chapbook itself puts in a book (not the author's): navigation, search, labels.

One table for every backend (`locales.yml`), by the primary subtag of the book's `language`
(`fr-CA` -> `fr`); a word missing in a language, or a language not here, falls back to English.
Dates are spelled by Babel (CLDR data) in the book's language. Babel has no such interface words,
so the table is the project's own; a theme that needs other words overrides the templates.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

from compiler.load import yamlsafe

_TABLE = Path(__file__).with_name("locales.yml")


@functools.cache
def table() -> dict[str, dict[str, str]]:
    """language -> key -> word, from `locales.yml` (data a translator edits, not code)."""
    data = yamlsafe.load(_TABLE.read_text(encoding="utf-8")).data
    return {str(lang): {str(k): str(v) for k, v in words.items()} for lang, words in data.items()}


def primary(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


def words(language: str) -> dict[str, str]:
    """Every word in the book's language, English where it has none."""
    tables = table()
    return {**tables["en"], **tables.get(primary(language), {})}


def translator(language: str):
    """`t(key, **fields)` for templates: the word in the book's language, fields filled in."""
    vocabulary = words(language)

    def t(key: str, **fields) -> str:
        text = vocabulary[key]
        return text.format(**fields) if fields else text
    return t


@functools.cache
def direction(language: str) -> str:
    """"rtl" for a language written right to left (Arabic, Hebrew, Persian, Urdu, …: CLDR's
    character order, through Babel), else "ltr"; an unknown language is taken as left to right."""
    from babel import Locale, UnknownLocaleError

    for tag in (language.strip().replace("-", "_"), primary(language)):
        try:
            return "rtl" if Locale.parse(tag).text_direction == "rtl" else "ltr"
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return "ltr"


def long_date(iso: str, language: str) -> str:
    """The date spelled out in the book's language ("7 August 2025", "7. August 2025", "7 août
    2025"); a bare `en` reads day first, as `en-GB`. An unknown language gets the ISO date."""
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date

    day = date.fromisoformat(iso[:10])
    tag = "en-GB" if language.strip().lower() == "en" else language.strip()
    try:
        locale = Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        try:
            locale = Locale.parse(primary(tag))
        except (UnknownLocaleError, ValueError, TypeError):
            return day.isoformat()
    return format_date(day, format="long", locale=locale)
