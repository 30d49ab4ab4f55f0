"""`chapbook init` finds the series (issue 14): on this repository's own content/ it writes a manifest
equivalent to the default book's; on blog-shaped fixtures (Hugo bundles with a `series` taxonomy and
few tags, Jekyll with categories, tag families, blurbs and title prefixes) the chosen series is
explained, is a real multi-post series, its repeated blocks become boilerplate rules, and it builds."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import pytest
import yaml

from helpers import ROOT, run_cli, run_json

FIXTURES = ROOT / "tests" / "fixtures" / "blogs"


def found_rows(stdout: str) -> dict[str, tuple[int, bool, str]]:
    """The "Series found" table: series -> (posts, chosen, evidence, continuation lines joined)."""
    rows, last = {}, None
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) != 5:
            continue
        if cells[2].isdigit():
            last = cells[1]
            rows[last] = [int(cells[2]), cells[0] == "→", cells[4]]
        elif last and not cells[1] and not cells[2]:
            rows[last][2] += " " + cells[4]
    return {k: tuple(v) for k, v in rows.items()}


@pytest.fixture(scope="module")
def own_content(tmp_path_factory):
    blog = tmp_path_factory.mktemp("own") / "blog"
    shutil.copytree(ROOT / "content", blog / "content")
    result = run_cli("init", str(blog))
    return blog, result


def test_init_on_this_repository_finds_the_tech_lead_series(own_content):
    blog, result = own_content
    assert result.returncode == 0, result.stderr
    rows = found_rows(result.stdout)
    posts, chosen, evidence = rows["Tech Lead Series"]
    assert (posts, chosen) == (2, True)
    for signal in ("tag tech-lead (1)", "tag tech-lead-series (1)", "opening blurb links to /tags/tech-lead-series/ (1)",
                   "opening blurb links to /tags/tech-lead (1)"):
        assert signal in evidence
    data = yaml.safe_load((blog / "book.yml").read_text(encoding="utf-8"))
    default = yaml.safe_load((ROOT / "book.yml").read_text(encoding="utf-8"))
    assert data["title"] == default["title"] == "The Tech Lead Series"
    assert data["series"] == {**default["series"], "tags": ["tech-lead", "tech-lead-series"]}
    assert data["boilerplate"] == default["boilerplate"]
    assert "# a block quote that opens 2 posts" in (blog / "book.yml").read_text(encoding="utf-8")


def test_list_explains_and_writes_nothing(tmp_path):
    blog = tmp_path / "blog"
    shutil.copytree(FIXTURES / "hugo-series", blog)
    result = run_cli("init", "--list", str(blog))
    assert result.returncode == 0, result.stderr
    assert found_rows(result.stdout)["Service Mesh Basics"][:2] == (3, True)
    assert not (blog / "book.yml").exists()


def test_series_option_takes_a_listed_series_name(tmp_path):
    blog = tmp_path / "blog"
    shutil.copytree(FIXTURES / "jekyll-categories", blog)
    result = run_cli("init", str(blog), "--series", "Rust 2018 series")
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((blog / "book.yml").read_text(encoding="utf-8"))
    assert sorted(data["series"]["tags"]) == ["Rust-2018", "rust-2018", "rust2018"]
    assert run_cli("init", str(blog), "--force", "--series", "No Such Series").returncode == 2


def test_init_manifest_has_the_default_books_contents(own_content):
    blog, _ = own_content
    ours = run_json("toc", str(blog / "book.yml"), "--format", "json")[1]
    default = run_json("toc", str(ROOT / "book.yml"), "--format", "json")[1]
    assert ours == default


def test_init_manifest_has_the_default_books_diagnostics(own_content):
    blog, _ = own_content
    ours = run_json("check", str(blog / "book.yml"), "--format", "json")[1]
    default = run_json("check", str(ROOT / "book.yml"), "--format", "json")[1]
    assert ours == default
    assert not [d for d in ours if d["code"] in ("CB118", "CB135")]


def test_init_manifest_builds_without_the_series_blurb(own_content):
    blog, _ = own_content
    result = run_cli("build", str(blog / "book.yml"), "--out", str(blog / "dist"))
    assert result.returncode == 0, result.stderr
    assert "CB118" not in result.stderr and "CB135" not in result.stderr
    texts = [subprocess.run(["pdftotext", str(next((blog / "dist").glob("*.pdf"))), "-"], capture_output=True,
                            text=True, check=True).stdout]
    with zipfile.ZipFile(next((blog / "dist").glob("*.epub"))) as z:
        texts += [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml")]
    texts += [p.read_text(encoding="utf-8") for p in (blog / "dist" / "html").glob("*.html")]
    for text in texts:
        assert "This post is part of" not in " ".join(text.split())
        assert "Tech Leadership Series" not in text
    # one summary line counting everything (compile and backends)
    assert re.findall(r"\d+ error\(s\), \d+ warning\(s\)", result.stderr) == ["0 error(s), 7 warning(s)"]
    # dates spelled in the book's language in every format, as the HTML spells them
    assert "7 August 2025" in texts[0] and "3 February 2026" in texts[0] and "2025-08-07" not in texts[0]
    assert any('<time datetime="2026-02-03">3 February 2026</time>' in t for t in texts[1:-1])


# --- blogs we do not have: Hugo bundles with a series taxonomy and few tags; Jekyll with categories ----

@pytest.fixture(scope="module")
def hugo(tmp_path_factory):
    blog = tmp_path_factory.mktemp("hugo") / "blog"
    shutil.copytree(FIXTURES / "hugo-series", blog)
    return blog, run_cli("init", str(blog))


@pytest.fixture(scope="module")
def jekyll(tmp_path_factory):
    blog = tmp_path_factory.mktemp("jekyll") / "blog"
    shutil.copytree(FIXTURES / "jekyll-categories", blog)
    return blog, run_cli("init", str(blog))


def test_hugo_series_taxonomy_is_chosen_and_explained(hugo):
    blog, result = hugo
    assert result.returncode == 0, result.stderr
    rows = found_rows(result.stdout)
    posts, chosen, evidence = rows["Service Mesh Basics"]
    assert (posts, chosen) == (3, True)
    assert "front matter series: Service Mesh Basics (2)" in evidence and "service-mesh-basics (1)" in evidence
    assert "titles start “Service Meshes” (3)" in evidence      # the same posts: one series, not two
    assert "Service Meshes" not in rows
    assert rows["Kubernetes"][1] is False
    data = yaml.safe_load((blog / "book.yml").read_text(encoding="utf-8"))
    assert data["title"] == "Service Mesh Basics"
    assert data["series"]["tags"] == ["Service Mesh Basics", "service-mesh-basics"]
    assert data["series"]["name"] == "Service Mesh Basics" and data["series"]["order"] == "date"
    assert data["boilerplate"] == [{"kind": "paragraph",
                                    "starts_with": "Enjoyed this? Subscribe to the newsletter for the"}]


def test_jekyll_tag_family_blurbs_and_title_prefix_make_one_series(jekyll):
    blog, result = jekyll
    assert result.returncode == 0, result.stderr
    rows = found_rows(result.stdout)
    posts, chosen, evidence = rows["Rust 2018 series"]
    assert (posts, chosen) == (3, True)
    for signal in ("tag rust-2018 (1)", "tag rust2018 (1)", "tag Rust-2018 (1)", "titles start “Rust 2018” (2)",
                   "opening blurb links to /tags/rust-2018/ (2)"):
        assert signal in evidence
    data = yaml.safe_load((blog / "book.yml").read_text(encoding="utf-8"))
    assert data["title"] == "The Rust 2018 series"
    assert sorted(data["series"]["tags"]) == ["Rust-2018", "rust-2018", "rust2018"]
    assert data["boilerplate"] == [{"kind": "blockquote", "starts_with": "This post is part of the Rust 2018"}]


def test_jekyll_categories_tie_goes_to_the_newest(tmp_path):
    blog = tmp_path / "blog"
    shutil.copytree(FIXTURES / "jekyll-categories", blog)
    for post in (blog / "_posts").glob("2018-*.md"):
        post.unlink()          # no series signal left but categories: community 2 posts, release 2 posts
    (blog / "_posts" / "2019-03-01-patch.md").write_text("---\ntitle: A patch\ncategories: [release]\n---\n\nFixed.\n",
                                                          encoding="utf-8")
    result = run_cli("init", str(blog))
    assert result.returncode == 0, result.stderr
    rows = found_rows(result.stdout)
    assert rows["Release"][:2] == (2, True) and rows["Community"][:2] == (2, False)   # newest last post wins
    data = yaml.safe_load((blog / "book.yml").read_text(encoding="utf-8"))
    assert data["series"]["tags"] == ["release"]


@pytest.mark.parametrize("name", ["hugo", "jekyll"])
def test_fixture_books_build(name, hugo, jekyll, tmp_path):
    blog, _ = {"hugo": hugo, "jekyll": jekyll}[name]
    result = run_cli("build", str(blog / "book.yml"), "--format", "epub,html", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "Enjoyed this?" not in " ".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "html").glob("*.html"))
    assert "This post is part of" not in " ".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "html").glob("*.html"))
