"""`chapbook init` on real-shaped blogs (tests/fixtures/blogs: Jekyll, Hugo with page bundles and
TOML front matter, Hexo): the series listing, the manifest it writes, its refusals, and a build of
that manifest with no engine syntax left outside code."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import lxml.html
import pytest
import yaml

from helpers import ROOT, RUST_BLOG, run_cli, run_json

FIXTURES = ROOT / "tests" / "fixtures" / "blogs"
ENGINE_SYNTAX = re.compile(r"\{%|\{\{[<%]|\{\{-?\s*(site|page)\.")

# What each fixture blog must give: init's arguments, the listing, the manifest, the book.
BLOGS = {
    "jekyll": dict(
        args=[], engine="Jekyll",
        rows={("all", "(all posts)"): 4, ("tag", "rust-journey"): 3, ("tag", "rust"): 2, ("tag", "life"): 1,
              ("category", "programming"): 3, ("category", "baking"): 1},
        chosen=[("tag", "rust-journey")],
        manifest={"title": "Rust Journey", "authors": ["Ada Lovelace", "Charles Babbage"], "language": "en-GB",
                  "site_url": "https://rusty-notebook.test/blog/"},
        series={"from": "_posts", "tags": ["rust-journey"], "order": "date", "name": "Rust Journey"},
        chapters=[("getting-started", "2020-01-15"), ("borrow-checker", "2020-02-01"),
                  ("fearless-concurrency", "2020-03-10")],
        links={"getting-started": ["#borrow-checker"], "borrow-checker": ["#getting-started"],
               "fearless-concurrency": ["#getting-started"]},
        images={"getting-started": ["assets/img/diagram.png"]},
        removed=["{% include toc", "{{ page.title }} on the site"],
    ),
    "hugo": dict(
        args=["--all"], engine="Hugo",
        rows={("all", "(all posts)"): 3, ("tag", "debugging"): 2, ("tag", "history"): 2, ("tag", "compilers"): 1,
              ("category", "computing"): 1},
        chosen=[("all", "(all posts)")],
        manifest={"title": "Field Notes", "authors": ["Grace Hopper"], "language": "en-GB",
                  "site_url": "https://field-notes.test/", "rights": "© Grace Hopper",
                  "description": "Notes on computing history."},
        series={"from": "content/posts", "order": "date", "exclude": ["_index.md"]},
        chapters=[("compilers-101", "2021-03-04"), ("the-first-bug", "2021-04-10"), ("debugging-tips", "2021-05-01")],
        links={"compilers-101": ["#the-first-bug", "#debugging-tips"], "the-first-bug": ["#compilers-101"],
               "debugging-tips": ["#the-first-bug"]},
        images={"compilers-101": ["content/posts/compilers-101/pipeline.png", "static/images/logo.png"],
                "the-first-bug": ["content/posts/the-first-bug/moth.png"]},
        removed=["{{< sparkline"],
    ),
    "hexo": dict(
        args=["--series", "oolong,green"], engine="Hexo",
        rows={("all", "(all posts)"): 3, ("tag", "brewing"): 3, ("tag", "oolong"): 2, ("tag", "green"): 1,
              ("category", "notes"): 3},
        chosen=[("tag", "oolong"), ("tag", "green")],
        manifest={"title": "Oolong", "authors": ["Lu Yu"], "language": "zh-CN", "site_url": "https://tea-leaves.test/"},
        series={"from": "source/_posts", "tags": ["oolong", "green"], "order": "date", "name": "Oolong"},
        chapters=[("hello-world", "2019-05-01"), ("green-tea-basics", "2019-06-12"), ("oolong-notes", "2020-01-20")],
        links={"hello-world": ["#green-tea-basics"], "green-tea-basics": ["#hello-world"]},
        images={"hello-world": ["source/_posts/hello-world/pic.png"]},
        removed=["{% include_code"],
    ),
}


def copy_blog(name: str, tmp: Path) -> Path:
    target = tmp / name
    shutil.copytree(FIXTURES / name, target)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """name -> the fixture blog copied, initialised and built (HTML), once for the whole module."""
    done: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in done:
            folder = copy_blog(name, tmp_path_factory.mktemp("blogs"))
            init = run_cli("init", str(folder), *BLOGS[name]["args"])
            build = run_cli("build", str(folder / "book.yml"), "--format", "html")
            toc = run_json("toc", str(folder / "book.yml"), "--format", "json")[1]
            done[name] = dict(name=name, folder=folder, init=init, build=build, toc=toc, **BLOGS[name])
        return done[name]
    return get


@pytest.fixture(params=sorted(BLOGS))
def blog(request, built):
    return built(request.param)


def table_rows(stdout: str) -> dict[tuple[str, str], tuple[int, str, str, bool]]:
    """Rich's table, read back: (kind, name) -> (posts, first, last, chosen)."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == 6 and cells[3].isdigit():
            rows[(cells[1], cells[2])] = (int(cells[3]), cells[4], cells[5], cells[0] == "→")
    return rows


