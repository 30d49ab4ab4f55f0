"""What each known tag becomes: handlers `(rewrite, tag, args, paired) -> replacement` (None for
"unknown"), by engine (`HUGO`, `LIQUID`), and the small Markdown helpers they share."""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from compiler.compile.blogsyntax.syntax import (
    ASIDES, Args, EMBEDS, Opened, Tag, _CLASS,
    _DATED_NAME, _commonmark,
)

if TYPE_CHECKING:
    from compiler.compile.blogsyntax.rewrite import _Rewrite

# --- handlers: (rewrite, tag, args, paired) -> replacement, or None for "unknown" -------------------

def _figure(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    src = args.get("src", index=0)
    if not src:
        return None
    caption, title = args.get("caption"), args.get("title")
    alt = args.get("alt") or _plain(caption or title or "")
    image = f"![{_md_text(alt)}]({_md_url(src)})"
    if args.get("link"):
        image = f"[{image}]({_md_url(args.get('link'))})"
    before, after = rw.around(tag)
    if not (caption or title or args.get("attr")) or before.strip() or after.strip():
        return image
    return "\n".join(before + line if i else line for i, line in enumerate(
        ["<figure>", "", image, f"<figcaption>{_caption_html(title, caption, args)}</figcaption></figure>"]))


def _embed(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    pattern, label = EMBEDS[tag.name]
    ident = args.get("id", index=0)
    user = args.get("user", "username")
    if tag.name == "gist" and len(args.positional) >= 2 and re.fullmatch(r"[0-9a-f]{6,}", args.positional[1]):
        user, ident = args.positional[0], args.positional[1]     # Hugo: {{< gist user id [file] >}}
    if tag.name == "gist" and user and ident and "/" not in ident:
        ident = f"{user}/{ident}"
    if not ident or not re.fullmatch(r"[\w-]+(/[\w-]+)?", ident):
        return None
    url = pattern.format(id=ident, user=user if user and re.fullmatch(r"\w+", user) else "i")
    return f"[{_md_text(args.get('title') or label)}]({url})"


def _iframe(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    url = args.get("src", "url", index=0)
    return f"<{url}>" if url and re.match(r"https?://\S+$", url) else None


def _hugo_ref(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """A Hugo ref/relref: a path the core resolves to an in-book link (content-relative paths are
    made relative to the post, since the book folder is the site folder)."""
    target = args.get("path", index=0)
    if not target:
        return None
    path, sep, frag = target.partition("#")
    if path.startswith("/") and rw.rel.startswith("content/"):
        path = posixpath.relpath("content" + path.rstrip("/"), posixpath.dirname(rw.rel))
    return _md_dest(rw, tag, path + sep + frag)


def _post_url(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """`{% post_url 2020-01-31-slug %}`: the post's date permalink, which the core maps to the chapter."""
    name = posixpath.basename(args.get(index=0) or "")
    m = _DATED_NAME.match(name)
    return _md_dest(rw, tag, f"/{m[1]}/{m[2]}/{m[3]}/{m[4]}") if m else None


def _link(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Jekyll `{% link path %}` (a site path) or Hexo `{% link text url [external] [title] %}`."""
    words = args.positional
    url_at = next((i for i, w in enumerate(words) if re.match(r"(https?:)?//|/|#", w)), None)
    if len(words) >= 2 and url_at:
        return f"[{_md_text(' '.join(words[:url_at]))}]({_md_url(words[url_at])})"
    if len(words) == 1:
        m = _DATED_NAME.match(posixpath.basename(words[0]))
        path = f"/{m[1]}/{m[2]}/{m[3]}/{m[4]}" if m else "/" + re.sub(r"\.(md|markdown)$", "", words[0].lstrip("/"))
        return _md_dest(rw, tag, path)
    return None


def _post_link(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Hexo `{% post_link slug [title] %}` / `{% post_path slug %}`: a link by slug."""
    slug = args.get(index=0)
    if not slug:
        return None
    if tag.name == "post_path":
        return _md_dest(rw, tag, "/" + slug)
    text = " ".join(w for w in args.positional[1:] if w not in ("true", "false")) or slug.replace("-", " ")
    return f"[{_md_text(text)}]({_md_url('/' + slug)})"


def _asset(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Hexo post assets (`source/_posts/<post>/<file>`): asset_img, asset_path, asset_link."""
    words = list(args.positional)
    at = next((i for i, w in enumerate(words) if "." in w or "/" in w), None)
    if at is None:
        return None
    stem = posixpath.splitext(posixpath.basename(rw.rel))[0]
    path = f"{stem}/{words[at]}"
    text = " ".join(w for w in words[at + 1:] if not w.isdigit())
    if tag.name == "asset_path":
        return path
    if tag.name == "asset_link":
        return f"[{_md_text(text or words[at])}]({_md_url(path)})"
    return f"![{_md_text(text)}]({_md_url(path)})"


def _img(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Hexo `{% img [class] /path/to/image [width] [height] ['"title text" "alt text"'] %}`."""
    words = list(args.positional)
    at = next((i for i, w in enumerate(words) if "/" in w or "." in w), None)
    if at is None:
        return None
    rest = " ".join(w for w in words[at + 1:] if not w.isdigit())
    quoted = re.findall(r'"([^"]*)"', rest)
    title, alt = (quoted + quoted[:1])[:2] if quoted else (rest, rest)
    title_part = f' "{title}"' if title and '"' not in title else ""
    return f"![{_md_text(alt)}]({_md_url(words[at])}{title_part})"


def _aside_open(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> Opened | None:
    """A note/admonition pair: a fenced div `::: {.note .kind}` … `:::` (pandoc reads it as a Div)."""
    if not paired:
        return None
    words = [w for w in args.positional if w != "no-icon"]
    kind = args.get("type", "class", "style") or (words.pop(0) if words and _CLASS.match(words[0]) else None)
    title = args.get("title", "summary", "header", "heading") or " ".join(words)
    classes = ["note"] + [c for c in dict.fromkeys([tag.name, kind]) if c and c != "note" and _CLASS.match(c)
                          and c not in ("notice", "admonition", "callout", "alert", "hint", "aside")]
    head = "::: {" + " ".join("." + c for c in classes) + "}" + (f"\n**{title}**\n" if title else "")
    return Opened(rw.own_line(tag, head), lambda end: rw.own_line(end, ":::"))


def _include(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> str | None:
    """Jekyll theme includes with a clear meaning: callouts (`{% include note.html content="…" %}`)
    become asides, `figure`/`image` includes a figure; any other include is unknown."""
    name = posixpath.splitext(posixpath.basename(args.get(index=0) or ""))[0].lower()
    if name in ("figure", "image"):
        src = args.get("image_path", "image", "src", "url", "file")
        caption = args.get("caption", "description")
        named = {"src": src, "alt": args.get("alt"), "caption": caption, "title": args.get("title")}
        return _figure(rw, tag, Args((), {k: v for k, v in named.items() if v}), paired) if src else None
    content = args.get("content", "text")
    if name not in ASIDES or not content:
        return None
    kind = f" .{name}" if name != "note" else ""
    title = args.get("title")
    return rw.own_line(tag, "::: {.note" + kind + "}\n" + (f"**{title}**\n\n" if title else "") + content + "\n:::")


def _blockquote(rw: _Rewrite, tag: Tag, args: Args, paired: bool) -> Opened | None:
    """Hexo `{% blockquote [author[, source]] [link] %}…{% endblockquote %}`: a Markdown block quote
    (inner lines get `> ` when the closing tag is reached), with the attribution as its last line."""
    if not paired:
        return None
    words = [w for w in args.positional if not re.match(r"https?://", w)]
    attribution = "— " + " ".join(words) if words else ""
    mark = len(rw.out) + 1          # where the quoted text starts in the output

    def close(end: Tag) -> str:
        inner = "".join(rw.out[mark:])
        del rw.out[mark:]
        rw.out.append(_quote_lines(inner))
        return ">\n> " + attribution if attribution else ""
    return Opened("", close)


def _quote_lines(inner: str) -> str:
    lines = inner.split("\n")
    body = [("> " + line if line.strip() else ">") for line in lines[1:-1]]
    return "\n".join([lines[0], *body, lines[-1]]) if len(lines) > 1 else inner


def _code_language(tag: Tag, args: Args) -> tuple[str | None, bool]:
    """Language and line numbering of `{% highlight ruby linenos %}`, `{{< highlight go "linenos=table" >}}`
    or Hexo `{% codeblock [title] lang:ruby %}`."""
    if tag.name in ("codeblock", "code"):
        lang = next((w[5:] for w in args.positional if w.startswith("lang:")), None)
        return (lang if lang and _CLASS.match(lang) else None), "line_number:true" in args.positional
    lang = args.get(index=0)
    options = " ".join(args.positional[1:]) + " " + " ".join(f"{k}={v}" for k, v in args.named.items())
    numbered = bool(re.search(r"\blinenos(?!\s*=\s*false)", options))
    return (lang if lang and _CLASS.match(lang) else None), numbered


HUGO = {"figure": _figure, "ref": _hugo_ref, "relref": _hugo_ref,
        **{name: _embed for name in EMBEDS}, **{name: _aside_open for name in ASIDES}}
LIQUID = {"post_url": _post_url, "link": _link, "include": _include, "post_link": _post_link,
          "post_path": _post_link, "asset_img": _asset, "asset_path": _asset, "asset_link": _asset,
          "img": _img, "iframe": _iframe, "blockquote": _blockquote, "pullquote": _blockquote,
          "note": _aside_open, **{name: _embed for name in ("youtube", "vimeo", "gist", "jsfiddle")}}


# --- small Markdown helpers ----------------------------------------------------------------------

def _md_text(text: str) -> str:
    """Text for inside `[…]`: brackets and backslashes escaped."""
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(text.split()))


def _md_url(url: str) -> str:
    """A link destination; `<…>` when it has spaces or parentheses."""
    url = url.strip()
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def _md_dest(rw: _Rewrite, tag: Tag, url: str) -> str:
    """A URL standing where the tag stood: bracketed if it sits in a link destination and needs it."""
    before, _ = rw.around(tag)
    return _md_url(url) if before.endswith("](") or re.search(r"^\s*\[[^\]]+\]:\s*$", before) else url


def _inline_code_span(code: str) -> str:
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", code)), default=0) + 1)
    return f"{ticks} {code} {ticks}" if code.startswith("`") or code.endswith("`") else f"{ticks}{code}{ticks}"


def _plain(markdown: str) -> str:
    """Markdown or HTML caption as plain text, for an image's alt text."""
    return re.sub(r"<[^>]+>|[*_`]|\[([^\]]*)\]\([^)]*\)", lambda m: m[1] or "", markdown)


def _caption_html(title: str | None, caption: str | None, args: Args) -> str:
    """The figure's caption as HTML (Hugo runs captions through Markdown, so do we)."""
    render = _commonmark().renderInline
    parts = [f"<strong>{render(title)}</strong>"] if title else []
    if caption:
        parts.append(render(caption))
    attr = args.get("attr")
    if attr:
        link = args.get("attrlink")
        parts.append(f'<a href="{_attr(link)}">{render(attr)}</a>' if link else render(attr))
    return " ".join(parts)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _describe(tag: Tag) -> str:
    if tag.engine == "hugo":
        return f"Hugo shortcode {{{{< {'/' if tag.closing else ''}{tag.name} >}}}} not understood:"
    if tag.engine == "liquid":
        return f"template tag {{% {'end' if tag.closing else ''}{tag.name} %}} not understood:"
    return f"Liquid output {{{{ {tag.args.strip()} }}}} not understood:"
