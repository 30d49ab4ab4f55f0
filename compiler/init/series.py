"""Series detection for `chapbook init`: which posts of a blog make one series, from every signal the
blog gives, each weighed and explained.

Signals (weight per post carrying it):
- `series:` in front matter (Hugo's `series` taxonomy, Jekyll's `series:` key): 3;
- a "part of a series" blurb: a post's first or last block linking to a tag, category or series
  page (`/tags/tech-lead`); its link text is the series' display name: 3;
- a shared title prefix: "Rust 2018: …", "Part 2: …", "Name, part 3", or titles that differ only by
  numbers, versions, dates or months ("Announcing Rust 1.50.0", "Announcing Rust 1.51.0"): 2;
- tags (1) and categories (0.5); one series spelled several ways (`tech-lead` / `tech-lead-series`,
  `rust-2018` / `rust2018`, singular / plural, case, separators) is one family, and a family with
  several spellings, or a name saying "series", weighs 2.
Signals naming the same family (names compared without case, separators, a trailing "series" or a
plural "s") are one series: its posts are every post any of them names, its score the sum.

The default is the best-supported series of at least two posts: highest score, then most posts, then
the newest last post, then the name alphabetically. A series whose only signal is a plain tag or
category counts only when it is not on every post and holds 5 posts or a tenth of the blog (a tag on
2 posts of 157 is a topic, not a book). With no such series, every post.

Display name: the blurbs' link text that matches the family (a tag of it, humanised), else the most
frequent link text (ties: the newest post's); without blurbs, the `series:` value, the title prefix,
or the most used tag humanised. The proposed book title is the name, with "The" before a name ending
in "Series" ("Tech Lead Series" -> "The Tech Lead Series").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from compiler.compile.lint import title_template
from compiler.compile.repeated import series_link
from compiler.init import boilerplate
from compiler.load.sources import Post

WEIGHTS = {"series": 3.0, "blurb": 3.0, "title": 2.0, "tag": 1.0, "category": 0.5, "family": 2.0}
ORDER_KEYS = ("series_order", "series_part", "part", "series_weight")
MIN_TOPIC_POSTS, MIN_TOPIC_SHARE = 5, 0.10
_PART = re.compile(r"(?:\b(?:part|pt\.?|episode|ep\.?|chapter|vol\.?|volume|no\.?|number)\s*|#)"
                   r"(?:\d+|[ivxlc]+|one|two|three|four|five|six|seven|eight|nine|ten)\b", re.I)


def family(name: str) -> str:
    """The key names of one series share: no case, separators, trailing "series" or plural "s"."""
    key = re.sub(r"[\W_]+", "", name.casefold().replace("&", "and"))
    key = key.removesuffix("series") or key
    if key.endswith("ies") and len(key) > 5:
        key = key[:-3] + "y"
    elif key.endswith("s") and not key.endswith("ss") and len(key) > 4:
        key = key[:-1]
    return key


def humanise(name: str) -> str:
    words = re.sub(r"[-_]+", " ", name).split()
    return " ".join(w[:1].upper() + w[1:] if w.islower() else w for w in words) or name


@dataclass
class Evidence:
    signal: str                      # series | blurb | title | tag | category
    text: str                        # what was seen, for the listing
    posts: set = field(default_factory=set)    # post rels


@dataclass
class Candidate:
    key: str
    posts: list[Post]
    evidence: list[Evidence]
    spellings: Counter               # front-matter names (tags, categories, series) of this family
    blurb_names: list[tuple[datetime | None, str]]
    title_names: Counter
    score: float = 0.0
    eligible: bool = False
    name: str = ""

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(sorted(self.spellings, key=lambda s: (-self.spellings[s], s.casefold())))

    @property
    def last(self) -> datetime:
        dates = [_naive(p.date) for p in self.posts if p.date]
        return max(dates) if dates else datetime.min

    def explain(self) -> str:
        return "; ".join(f"{e.text} ({len(e.posts)})" for e in self.evidence)


def _naive(when: datetime) -> datetime:
    return when.replace(tzinfo=None)


def _names(value) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list):
        return [str(t).strip() for t in value if isinstance(t, (str, int, float)) and str(t).strip()]
    return []


def find(posts: tuple[Post, ...]) -> list[Candidate]:
    """Every series found, best first (see the module doc for weights and the order)."""
    found: dict[str, Candidate] = {}
    by_rel = {p.rel: p for p in posts}

    def cand(key: str) -> Candidate:
        if key not in found:
            found[key] = Candidate(key, [], [], Counter(), [], Counter())
        return found[key]

    def note(key: str, signal: str, text: str, post: Post) -> None:
        c = cand(key)
        ev = next((e for e in c.evidence if e.signal == signal and e.text == text), None)
        if ev is None:
            ev = Evidence(signal, text)
            c.evidence.append(ev)
        ev.posts.add(post.rel)

    for post in posts:
        for fm_key, signal in (("tags", "tag"), ("categories", "category"), ("series", "series")):
            for name in dict.fromkeys(_names(post.meta.get(fm_key))):
                key = family(name)
                if not key:
                    continue
                cand(key).spellings[name] += 1
                what = {"tag": "tag", "category": "category", "series": "front matter series:"}[signal]
                note(key, signal, f"{what} {name}", post)
        for edge in boilerplate.edges(post):
            for url, text in edge.links:
                slug = series_link(url)
                if slug and family(slug):
                    key = family(slug)
                    where = "opening" if edge.position == "top" else "closing"
                    note(key, "blurb", f"{where} blurb links to {url.split('://')[-1]}", post)
                    cand(key).blurb_names.append((post.date and _naive(post.date), text))
        name = title_series(post.title)
        if name:
            key = family(name) or "part"
            cand(key).title_names[name] += 1
            note(key, "title", f"titles start “{name}”", post)
    templates: dict[tuple, list[Post]] = {}
    for post in posts:
        words = title_template(post.title)
        if "#" in words and len([w for w in words if w != "#"]) >= 2 and not title_series(post.title):
            templates.setdefault(tuple(w for w in words if w != "#"), []).append(post)
    for words, members in templates.items():
        if len(members) >= 3:
            name = _template_name(members[0].title)
            key = family(name)
            if key:
                cand(key).title_names[name] += len(members)
                for post in members:
                    note(key, "title", f"titles “{name} …” differing only by numbers or dates", post)
    _merge_title_only(found)
    total = len(posts)
    out = []
    for c in found.values():
        rels = set().union(*(e.posts for e in c.evidence))
        c.posts = sorted((by_rel[r] for r in rels), key=lambda p: (p.date is None, p.date and _naive(p.date), p.rel))
        several = len({s.casefold() for s in c.spellings}) > 1 or any("series" in s.casefold() for s in c.spellings)
        for e in c.evidence:
            weight = WEIGHTS[e.signal]
            if e.signal in ("tag", "category") and several:
                weight = WEIGHTS["family"]
            c.score += weight * len(e.posts)
        strong = several or any(e.signal in ("series", "blurb", "title") for e in c.evidence)
        n = len(c.posts)
        c.eligible = n >= 2 and (strong or (n < total and (n >= MIN_TOPIC_POSTS or n >= MIN_TOPIC_SHARE * total)))
        c.name = display_name(c)
        out.append(c)
    out.sort(key=lambda c: (not c.eligible, -c.score, -len(c.posts), -c.last.toordinal() if c.last != datetime.min else 0,
                            c.name.casefold()))
    return out


def _merge_title_only(found: dict[str, Candidate]) -> None:
    """A title prefix naming exactly the posts of another series (by tags, front matter or blurbs) is
    more evidence for that series, not a second one ("Service Meshes, Part 2" in "Service Mesh Basics")."""
    rels = {k: frozenset().union(*(e.posts for e in c.evidence)) for k, c in found.items()}
    for key, c in list(found.items()):
        if not all(e.signal == "title" for e in c.evidence):
            continue
        other = next((o for k, o in found.items() if k != key and rels[k] == rels[key]
                      and not all(e.signal == "title" for e in o.evidence)), None)
        if other is not None:
            other.evidence += c.evidence
            other.title_names += c.title_names
            del found[key]


def best(candidates: list[Candidate]) -> Candidate | None:
    return candidates[0] if candidates and candidates[0].eligible else None


def title_series(title: str) -> str | None:
    """The series a title names by its prefix: "Rust 2018: …" -> "Rust 2018", "Part 2: …" -> "Part",
    "Name, Part 3" / "Name (Part 3)" / "Name Part 3: …" -> "Name"."""
    head, colon, _ = title.partition(":")
    part = _PART.search(title)
    if part:
        name = title[:part.start()].strip(" ,-–—(:")
        if name and len(name.split()) <= 6:
            return name
        return "Part" if part.start() == 0 and colon else None
    if colon and 1 <= len(head.split()) <= 6 and head.strip():
        return head.strip()
    return None


def _template_name(title: str) -> str:
    """The words a recurring title keeps from post to post ("Announcing Rust 1.50.0" -> "Announcing Rust")."""
    kept = [w for w in title.split() if any(x != "#" for x in title_template(w))]
    return " ".join(kept).strip(" ,:-") or title


def display_name(c: Candidate) -> str:
    if c.blurb_names:
        named = [(d, t) for d, t in c.blurb_names if t]
        matching = [(d, t) for d, t in named if family(t) == c.key] or named
        if matching:   # the most frequent; ties: the newest post's
            counts = Counter(t for _, t in matching)
            top = max(counts.values())
            return sorted(((d or datetime.min), t) for d, t in matching if counts[t] == top)[-1][1]
    series = [s for s in c.spellings if any(e.signal == "series" and s in e.text for e in c.evidence)]
    if series:
        return humanise(max(series, key=lambda s: (c.spellings[s], s)))
    if c.title_names:
        return c.title_names.most_common(1)[0][0]
    if c.spellings:
        spelled = sorted(c.spellings, key=lambda s: (-c.spellings[s], -len(s), s))
        return humanise(spelled[0])
    return c.key


def book_title(name: str) -> str:
    return f"The {name}" if name.casefold().endswith("series") and not name.casefold().startswith("the ") else name


def part_order(c: Candidate) -> list[Post] | None:
    """The posts in their `series_order`/`part` order when every post gives one and it differs from
    the date order (which the manifest writes as `order: date`)."""
    numbers = {}
    for p in c.posts:
        value = next((p.meta.get(k) for k in ORDER_KEYS if isinstance(p.meta.get(k), (int, float))
                      and not isinstance(p.meta.get(k), bool)), None)
        if value is None:
            return None
        numbers[p.rel] = value
    ordered = sorted(c.posts, key=lambda p: (numbers[p.rel], p.rel))
    return ordered if ordered != c.posts else None
