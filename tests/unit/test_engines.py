"""compiler.compile.blogsyntax: Liquid, Hexo and Hugo syntax turned into Markdown; code left alone; unknown
syntax removed and reported with its file line."""

from __future__ import annotations

import textwrap

import pytest

from compiler.model.diagnostics import Severity
from compiler.compile.blogsyntax import preprocess

REL = "content/posts/a-post/index.md"
HEXO = "source/_posts/hello-world.md"


def run(text: str, rel: str = REL, body_line: int = 1):
    return preprocess(textwrap.dedent(text), rel, body_line)


def warnings(problems):
    return [(d.code, d.line) for d in problems if d.severity == Severity.WARNING]


# --- nothing to do -------------------------------------------------------------------------------

def test_text_without_braces_is_returned_as_is():
    text = "Plain *Markdown* with {single} braces and 100% certainty.\n"
    assert preprocess(text, REL, 5) == (text, [])


def test_non_liquid_double_braces_in_prose_are_the_authors_text():
    out, problems = run("A Rust frame {{closure}} and a Vue binding {{ value }}.\n")
    assert out == "A Rust frame {{closure}} and a Vue binding {{ value }}.\n"
    assert problems == []


# --- code is left alone --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "```\n{{< figure src=\"x.png\" >}}\n{% include x.html %}\n{{ site.url }}\n```\n",
    "~~~ liquid\n{% highlight ruby %}\n{{ page.title }}\n~~~\n",
    "Para.\n\n    {% include x.html %}\n    {{< youtube abc >}}\n",
    "- item\n\n  ```\n  {{< note >}}\n  ```\n",
    "> ```\n> {{ site.baseurl }}\n> ```\n",
    "Inline `{{< ref \"x\" >}}` and ``{% post_url 2020-01-01-x %}`` stay.\n",
    "Backtraces: `std::rt::lang_start::{{closure}}`.\n",
])
def test_syntax_inside_code_is_untouched(text):
    out, problems = preprocess(text, REL, 1)
    assert out == text
    assert [d for d in problems if d.severity != Severity.INFO] == []


def test_list_continuation_is_not_code():
    out, _ = run("""\
        1. Print things.

            {{< youtube abc123 >}}
        """)
    assert "    [Video on YouTube](https://www.youtube.com/watch?v=abc123)" in out


def test_raw_markers_inside_code_are_dropped_when_balanced():
    out, problems = run("""\
        ```liquid
        {% raw %}
        {{ page.title }}
        {% endraw %}
        ```
        Inline `{% raw %}{{ x }}{% endraw %}`.
        """)
    assert out == "```liquid\n\n{{ page.title }}\n\n```\nInline `{{ x }}`.\n"
    assert warnings(problems) == []


# --- one construct in, its Markdown out: the same-shape cases, one table -----------------------------
# (text, expected output, post path, whether no warning may be reported); ids are the old test names.