def html_pages(folder: Path) -> dict[str, lxml.html.HtmlElement]:
    return {p.stem: lxml.html.fromstring(p.read_bytes()) for p in sorted((folder / "dist" / "html").glob("*.html"))}


def engine_syntax_outside_code(doc) -> list[str]:
    """Engine syntax in a page's text or attributes, code (<pre>, <code>) aside."""
    doc = lxml.html.fromstring(lxml.html.tostring(doc))
    for el in doc.xpath("//pre | //code"):
        el.drop_tree()
    texts = doc.xpath("//text()") + doc.xpath("//@*")
    return [t for t in texts if ENGINE_SYNTAX.search(t)]


# --- the listing and the manifest --------------------------------------------------------------------

def test_init_succeeds_and_says_what_it_wrote(blog):
    assert blog["init"].returncode == 0, blog["init"].stderr
    assert "Wrote" in blog["init"].stderr and "book.yml" in blog["init"].stderr
    total = blog["rows"][("all", "(all posts)")]
    assert f"{blog['engine']} blog: {total} posts in {blog['series']['from']}" in blog["init"].stdout


def test_series_listing_has_counts_date_ranges_and_the_choice(blog):
    rows = table_rows(blog["init"].stdout)
    assert {key: value[0] for key, value in rows.items()} == blog["rows"]
    assert [key for key, value in rows.items() if value[3]] == blog["chosen"]
    first, last = blog["chapters"][0][1], blog["chapters"][-1][1]
    assert rows[("all", "(all posts)")][1] <= first and rows[("all", "(all posts)")][2] >= last


def test_manifest_guesses_metadata_and_selects_the_series(blog):
    data = yaml.safe_load((blog["folder"] / "book.yml").read_text(encoding="utf-8"))
    for key, value in blog["manifest"].items():
        assert data[key] == value, key
    assert data["series"] == blog["series"]
    assert data["drafts"] == "warn"


def test_manifest_is_commented_with_placeholders(blog):
    text = (blog["folder"] / "book.yml").read_text(encoding="utf-8")
    assert text.startswith("# Book manifest written by `chapbook init`")
    assert "# cover: cover.jpg" in text and "# subtitle:" in text
    assert re.search(r"^title: .+# ", text, re.M)


# --- the build ---------------------------------------------------------------------------------------

def test_build_of_the_written_manifest_succeeds(blog):
    assert blog["build"].returncode == 0, blog["build"].stderr
    assert not re.search(r": error CB\d+", blog["build"].stderr)
    assert "0 error(s)" in blog["build"].stderr


def test_chapters_in_date_order_with_dates_from_front_matter_or_file_names(blog):
    assert [(c["slug"], c["date"]) for c in blog["toc"]["chapters"]] == blog["chapters"]


