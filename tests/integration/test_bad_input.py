"""Bad input never yields a traceback: one clear message with file:line, a documented exit code."""

from __future__ import annotations

import json
import os

from helpers import make_book, post, run_cli


def _assert_clean(result, code: int):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout


def test_yaml_syntax_error_in_manifest(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, "title: X\nchapters: [a.md\nlanguage: en\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    assert f"{manifest}:3:" in result.stderr and "YAML" in result.stderr


def test_unknown_key_names_its_line(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, "title: X\nchapters: [a.md]\nauthor: Me\n")
    result = run_cli("build", str(manifest))
    _assert_clean(result, 2)
    assert f"{manifest}:3:" in result.stderr and "unknown key 'author'" in result.stderr


def test_every_manifest_problem_reported_at_once(book_dir):
    manifest = make_book(book_dir, {"a.md": post()},
                         "title: X\nlanguage: not a tag\nchapters: [a.md]\ndrafts: maybe\noutputs:\n  epub: {nonsense: 1}\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    for line in (2, 4, 6):
        assert f"{manifest}:{line}:" in result.stderr


def test_missing_manifest(book_dir):
    result = run_cli("check", str(book_dir / "nope.yml"))
    _assert_clean(result, 2)
    assert "manifest not found" in result.stderr


def test_missing_post_file_is_a_manifest_error(book_dir):
    # issue 13 item 6: a manifest entry that names no file is a problem of the manifest (exit 2)
    manifest = make_book(book_dir, {"a.md": post()}, {"title": "X", "chapters": ["a.md", "missing.md"]})
    result = run_cli("check", str(manifest), "--format", "json")
    _assert_clean(result, 2)
    assert f"{manifest}:4: chapters.1: 'missing.md' does not exist" in result.stderr  # the list entry itself
    assert result.stdout == ""


def test_broken_front_matter_is_a_book_error_with_line(book_dir):
    bad = "---\ntitle: Broken\ntags: [a, b\ndate: 2024-01-01\n---\n\nText\n"
    manifest = make_book(book_dir, {"a.md": post(), "b.md": bad})
    result = run_cli("check", str(manifest), "--format", "json")
    _assert_clean(result, 1)
    (d,) = [d for d in json.loads(result.stdout) if d["code"] == "CB113"]
    assert d["path"] == "b.md" and d["line"] in (3, 4)


def test_build_with_errors_writes_nothing_and_keeps_old_output(book_dir):
    manifest = make_book(book_dir, {"a.md": post(), "untitled.md": post(None)},
                         {"title": "X", "chapters": ["a.md", "untitled.md"], "outputs": {"html": {}}})
    out = book_dir / "dist"
    out.mkdir()
    (out / "keep.txt").write_text("previous good book")
    result = run_cli("build", str(manifest))
    _assert_clean(result, 1)
    assert "Not built" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_not_utf8_post(book_dir):
    manifest = make_book(book_dir, {"a.md": post()}, {"title": "X", "chapters": ["a.md", "latin.md"]})
    (book_dir / "latin.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n\nText\n")
    result = run_cli("check", str(manifest), "--format", "json")
    _assert_clean(result, 1)
    (d,) = [d for d in json.loads(result.stdout) if d["code"] == "CB100"]
    assert d["path"] == "latin.md" and d["line"] == 2 and "UTF-8" in d["message"]


def test_unknown_format_is_usage_error(book_dir):
    manifest = make_book(book_dir, {"a.md": post()})
    result = run_cli("build", str(manifest), "--format", "mobi")
    _assert_clean(result, 2)
    assert "unknown output format 'mobi'" in result.stderr


def test_outside_paths_refused(book_dir):
    outside = book_dir.parent / "secret.md"
    outside.write_text(post("Secret"))
    os.symlink(outside, book_dir / "link.md")
    manifest = make_book(book_dir, {"a.md": post()}, {"title": "X", "chapters": ["a.md", "../secret.md", "link.md"]})
    result = run_cli("check", str(manifest), "--format", "json")
    _assert_clean(result, 2)   # issue 13 item 6: manifest entries outside the book are manifest errors
    messages = [line for line in result.stderr.splitlines() if "outside the book folder" in line]
    assert len(messages) == 2 and "'../secret.md'" in messages[0] and "'link.md'" in messages[1]


# --- hostile or broken input found by fuzzing (each once exited 3, hung, or leaked) -------------------

def _tiny(book_dir, body="Some text.\n", manifest_extra="", **meta):
    text = post("A", body, **meta)
    return make_book(book_dir, {"a.md": text},
                     "title: T\nauthors: [Me]\nlanguage: en\nchapters: [a.md]\n" + manifest_extra)


def test_a_theme_template_cannot_reach_python(book_dir):
    manifest = _tiny(book_dir, manifest_extra="theme: mytheme\n")
    (book_dir / "mytheme" / "html").mkdir(parents=True)
    (book_dir / "mytheme" / "html" / "chapter-body.html.j2").write_text(
        '{{ cycler.__init__.__globals__.os.popen("echo PWNED").read() }}{{ chapter.content }}')
    result = run_cli("build", str(manifest), "-f", "html", "-o", str(book_dir / "out"))
    _assert_clean(result, 2)
    assert "unsafe" in result.stderr and not (book_dir / "out" / "html").exists()


def test_a_theme_cannot_extend_a_folder_outside_the_book(book_dir, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "html").mkdir()
    (outside / "html" / "book.css").write_text("/* OUTSIDE */")
    manifest = _tiny(book_dir, manifest_extra="theme: mytheme\n")
    (book_dir / "mytheme").mkdir()
    for extends in (str(outside), "../" * 12 + str(outside).lstrip("/")):
        (book_dir / "mytheme" / "theme.yml").write_text(f"extends: {extends}\n")
        result = run_cli("build", str(manifest), "-f", "html", "-o", str(book_dir / "out"))
        _assert_clean(result, 2)
        assert "extends unknown theme" in result.stderr


def test_a_broken_theme_template_is_a_usage_error_with_its_line(book_dir):
    manifest = _tiny(book_dir, manifest_extra="theme: mytheme\n")
    (book_dir / "mytheme" / "html").mkdir(parents=True)
    template = book_dir / "mytheme" / "html" / "chapter-body.html.j2"
    template.write_text("line one\n{% if %}\n")
    result = run_cli("build", str(manifest), "-f", "html", "-o", str(book_dir / "out"))
    _assert_clean(result, 2)
    assert f"{template}:2:" in result.stderr


def test_svg_images_are_published_without_scripts(book_dir):
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
           '<a href="javascript:alert(3)"><rect width="5" height="5"/></a></svg>')
    (book_dir / "pic.svg").write_text(svg)
    for mode in ("site", "single"):
        manifest = _tiny(book_dir, "![p](pic.svg)\n", f"outputs: {{html: {{mode: {mode}}}}}\n")
        out = book_dir / f"out-{mode}"
        _assert_clean(run_cli("build", str(manifest), "-f", "html", "-o", str(out)), 0)
        published = b"".join(p.read_bytes() for p in (out / "html").rglob("*.svg"))
        if mode == "single":
            published = b"".join(p.read_bytes() for p in out.rglob("*.html"))
            import base64
            import re
            published = b"".join(base64.b64decode(m) for m in re.findall(rb"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)",
                                                                          published))
            assert published, "the SVG is inlined"
        assert b"<rect" in published
        for bad in (b"onload", b"<script", b"javascript:"):
            assert bad not in published, (mode, bad)


def test_post_url_must_be_http_or_relative(book_dir):
    manifest = _tiny(book_dir, manifest_extra="site_url: https://example.com\n"
                                              "outputs: {html: {post_url: 'javascript:alert(1)//{slug}'}}\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    assert "post_url" in result.stderr


def test_dates_beyond_year_9999_once_in_utc_are_warnings(book_dir):
    for value in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"):
        manifest = _tiny(book_dir, date=value)
        result = run_cli("check", str(manifest))
        _assert_clean(result, 0)
        assert "CB105" in result.stderr


def test_control_characters_are_removed_from_posts_and_refused_in_the_manifest(book_dir):
    (book_dir / "a.md").parent.mkdir(parents=True, exist_ok=True)
    manifest = _tiny(book_dir)
    (book_dir / "a.md").write_text('---\ntitle: "A\\x01 title"\ndescription: d\n---\n\nText\x07 here.\n')
    result = run_cli("build", str(manifest), "-f", "epub,html", "-o", str(book_dir / "out"))
    _assert_clean(result, 0)
    assert result.stderr.count("CB121") == 2
    manifest.write_text('title: "T\\x07"\nauthors: [Me]\nchapters: [a.md]\n')
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    assert f"{manifest}:1:" in result.stderr and "control character" in result.stderr


def test_an_invalid_boilerplate_pattern_is_a_manifest_error(book_dir):
    manifest = _tiny(book_dir, manifest_extra='boilerplate: [{matches: "("}]\n')
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    assert "not a valid regular expression" in result.stderr


def test_yaml_nested_hundreds_deep(book_dir):
    deep = "x: " + "[" * 1000 + "]" * 1000 + "\n"
    manifest = _tiny(book_dir, manifest_extra=deep)
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    assert "nested too deeply" in result.stderr
    manifest = _tiny(book_dir)
    (book_dir / "a.md").write_text("---\ntitle: A\n" + deep + "---\n\nText.\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 1)
    assert "CB113" in result.stderr


def test_markdown_nested_hundreds_deep_is_reported_not_a_crash(book_dir):
    for body, line in ((">" * 400 + " x\n", 6), ("\n".join("  " * i + "- x" for i in range(400)) + "\n", 21),
                       ("*" * 4000 + "x" + "*" * 4000 + "\n", 6)):   # (10,000 and more: one word too long, CB151)
        manifest = _tiny(book_dir, body)
        result = run_cli("build", str(manifest), "-o", str(book_dir / "out"))
        _assert_clean(result, 1)   # issue 13 item 4: its own code (CB150), the limit, file and line
        assert f"a.md:{line}: error CB150 nesting too deep (limit 32)" in result.stderr, result.stderr


def test_source_date_epoch_must_be_a_time(book_dir):
    manifest = _tiny(book_dir)
    for value in ("abc", "-5", "253402300800", "99999999999999"):
        result = run_cli("check", str(manifest), env={"SOURCE_DATE_EPOCH": value})
        _assert_clean(result, 2)
        assert "SOURCE_DATE_EPOCH" in result.stderr


def test_a_fifo_among_the_posts_is_skipped_not_waited_for(book_dir):
    (book_dir / "posts").mkdir()
    (book_dir / "posts" / "a.md").write_text(post("A", "Text.\n"))
    os.mkfifo(book_dir / "posts" / "z.md")
    manifest = make_book(book_dir, {}, "title: T\nauthors: [Me]\nseries:\n  from: posts\n")
    result = run_cli("check", str(manifest))   # run_cli has a time-out: a blocked read fails the test
    _assert_clean(result, 0)


def test_a_very_long_title_still_makes_files_and_a_cover(book_dir):
    manifest = make_book(book_dir, {"a.md": post("A", "Text.\n", slug="s" * 400)},
                         "title: " + "W" * 20000 + "\nauthors: [Me]\nchapters: [a.md]\n")
    result = run_cli("build", str(manifest), "-f", "epub,html", "-o", str(book_dir / "out"))
    _assert_clean(result, 0)
    assert len(next((book_dir / "out").glob("*.epub")).name) < 130


def test_small_manifest_slips_are_accepted_or_explained(book_dir):
    manifest = _tiny(book_dir, manifest_extra="outputs:\n  epub:\n  pdf: {font_size: 6pt}\ncover: nope.png\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 0)                                   # `epub:` alone means default options
    assert "CB202" in result.stderr and "generated cover" in result.stderr
    # issue 13 item 6: a cover outside the book folder is a manifest error, not a fallback
    manifest.write_text(manifest.read_text().replace("cover: nope.png", "cover: ../nope.png"))
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    assert "cover: '../nope.png' is outside the book folder" in result.stderr


def test_a_key_given_twice(book_dir):
    manifest = _tiny(book_dir, manifest_extra="title: Again\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 2)
    assert f"{manifest}:5: title is given twice" in result.stderr
    manifest = _tiny(book_dir)
    (book_dir / "a.md").write_text("---\ntitle: A\ndescription: d\ntitle: B\n---\n\nText.\n")
    result = run_cli("check", str(manifest))
    _assert_clean(result, 0)
    assert "a.md:4: warning CB122 title is given twice" in result.stderr


def test_front_matter_values_of_the_wrong_kind_are_explained(book_dir):
    manifest = _tiny(book_dir)
    (book_dir / "a.md").write_text('---\ntitle: [a, b]\ndescription: d\ndraft: "false"\n---\n\nText.\n')
    result = run_cli("check", str(manifest))
    _assert_clean(result, 1)
    assert "a.md:2: error CB103 title is a list, not text" in result.stderr
    assert "a.md:4: warning CB123 draft: 'false' is not true or false" in result.stderr