REWRITES = [
    pytest.param("```\n{% raw %} only\n```\n",
                 "```\n{% raw %} only\n```\n",
                 REL, False, id='unbalanced_raw_marker_in_code_is_kept'),
    pytest.param('```\n{{</* figure src="a.png" */>}}\n{{%/* note */%}}\n```\n',
                 '```\n{{< figure src="a.png" >}}\n{{% note %}}\n```\n',
                 REL, False, id='hugo_escape_inside_code_shows_the_shortcode'),
    pytest.param('Write {{</* youtube ID */>}} in a post.\n',
                 "Write `{{< youtube ID >}}` in a post.\n",
                 REL, False, id='hugo_escape_outside_code_becomes_inline_code'),
    pytest.param("""\
        Before.
        {% highlight ruby %}
        puts "{{ not liquid }}" # {% neither %}
        {% endhighlight %}
        After.
        """,
                 'Before.\n```ruby\nputs "{{ not liquid }}" # {% neither %}\n```\nAfter.\n',
                 REL, True, id='highlight_becomes_a_fenced_block_with_its_content_verbatim'),
    pytest.param("- step\n\n  {% highlight md %}\n  ```\n  {% endhighlight %}\n",
                 "- step\n\n  ````md\n  ```\n  ````\n",
                 REL, False, id='highlight_keeps_list_indentation_and_uses_a_longer_fence_when_needed'),
    pytest.param("Code: {% highlight c %}int x;{% endhighlight %} done\n",
                 "Code: \n```c\nint x;\n```\n done\n",
                 REL, False, id='highlight_on_one_line_is_split_into_a_block'),
    pytest.param("{% raw %}\nThe tag {% if %} is Liquid.\n{% endraw %}\n",
                 "\nThe tag {% if %} is Liquid.\n\n",
                 REL, True, id='raw_outside_code_keeps_its_content_literally'),
    pytest.param('Text\n{% include note.html content="Install **rustup** first." %}\nMore\n',
                 "Text\n::: {.note}\nInstall **rustup** first.\n:::\nMore\n",
                 REL, False, id='include_of_a_note_becomes_an_aside'),
    pytest.param('{% include figure image_path="/assets/a.png" alt="A" caption="The A." %}\n',
                 "<figure>\n\n![A](/assets/a.png)\n<figcaption>The A.</figcaption></figure>\n",
                 REL, False, id='include_of_a_figure_becomes_a_figure-1'),
    pytest.param('See {% include image.html url="/b.png" description="B" %}.\n',
                 "See ![B](/b.png).\n",
                 REL, False, id='include_of_a_figure_becomes_a_figure-2'),
    pytest.param("{% youtube dQw4w9WgXcQ %}\n{% gist parkr/931c1c8d465a04042403 %}\n{% vimeo 76979871 %}\n",
                 "[Video on YouTube](https://www.youtube.com/watch?v=dQw4w9WgXcQ)\n"
                   "[Gist](https://gist.github.com/parkr/931c1c8d465a04042403)\n"
                   "[Video on Vimeo](https://vimeo.com/76979871)\n",
                 REL, False, id='liquid_embeds_become_links'),
    pytest.param("{% codeblock Demo lang:js %}\nlet a = `{{x}}`;\n{% endcodeblock %}\n",
                 "```js\nlet a = `{{x}}`;\n```\n",
                 HEXO, False, id='hexo_codeblock'),
    pytest.param("{% blockquote Lu Yu, The Classic of Tea %}\nTea tempers the spirits.\n\nAnd more.\n{% endblockquote %}\n",
                 "\n> Tea tempers the spirits.\n>\n> And more.\n>\n> — Lu Yu, The Classic of Tea\n",
                 HEXO, False, id='hexo_blockquote_with_attribution'),
    pytest.param("{% note warning %}\nHot water.\n{% endnote %}\n",
                 "::: {.note .warning}\nHot water.\n:::\n",
                 HEXO, False, id='hexo_note_becomes_an_aside'),
    pytest.param('Intro\n\n{{< figure src="cat.jpg" alt="A cat" caption="The *office* cat" >}}\n',
                 "Intro\n\n<figure>\n\n![A cat](cat.jpg)\n"
                   "<figcaption>The <em>office</em> cat</figcaption></figure>\n",
                 REL, False, id='figure_with_caption_becomes_a_figure_around_a_markdown_image'),
    pytest.param('{{< figure src="a.png" alt="A" >}}\nText {{< figure src="b.png" caption="B" >}} more.\n',
                 "![A](a.png)\nText ![B](b.png) more.\n",
                 REL, False, id='figure_without_caption_or_inside_a_paragraph_is_an_image'),
    pytest.param('[x]({{< ref "/posts/other" >}})\n',
                 "[x](/posts/other)\n",
                 "blog/other.md", False, id='ref_outside_a_hugo_content_folder_stays_site_relative'),
    pytest.param('{{< highlight go "linenos=table,hl_lines=2" >}}\nfmt.Println("{{ .Title }}")\n{{< /highlight >}}\n',
                 '```{.go .numberLines}\nfmt.Println("{{ .Title }}")\n```\n',
                 REL, False, id='hugo_highlight'),
    pytest.param('{{% admonition type="tip" title="Worth a visit" %}}\nThe museum.\n{{% /admonition %}}\n',
                 "::: {.note .tip}\n**Worth a visit**\n\nThe museum.\n:::\n",
                 REL, False, id='admonition_title_is_a_bold_first_paragraph'),
    pytest.param("Say {{< note >}}hi{{< /note >}} now\n",
                 "Say \n::: {.note}\nhi\n:::\n now\n",
                 REL, False, id='one_line_admonition_gets_lines_of_its_own'),
    pytest.param("{{< note >}}\n```\n{{< not-a-shortcode >}}\n```\n{{< /note >}}\n",
                 "::: {.note}\n```\n{{< not-a-shortcode >}}\n```\n:::\n",
                 REL, False, id='nested_code_inside_an_admonition_is_protected'),
]


@pytest.mark.parametrize("text, expected, rel, quiet", REWRITES)
def test_rewrites(text, expected, rel, quiet):
    out, problems = run(text, rel)
    assert out == expected
    if quiet:
        assert warnings(problems) == []


# --- Liquid (Jekyll) ---------------------------------------------------------------------------------

def test_highlight_linenos_numbers_lines():
    out, _ = run("{% highlight python linenos %}\nx = 1\n{% endhighlight %}\n")
    assert out.splitlines()[0] == "```{.python .numberLines}"