def test_no_engine_syntax_left_outside_code(blog):
    pages = html_pages(blog["folder"])
    assert {slug for slug, _ in blog["chapters"]} <= set(pages)
    for name, doc in pages.items():
        assert engine_syntax_outside_code(doc) == [], name
    everything = " ".join(doc.text_content() for doc in pages.values())
    for fragment in blog["removed"]:
        assert fragment not in everything


def in_book_targets(doc) -> set[str]:
    """Chapters a page links to: `#slug` (one-page books) or `slug.html` (a page per chapter)."""
    found = set()
    for href in doc.xpath("//a/@href"):
        m = re.match(r"^(?:#([\w.-]+)|([\w.-]+)\.html(?:#.*)?)$", href)
        if m:
            found.add(m[1] or m[2])
    return found


def test_engine_links_became_in_book_links(blog):
    pages = html_pages(blog["folder"])
    for slug, targets in blog["links"].items():
        assert {t.lstrip("#") for t in targets} <= in_book_targets(pages[slug]), slug


def test_images_beside_posts_and_in_static_folders_are_in_the_book(blog):
    pages = html_pages(blog["folder"])
    for slug, images in blog["images"].items():
        srcs = pages[slug].xpath("//img/@src")
        for image in images:
            src = next((s for s in srcs if s.endswith(image)), None)
            assert src is not None, (slug, image, srcs)
            assert (blog["folder"] / "dist" / "html" / src).is_file()


def test_code_keeps_its_engine_syntax(blog):
    code = " ".join(el.text_content() for doc in html_pages(blog["folder"]).values() for el in doc.xpath("//pre"))
    expected = {"jekyll": ["{{ not liquid }}", "{{closure}}", "{% not a tag %}", "{{ page.title }}"],
                "hugo": ["{{ .Title }}", '{{< figure src="pipeline.png" >}}'],
                "hexo": ["{{ steeped }}"]}[blog["name"]]
    for fragment in expected:
        assert fragment in code


def test_hugo_figures_and_asides(built):
    page = html_pages(built("hugo")["folder"])["the-first-bug"]
    assert page.xpath("//figure/figcaption")[0].text_content() == "The moth, taped into the logbook"
    assert page.xpath("//figure//img/@alt") == ["The moth, taped into the logbook"]
    assert page.xpath("//div[contains(@class,'note') and contains(@class,'warning')]")
    assert page.xpath("//a[@href='https://www.youtube.com/watch?v=gPQ8gHLWg1E']")


@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_other_formats_build(blog, fmt):
    from compiler.backends import load_backend
    from compiler.model.diagnostics import FatalError
    try:
        load_backend(fmt)
    except FatalError as exc:
        pytest.skip(f"{fmt} backend not available yet: {exc}")
    result = run_cli("build", str(blog["folder"] / "book.yml"), "--format", fmt, "--out", str(blog["folder"] / fmt))
    assert result.returncode == 0, result.stderr
    outputs = [p for p in (blog["folder"] / fmt).iterdir() if not p.name.startswith(".")]
    assert outputs
    if fmt == "pdf":
        text = subprocess.run(["pdftotext", str(outputs[0]), "-"], capture_output=True, text=True).stdout
    else:
        with zipfile.ZipFile(outputs[0]) as z:
            text = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xhtml", ".html")))
    for fragment in blog["removed"]:
        assert fragment not in text


# --- refusals and options ------------------------------------------------------------------------------

@pytest.fixture
def jekyll(tmp_path) -> Path:
    return copy_blog("jekyll", tmp_path)


def test_never_overwrites_without_force(jekyll):
    (jekyll / "book.yml").write_text("title: Mine\nchapters: []\n", encoding="utf-8")
    result = run_cli("init", str(jekyll))
    assert result.returncode == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert (jekyll / "book.yml").read_text(encoding="utf-8") == "title: Mine\nchapters: []\n"


