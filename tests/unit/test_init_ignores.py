"""compiler.init.ignores: .gitignore and Jekyll's exclude list edited as text, checked as YAML."""

from __future__ import annotations

import yaml

from compiler.init.ignores import ignore_outputs


def test_block_and_flow_exclude_lists_are_extended_in_place(tmp_path):
    for text in ("title: Blog\n# skip these\nexclude:\n    - Gemfile\n    - vendor/\n\nplugins: [jekyll-feed]\n",
                 "title: Blog\nexclude: [Gemfile, vendor/]  # skipped\nplugins: [jekyll-feed]\n"):
        (tmp_path / "_config.yml").write_text(text)
        done = ignore_outputs(tmp_path, "jekyll", tmp_path / "book.yml")
        data = yaml.safe_load((tmp_path / "_config.yml").read_text())
        assert data["exclude"] == ["Gemfile", "vendor/", "dist/", ".chapbook-cache/", "book.yml"], done
        assert data["plugins"] == ["jekyll-feed"] and data["title"] == "Blog"
        assert ignore_outputs(tmp_path, "jekyll", tmp_path / "book.yml") == [], "nothing twice"


def test_an_exclude_that_is_not_a_list_is_left_alone(tmp_path):
    (tmp_path / "_config.yml").write_text("exclude: Gemfile\n")
    [said] = ignore_outputs(tmp_path, "jekyll", tmp_path / "book.yml")
    assert "left _config.yml alone" in said and (tmp_path / "_config.yml").read_text() == "exclude: Gemfile\n"


def test_gitignore_appended_or_created_only_in_a_work_tree(tmp_path):
    assert ignore_outputs(tmp_path, "hugo", tmp_path / "book.yml") == [] and not (tmp_path / ".gitignore").exists()
    (tmp_path / ".gitignore").write_text("public/\n/dist")
    ignore_outputs(tmp_path, "hugo", tmp_path / "book.yml")
    assert (tmp_path / ".gitignore").read_text().splitlines() == ["public/", "/dist", "# Chapbook: the book's outputs and cache", "/.chapbook-cache/"]