def test_comment_is_removed_but_its_lines_are_kept():
    text = "A\n{% comment %}\nsecret\n{% endcomment %}\nB\n"
    out, _ = preprocess(text, REL, 1)
    assert out == "A\n\n\n\nB\n"
    assert out.count("\n") == text.count("\n")


@pytest.mark.parametrize("tag, url", [
    ("{% post_url 2020-01-31-hello-world %}", "/2020/01/31/hello-world"),
    ("{% post_url /travel/2021-07-04-paris %}", "/2021/07/04/paris"),
    ("{% link _posts/2020-01-31-hello-world.md %}", "/2020/01/31/hello-world"),
    ("{% link about.md %}", "/about"),
    ("{{ site.baseurl }}/assets/a.png", "/assets/a.png"),
    ("{{site.url}}{{ site.baseurl }}/archive/", "/archive/"),
    ('{{ "/assets/a.png" | relative_url }}', "/assets/a.png"),
    ("{{ '/feed.xml' | absolute_url }}", "/feed.xml"),
    ("{{- site.baseurl -}}/x", "/x"),
])
def test_liquid_links_become_site_relative_paths(tag, url):
    out, problems = run(f"[a]({tag})\n")
    assert out == f"[a]({url})\n"
    assert warnings(problems) == []


# --- Hexo tag plugins --------------------------------------------------------------------------------



@pytest.mark.parametrize("tag, result", [
    ("{% asset_img pic.png A teapot %}", "![A teapot](hello-world/pic.png)"),
    ('{% asset_img "my pic.png" "A title" %}', "![A title](<hello-world/my pic.png>)"),
    ("{% asset_link notes.pdf The notes %}", "[The notes](hello-world/notes.pdf)"),
    ("{% asset_path pic.png %}", "hello-world/pic.png"),
    ("{% post_link green-tea Green tea basics %}", "[Green tea basics](/green-tea)"),
    ("{% post_link green-tea %}", "[green tea](/green-tea)"),
    ("{% post_path green-tea %}", "/green-tea"),
    ("{% link Hexo docs https://hexo.io/docs/ %}", "[Hexo docs](https://hexo.io/docs/)"),
    ("""{% img /images/gaiwan.png 200 200 '"A gaiwan" "A lidded bowl"' %}""", '![A lidded bowl](/images/gaiwan.png "A gaiwan")'),
    ("{% iframe https://example.com/embed %}", "<https://example.com/embed>"),
    ("{% jsfiddle abc123 %}", "[JSFiddle](https://jsfiddle.net/abc123/)"),
])
def test_hexo_tags(tag, result):
    out, problems = run(f"{tag}\n", HEXO)
    assert out == f"{result}\n"
    assert warnings(problems) == []


# --- Hugo shortcodes ---------------------------------------------------------------------------------

def test_figure_title_link_and_attribution():
    out, _ = run('{{< figure src="/img/x.png" title="Map" link="https://maps.test/" attr="OSM" '
                 'attrlink="https://osm.test/" >}}\n')
    assert "[![Map](/img/x.png)](https://maps.test/)" in out
    assert '<figcaption><strong>Map</strong> <a href="https://osm.test/">OSM</a></figcaption>' in out


def test_figure_spread_over_lines_keeps_the_line_count():
    text = '{{< figure\n    src="a.png"\n    alt="A"\n    >}}\nNext\n'
    out, _ = preprocess(text, REL, 1)
    assert out == "![A](a.png)\n\n\n\nNext\n"


@pytest.mark.parametrize("tag, result", [
    ("{{< youtube w7Ft2ymGmfc >}}", "[Video on YouTube](https://www.youtube.com/watch?v=w7Ft2ymGmfc)"),
    ('{{< youtube id="w7Ft2ymGmfc" title="A New Hugo Site" >}}', "[A New Hugo Site](https://www.youtube.com/watch?v=w7Ft2ymGmfc)"),
    ("{{< vimeo 146022717 >}}", "[Video on Vimeo](https://vimeo.com/146022717)"),
    ("{{< gist jmooring 23932424365401ffa5e9d9810102a477 >}}", "[Gist](https://gist.github.com/jmooring/23932424365401ffa5e9d9810102a477)"),
    ('{{< tweet user="SanDiegoZoo" id="1453110110599868418" >}}', "[Post on X](https://x.com/SanDiegoZoo/status/1453110110599868418)"),
    ("{{< instagram CxOWiQNP2MO >}}", "[Post on Instagram](https://www.instagram.com/p/CxOWiQNP2MO/)"),
])
def test_embeds_become_links(tag, result):
    out, problems = run(f"{tag}\n")
    assert out == f"{result}\n"
    assert warnings(problems) == []