def test_force_overwrites_and_series_chooses_the_tags(jekyll):
    (jekyll / "book.yml").write_text("title: Mine\nchapters: []\n", encoding="utf-8")
    result = run_cli("init", str(jekyll), "--force", "--series", "rust", "--series", "life")
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((jekyll / "book.yml").read_text(encoding="utf-8"))
    assert data["series"]["tags"] == ["rust", "life"]
    toc = run_json("toc", str(jekyll / "book.yml"), "--format", "json")[1]
    assert [c["slug"] for c in toc["chapters"]] == ["getting-started", "borrow-checker", "sourdough"]


def test_same_blog_gives_the_same_manifest(jekyll):
    assert run_cli("init", str(jekyll)).returncode == 0
    first = (jekyll / "book.yml").read_bytes()
    assert run_cli("init", str(jekyll), "--force").returncode == 0
    assert (jekyll / "book.yml").read_bytes() == first


def test_out_outside_the_blog_is_refused(jekyll, tmp_path):
    result = run_cli("init", str(jekyll), "--out", str(tmp_path / "book.yml"))
    assert result.returncode == 2
    assert "outside the blog folder" in result.stderr
    assert not (tmp_path / "book.yml").exists() and not (jekyll / "book.yml").exists()


def test_out_inside_the_blog_is_written_there(jekyll):
    result = run_cli("init", "--out", "books/rust.yml", "--series", "rust", cwd=jekyll)
    assert result.returncode == 2 and "not inside the manifest's folder" in result.stderr
    result = run_cli("init", "--out", "rust.yml", "--series", "rust", cwd=jekyll)
    assert result.returncode == 0, result.stderr
    assert (jekyll / "rust.yml").is_file() and not (jekyll / "book.yml").exists()
    assert run_cli("check", "rust.yml", cwd=jekyll).returncode == 0


@pytest.mark.parametrize("args, message", [
    (["--series", "no-such-tag"], "no post is tagged"),
    (["--series", "rust", "--all"], "cannot be used together"),
])
def test_bad_usage_exits_2(jekyll, args, message):
    result = run_cli("init", str(jekyll), *args)
    assert result.returncode == 2 and message in result.stderr
    assert not (jekyll / "book.yml").exists()


def test_default_series_is_the_largest_tag_not_on_every_post(tmp_path):
    blog = copy_blog("hexo", tmp_path)      # brewing: 3 of 3 posts, oolong: 2, green: 1
    result = run_cli("init", str(blog))
    assert result.returncode == 0, result.stderr
    assert [k for k, v in table_rows(result.stdout).items() if v[3]] == [("tag", "oolong")]
    assert yaml.safe_load((blog / "book.yml").read_text(encoding="utf-8"))["series"]["tags"] == ["oolong"]


def test_nothing_found_exits_2(tmp_path):
    (tmp_path / "README.md").write_text("# Not a post\n", encoding="utf-8")
    result = run_cli("init", str(tmp_path))
    assert result.returncode == 2
    assert "no posts found" in result.stderr and "README.md: no front matter" in result.stderr
    assert run_cli("init", str(tmp_path / "missing")).returncode == 2


