"""A chapter's own language (front matter `lang:` or `language:`) and its writing direction.

The chapter element gets `lang` (and `xml:lang` in EPUB) and, for a right-to-left script,
`dir="rtl"`, in every output; the book's language stays on the documents.
"""

from __future__ import annotations

import re

BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# Languages written right to left (their default script), and right-to-left script subtags.
RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-arab", "ps", "sd", "syr", "ug", "ur", "yi"}
RTL_SCRIPTS = {"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"}
LATIN_SCRIPTS = {"latn", "cyrl"}


def direction(lang: str | None) -> str | None:
    """"rtl" for a right-to-left language tag (he, ar, fa-IR, ku-Arab), else None."""
    if not lang:
        return None
    parts = lang.lower().split("-")
    script = next((p for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    if script:
        return "rtl" if script in RTL_SCRIPTS else None
    return "rtl" if parts[0] in RTL_LANGUAGES else None


def attributes(lang: str | None, xml: bool = False) -> str:
    """` lang="he" dir="rtl"` (with `xml:lang` for XHTML), or "" without a language."""
    if not lang:
        return ""
    out = f' lang="{lang}"' + (f' xml:lang="{lang}"' if xml else "")
    return out + (' dir="rtl"' if direction(lang) == "rtl" else "")
