"""compiler.backends.epub.rules and xhtml: a fragment repaired into XHTML that EPUBCheck accepts,
checked element by element without building an EPUB."""

from __future__ import annotations

import pytest

from compiler.backends.epub.rules import P_CTX, SAME, blank, decide, valid_date
from compiler.backends.epub.xhtml import parse_fragment, serialise_content


@pytest.mark.parametrize("html, xhtml, fix", [
    ("<p>a<div>b</div></p>", "<p>a</p><div>b</div>", None),
    ("<center>x</center>", "<div>x</div>", "<center> as <div>"),
    ('<font color="red">x</font>', "<div>x</div>", "<font> as <div>"),
    ("<time>2024-13-01</time>", "<span>2024-13-01</span>", "<time> as <span>"),
    ("<dl><dd>x</dd></dl>", "<div><div>x</div></div>", "<dl> flattened"),
    ("<p>a<script>b</script>c</p>", "<p>ac</p>", None),
    ('<img alt="no source">', "", None),
    ("<ruby>漢<rt>kan</rt></ruby>", "<ruby>漢<rt>kan</rt></ruby>", None),
    ('<p>See <img src="assets/a.png" alt="a"></p>', '<p>See <img src="assets/a.png" alt="a"/></p>', None),
])
def test_fragments_become_valid_xhtml(html, xhtml, fix):
    tree = parse_fragment(html, set())
    assert serialise_content(tree.root) == xhtml
    assert list(tree.fixes.renamed) == ([fix] if fix else [])


def test_ids_already_in_the_document_are_dropped_and_counted():
    taken = {"x"}
    tree = parse_fragment('<p id="x">1</p><p id="y">2</p><p id="y">3</p>', taken)
    assert serialise_content(tree.root) == '<p>1</p><p id="y">2</p><p>3</p>'
    assert taken == {"x", "y"} and tree.fixes.renamed == {"duplicate id": 2}


def test_links_and_images_are_collected_for_the_backend_to_resolve():
    tree = parse_fragment('<p><a href="https://x.test/">x</a> <a href="#i">i</a> <img src="assets/a.png" alt="a"></p>')
    assert [a.get("href") for a in tree.links] == ["https://x.test/", "#i"]
    assert [i.get("src") for i in tree.images] == ["assets/a.png"]


@pytest.mark.parametrize("tag, parent, ctx, decision", [
    ("p", "body", 0, SAME),
    ("div", "p", P_CTX, "span"),         # no block inside a paragraph
    ("script", "div", 0, "-"),           # removed
    ("center", "div", 0, "div"),         # obsolete: renamed
    ("hr", "p", P_CTX, "-"),
])
def test_decide_names_what_an_element_must_become(tag, parent, ctx, decision):
    assert decide(tag, parent, ctx) == decision


@pytest.mark.parametrize("text, valid", [
    ("2024-02-29", True), ("2023-02-29", False), ("2024-13", False), ("2024-01-01T10:00", True),
    ("0000-01-01", False), ("yesterday", False),
])
def test_valid_date_is_the_html_date_grammar(text, valid):
    assert valid_date(text) is valid


def test_blank_is_xml_white_space_only():
    assert blank(None) and blank("") and blank(" \t\n")
    assert not blank("\u00a0")   # a no-break space is text