def test_untagged_plain_folder_takes_every_post_and_leaves_out_non_posts(tmp_path):
    posts = tmp_path / "posts"
    (posts / "inside").mkdir(parents=True)
    (tmp_path / "README.md").write_text("# About this repository\n", encoding="utf-8")
    (posts / "2021-02-03-second.md").write_text("---\ntitle: Second\nauthor: A\n---\n\nTwo.\n", encoding="utf-8")
    (posts / "inside" / "2020-01-02-first.md").write_text("---\ntitle: First\nauthor: B\n---\n\nOne.\n", encoding="utf-8")
    (posts / "notes.md").write_text("Just notes, no front matter.\n", encoding="utf-8")
    result = run_cli("init", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert table_rows(result.stdout) == {("all", "(all posts)"): (2, "2020-01-02", "2021-02-03", True)}
    data = yaml.safe_load((tmp_path / "book.yml").read_text(encoding="utf-8"))
    assert data["series"] == {"from": "posts", "order": "date", "exclude": ["posts/notes.md"]}
    assert data["authors"] == ["A", "B"]
    toc = run_json("toc", str(tmp_path / "book.yml"), "--format", "json")[1]
    assert [c["title"] for c in toc["chapters"]] == ["First", "Second"]


def test_eleventy_site_data_and_collection_tag(tmp_path):
    """Eleventy: metadata from _data/metadata.json; `posts`, carried by every post, is not chosen."""
    (tmp_path / "eleventy.config.js").write_text("export default function () {}\n", encoding="utf-8")
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "metadata.json").write_text(
        '{"title": "Eleven", "url": "https://eleven.test/", "language": "fr", "author": {"name": "Zed"}}', encoding="utf-8")
    blog = tmp_path / "content" / "blog"
    (blog / "first").mkdir(parents=True)
    (blog / "first" / "index.md").write_text("---\ntitle: First\ndate: 2022-01-01\ntags: [posts, intro]\n---\nHi\n", encoding="utf-8")
    (blog / "second.md").write_text("---\ntitle: Second\ndate: 2022-02-01\ntags: posts\n---\nThere\n", encoding="utf-8")
    # a series has two posts at least (issue 14): a third post carries `intro` too
    (blog / "third.md").write_text("---\ntitle: Third\ndate: 2022-03-01\ntags: [posts, intro]\n---\nAgain\n", encoding="utf-8")
    result = run_cli("init", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Eleventy blog: 3 posts in content/blog" in result.stdout
    assert [k for k, v in table_rows(result.stdout).items() if v[3]] == [("tag", "intro")]
    data = yaml.safe_load((tmp_path / "book.yml").read_text(encoding="utf-8"))
    assert (data["title"], data["authors"], data["language"], data["site_url"]) == ("Intro", ["Zed"], "fr", "https://eleven.test/")
    assert data["series"]["tags"] == ["intro"]


@pytest.mark.skipif(not RUST_BLOG.is_dir(), reason="the Rust blog corpus is not on this machine")
def test_rust_blog_gets_its_largest_recurring_series(tmp_path):
    """584 posts (README.md and the extension-less file left out), no tags: the series is found by its
    titles (issue 14), the release announcements, listed as chapters in date order; --all takes every
    post."""
    blog = tmp_path / "rust-blog"
    shutil.copytree(RUST_BLOG, blog)
    result = run_cli("init", str(blog))
    assert result.returncode == 0, result.stderr
    assert table_rows(result.stdout) == {("all", "(all posts)"): (584, "2014-09-15", "2025-03-05", False)}
    assert re.search(r"→ │ Announcing Rust +│ +117 │", result.stdout)
    data = yaml.safe_load((blog / "book.yml").read_text(encoding="utf-8"))
    assert data["title"] == "Announcing Rust" and len(data["chapters"]) == 117
    assert data["chapters"][0] == "posts/2015-01-09-Rust-1.0-alpha.md"
    assert data["language"] == "en" and len(data["authors"]) <= 3
    toc = run_json("toc", str(blog / "book.yml"), "--format", "json")[1]
    assert [c["date"] for c in toc["chapters"]] == sorted(c["date"] for c in toc["chapters"])
    result = run_cli("init", str(blog), "--all", "--force")
    assert result.returncode == 0, result.stderr
    assert table_rows(result.stdout) == {("all", "(all posts)"): (584, "2014-09-15", "2025-03-05", True)}
    data = yaml.safe_load((blog / "book.yml").read_text(encoding="utf-8"))
    assert data["series"] == {"from": "posts", "order": "date"}
    assert data["language"] == "en" and data["authors"] == ["Editor Name"]   # 136 authors: each has a byline
    assert "Authors: Editor Name (a placeholder for the editor's (or the blog's) name: 136 people wrote" in result.stderr
