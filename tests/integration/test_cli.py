"""The chapbook command as a user meets it: version, help, plain output when piped."""

from __future__ import annotations

import re

from compiler import __version__
from helpers import run_cli


def test_version_names_chapbook_and_the_tools_it_runs():
    from importlib.metadata import version
    from compiler.compile.pandoc import pandoc_version
    for flag in ("--version", "-V"):
        result = run_cli(flag)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        assert lines[0] == f"chapbook {__version__}"
        assert f"pandoc {pandoc_version()}" in lines and re.match(r"\d+\.\d+", pandoc_version())
        assert f"WeasyPrint {version('weasyprint')}" in lines


def test_help_lists_commands():
    result = run_cli("--help")
    for command in ("build", "check", "toc", "init", "serve", "themes", "backends"):
        assert re.search(rf"\b{command}\b", result.stdout)


def test_piped_output_is_plain():
    result = run_cli("check", env={"NO_COLOR": "", "TERM": "xterm-256color"})
    assert "\x1b[" not in result.stderr and "warning CB101" in result.stderr


def test_bad_option_is_usage_error():
    result = run_cli("check", "--format", "yaml")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_toc_text():
    result = run_cli("toc")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "The Tech Lead Series"
    assert lines[1].strip().startswith("Working Effectively With Product Managers")


def _book(folder, text="First version.", outputs="{epub: {}, html: {}, pdf: {}}"):
    (folder / "a.md").write_text(f"---\ntitle: A\ndescription: d\n---\n\n{text}\n", encoding="utf-8")
    (folder / "book.yml").write_text(f"title: T\nauthors: [Me]\nchapters: [a.md]\noutputs: {outputs}\n",
                                     encoding="utf-8")
    return folder / "book.yml"


def test_a_build_that_fails_half_way_leaves_the_previous_book_whole(tmp_path):
    """The PDF fails (memory limit) after the EPUB and before the HTML were written: none of the
    new outputs replaces the old ones, and no staging folder is left behind."""
    out = tmp_path / "out"
    manifest = _book(tmp_path)
    assert run_cli("build", str(manifest), "-o", str(out)).returncode == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _book(tmp_path, "Second version.", "{epub: {}, pdf: {memory_limit: 64, timeout: 10}, html: {}}")
    result = run_cli("build", str(manifest), "-o", str(out))
    assert result.returncode == 1 and "CB220" in result.stderr and "Not written" in result.stderr
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_an_output_folder_that_cannot_be_made_is_a_usage_error(tmp_path):
    manifest = _book(tmp_path, outputs="{html: {}}")
    (tmp_path / "afile").write_text("x")
    for out in (tmp_path / "afile", tmp_path / "afile" / "sub"):
        result = run_cli("build", str(manifest), "-o", str(out))
        assert result.returncode == 2 and "cannot write the book into" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_an_internal_error_exits_3_with_or_without_v(tmp_path):
    """A bug (here: the compiler raising) is exit 3, a plain message, and the traceback only with -v."""
    import subprocess
    import sys
    manifest = _book(tmp_path, outputs="{html: {}}")
    crash = ("import sys, compiler.compile.assemble as a\n"
             "def boom(*args, **kwargs): raise ZeroDivisionError('a planted bug')\n"
             "a.compile_book = boom\n"
             "from compiler.cli import main\n"
             "sys.argv = ['chapbook', *sys.argv[1:]]\n"
             "main()\n")
    for flags in ([], ["-v"]):
        result = subprocess.run([sys.executable, "-c", crash, "check", str(manifest), *flags],
                                capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "NO_COLOR": "1"})
        assert result.returncode == 3, (flags, result.stderr)
        assert "internal error: ZeroDivisionError: a planted bug" in result.stderr
        assert ("Traceback" in result.stderr) == bool(flags)
