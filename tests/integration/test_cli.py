"""The chapbook command as a user meets it: version, help, plain output when piped."""

from __future__ import annotations

import re

from compiler import __version__
from conftest import run_cli


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"chapbook {__version__}"


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