@pytest.mark.parametrize("tag, dest", [
    ('{{< ref "/posts/other.md" >}}', "../other.md"),
    ('{{< relref "/posts/other" >}}', "../other"),
    ('{{< ref "/posts/other.md#setup" >}}', "../other.md#setup"),
    ('{{% ref "sibling.md" %}}', "sibling.md"),
    ('{{< ref path="/about" >}}', "../../about"),
    ('{{< relref "#local" >}}', "#local"),
])
def test_ref_and_relref_become_paths_relative_to_the_post(tag, dest):
    out, problems = run(f"[x]({tag})\n")
    assert out == f"[x]({dest})\n"
    assert warnings(problems) == []


@pytest.mark.parametrize("open_tag, close_tag, head", [
    ("{{< note >}}", "{{< /note >}}", "::: {.note}"),
    ("{{< notice warning >}}", "{{< /notice >}}", "::: {.note .warning}"),
    ("{{% tip %}}", "{{% /tip %}}", "::: {.note .tip}"),
    ('{{< hint type="danger" >}}', "{{< /hint >}}", "::: {.note .danger}"),
    ("{{< callout info >}}", "{{< /callout >}}", "::: {.note .info}"),
])
def test_admonitions_become_fenced_divs(open_tag, close_tag, head):
    out, problems = run(f"Before\n{open_tag}\nCareful **now**.\n{close_tag}\nAfter\n")
    assert out == f"Before\n{head}\nCareful **now**.\n:::\nAfter\n"
    assert warnings(problems) == []


# --- unknown syntax --------------------------------------------------------------------------------

def test_unknown_tags_are_removed_and_reported_with_their_file_line():
    text = textwrap.dedent("""\
        Line one.
        {{< sparkline data="1,2" >}}
        {% include toc.html %}

        Hello {{ page.title }} there.
        {{< tabs >}}Inner text{{< /tabs >}}
        {% if site.x %}kept{% endif %}
        """)
    out, problems = preprocess(text, "content/p.md", 7)
    assert out == "Line one.\n\n\n\nHello  there.\nInner text\nkept\n"
    assert warnings(problems) == [("CB119", 8), ("CB119", 9), ("CB119", 11), ("CB119", 12), ("CB119", 13)]
    assert all(d.path == "content/p.md" for d in problems)
    by_line = {d.line: d.message for d in problems}
    assert "{{< sparkline >}}" in by_line[8] and "{% include %}" in by_line[9] and "{{ page.title }}" in by_line[11]
    assert "inner text is kept" in by_line[12]


def test_unknown_tag_line_counts_lines_inside_code_blocks_before_it():
    out, problems = run("```\na\nb\n```\n\n{% mystery %}\n", body_line=10)
    assert warnings(problems) == [("CB119", 15)]


def test_orphan_closer_and_unclosed_verbatim_are_reported():
    _, problems = run("Text\n{{< /note >}}\n{% highlight ruby %}\nx\n", body_line=3)
    assert warnings(problems) == [("CB119", 4), ("CB119", 5)]


def test_unterminated_tag_is_reported_and_left_as_text():
    out, problems = run('Broken {{< figure src="a.png"\n\nnext\n', body_line=2)
    assert out.startswith("Broken {{< figure")
    assert warnings(problems) == [("CB119", 2)]


def test_converted_syntax_is_summarised_once_per_post_as_info():
    _, problems = run("x\n{{< youtube abc >}}\n{{< youtube def >}}\n{% post_url 2020-01-01-a %}\n", body_line=4)
    infos = [d for d in problems if d.severity == Severity.INFO]
    assert len(infos) == 1 and infos[0].code == "CB120" and infos[0].line == 5
    assert "2 youtube" in infos[0].message and "1 post_url" in infos[0].message


def test_one_line_constructs_keep_the_line_count():
    text = textwrap.dedent("""\
        [a]({% post_url 2020-01-31-x %}) {{ site.baseurl }}
        {{< youtube abc >}}
        {{< figure src="a.png" >}}
        {{< note >}}
        n
        {{< /note >}}
        {% highlight ruby %}
        x
        {% endhighlight %}
        {% raw %}{{ y }}{% endraw %}
        {% unknown %}
        """)
    out, _ = preprocess(text, REL, 1)
    assert out.count("\n") == text.count("\n")


def test_hostile_input_finishes():
    """Many unterminated openers and backticks: the scanners are bounded, not quadratic blow-ups."""
    text = "{{< x " * 5000 + "`" * 3000 + " `a` " * 2000 + "{% y " * 5000
    out, problems = preprocess(text, REL, 1)
    assert out == text
    assert problems
