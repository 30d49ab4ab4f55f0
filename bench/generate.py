"""Generate a deterministic corpus of realistic blog posts for benchmarks and tests.

Usage::

    python bench/generate.py N OUT_DIR [--seed 1]

This writes ``OUT_DIR/book.yml`` and ``N`` Markdown posts to
``OUT_DIR/posts/``, named ``YYYY-MM-DD-slug.md``. Each post has YAML front
matter (``title``, ``date``, ``tags``, ``description`` and sometimes ``slug``)
and a body of roughly 6-10 KB. Bodies mix heading habits (``#``, ``##`` or
``###`` for sections, one level deeper for subsections), prose with inline
formatting, lists, fenced code, pipe tables, footnotes, blockquotes, links to
other generated posts (some pointing at real heading identifiers) and
absolute links. Every post opens with the series blockquote that
``book.yml`` declares as boilerplate.

Only the standard library is used and all randomness comes from
``random.Random`` instances seeded from ``--seed``, so the same ``N`` and
seed always produce byte-identical files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

SERIES_LINE = "> This post is part of the Bench Series."

BOOK_YML = """\
title: Bench Book
authors: [Bench Author]
language: en
description: A generated book for benchmarks.
series:
  from: posts
  tags: [bench]
  order: date
boilerplate:
  - kind: blockquote
    starts_with: "This post is part of"
"""

# --------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------

# Plural noun phrases used as the subject of a post (and its title).
TOPICS = [
    "feature flags", "database migrations", "code reviews", "on-call rotations",
    "retry policies", "incident reviews", "load tests", "connection pools",
    "message queues", "caching layers", "build pipelines", "release trains",
    "dependency upgrades", "error budgets", "integration tests",
    "property-based tests", "type hints", "structured logs", "metrics dashboards",
    "distributed traces", "rate limiters", "circuit breakers", "background jobs",
    "cron schedules", "schema changes", "API versions", "design documents",
    "architecture decision records", "pull requests", "merge queues",
    "container images", "secrets stores", "access controls", "audit trails",
    "backups", "disaster drills", "search indexes", "read replicas",
    "event streams", "webhooks", "config files", "environment variables",
    "deploy scripts", "rollbacks", "canary releases", "blue-green deploys",
    "service meshes", "health checks", "timeouts", "idempotency keys",
    "pagination schemes", "date parsers", "Unicode strings", "memory leaks",
    "flaky tests", "benchmarks", "profilers", "linters", "code formatters",
    "onboarding guides", "runbooks", "status pages", "postmortems",
    "tech debt budgets", "roadmaps", "one-on-ones", "hiring loops",
    "pairing sessions", "style guides", "documentation sites", "changelogs",
    "release notes", "package registries", "lock files", "build caches",
    "test fixtures", "mock servers", "snapshot tests", "fuzzers",
    "static analysers", "data contracts", "ETL jobs", "query planners",
    "ORM layers", "stored procedures", "job schedulers", "worker pools",
    "thread pools", "async runtimes", "event loops", "plugin systems",
    "CLI parsers", "config languages", "template engines", "state machines",
]

# Qualifying phrases appended to a topic in a title.
CONTEXTS = [
    "in a monorepo", "at scale", "for small teams", "on a budget",
    "without a platform team", "in legacy codebases", "under load",
    "after an outage", "in regulated industries", "on day one", "in startups",
    "across time zones", "in open source", "for mobile apps",
    "in embedded systems", "with Rust", "with Python", "in the browser",
    "on Kubernetes", "on bare metal", "for data pipelines", "during a rewrite",
    "in hybrid teams", "for new hires", "across microservices", "in a monolith",
    "at the edge", "in serverless apps", "for internal tools", "before a launch",
    "during a migration", "in game development", "for public APIs", "in fintech",
    "in healthcare software", "on legacy hardware", "for offline-first apps",
    "with tight deadlines", "in research code", "for command-line tools",
    "in batch jobs", "in government projects",
    "for static sites", "in long-lived projects", "without downtime",
    "in multi-tenant systems", "on shared infrastructure",
]

# Title patterns; {T} is a topic and {C} a context, both title-cased.
TITLE_PATTERNS = [
    "Notes on {T} {C}", "Rethinking {T} {C}", "What I Learned About {T} {C}",
    "Why {T} Break Down {C}", "A Practical Guide to {T} {C}",
    "{T} {C}: A Field Report", "Getting {T} Right {C}",
    "The Hidden Cost of {T} {C}", "How We Untangled {T} {C}",
    "Stop Overthinking {T} {C}", "{T} {C}, Revisited", "Living With {T} {C}",
    "In Defence of {T} {C}", "A Skeptic's Take on {T} {C}", "Designing {T} {C}",
    "Debugging {T} {C}", "When {T} Go Wrong {C}",
    "Everything I Got Wrong About {T} {C}", "Small Habits for Better {T} {C}",
    "{T} {C} Without the Drama", "The Case Against {T} {C}", "Teaching {T} {C}",
    "Measuring {T} {C}", "A Year of {T} {C}", "Making Peace With {T} {C}",
    "{T} {C}: Myths and Realities", "Questions to Ask About {T} {C}",
    "Simplifying {T} {C}", "Scaling {T} {C}", "A Gentle Introduction to {T} {C}",
    "Boring Advice on {T} {C}", "Practical Trade-offs in {T} {C}",
    "Three Mistakes With {T} {C}", "Lessons From {T} {C}", "Automating {T} {C}",
    "Owning {T} {C}", "Auditing {T} {C}", "Shipping {T} {C}",
    "Who Owns {T} {C}?", "The Quiet Power of {T} {C}",
]

SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "in", "on", "at", "for",
               "to", "with", "by"}

TAGS = [
    "python", "rust", "javascript", "testing", "devops", "databases",
    "architecture", "management", "performance", "security", "tooling",
    "career", "writing", "observability", "reliability", "frontend",
    "backend", "data",
]

DESCRIPTION_PATTERNS = [
    "A look at {t} {c}, with notes on what held up and what did not.",
    "What changed when we took {t} seriously {c}.",
    "Practical advice on {t} {c}, drawn from a few painful quarters.",
    "An opinionated tour of {t} {c} and the habits that made them boring.",
    "Why {t} deserve more attention {c}, and where to start.",
    "A field report on {t} {c}, including the parts we would rather forget.",
]

NOUNS = [
    "cache", "queue", "scheduler", "deploy pipeline", "test suite", "retry loop",
    "config file", "build graph", "schema", "worker pool", "release process",
    "review process", "dashboard", "runbook", "alerting policy", "data model",
    "API surface", "error handler", "logging setup", "staging environment",
    "migration script", "load balancer", "index", "lock file", "service",
    "feature flag", "backlog", "design doc", "rollout plan", "health check",
]

ADJECTIVES = [
    "brittle", "boring", "predictable", "noisy", "slow", "careful", "fragile",
    "explicit", "implicit", "small", "clever", "obvious", "expensive", "cheap",
    "reliable", "messy", "tidy", "forgiving", "strict", "surprising",
    "well-documented", "half-finished", "load-bearing", "consistent",
]

ADVERBS = [
    "quietly", "gradually", "deliberately", "eventually", "carefully",
    "reluctantly", "consistently", "surprisingly well", "in small steps",
    "without much ceremony",
]

# (base, third person, past, gerund)
VERBS = [
    ("simplify", "simplifies", "simplified", "simplifying"),
    ("rewrite", "rewrites", "rewrote", "rewriting"),
    ("measure", "measures", "measured", "measuring"),
    ("document", "documents", "documented", "documenting"),
    ("automate", "automates", "automated", "automating"),
    ("split", "splits", "split", "splitting"),
    ("replace", "replaces", "replaced", "replacing"),
    ("delete", "deletes", "deleted", "deleting"),
    ("review", "reviews", "reviewed", "reviewing"),
    ("profile", "profiles", "profiled", "profiling"),
    ("monitor", "monitors", "monitored", "monitoring"),
    ("retire", "retires", "retired", "retiring"),
    ("refactor", "refactors", "refactored", "refactoring"),
    ("test", "tests", "tested", "testing"),
    ("version", "versions", "versioned", "versioning"),
    ("audit", "audits", "audited", "auditing"),
    ("isolate", "isolates", "isolated", "isolating"),
    ("throttle", "throttles", "throttled", "throttling"),
]

PEOPLE = [
    "a colleague", "our tech lead", "the new hire", "one reviewer",
    "the on-call engineer", "a product manager", "an old mentor",
    "someone in the retro", "the database team", "a friend at another company",
]

TIMES = [
    "on a Friday afternoon", "after the third incident", "during the migration",
    "before the launch", "in the first week", "late in the quarter",
    "while on call", "over a long weekend", "in the middle of a release",
    "after the reorg",
]

NUMBER_WORDS = ["two", "three", "four", "five", "six", "eight", "ten"]

COMMANDS = [
    "git bisect", "cargo test", "pytest -x", "EXPLAIN ANALYZE", "npm ci",
    "kubectl rollout undo", "git log -p", "make check", "strace -f", "perf top",
    "du -sh *", "terraform plan", "docker system df", "cargo flamegraph",
]

IDENTIFIERS = [
    "Cache-Control", "SIGTERM", "O(n log n)", "asyncio.gather", "Arc<Mutex<T>>",
    "tokio::spawn", "Promise.all", ".gitignore", "__init__.py", "Retry-After",
    "fsync", "SELECT ... FOR UPDATE", "set -euo pipefail", "--dry-run",
]

SETTINGS = [
    "max_retries", "statement_timeout", "pool_size", "worker_concurrency",
    "keepalive_timeout", "RUST_BACKTRACE", "prefetch_count", "max_connections",
]

SENTENCES = [
    "The {n} was never the real problem; the {n2} was.",
    "We spent {word} weeks {ger} the {n} before anyone asked whether it was needed.",
    "In practice, {topic} tend to {vb} the {n} {adv}.",
    "If you {vb} the {n} {adv}, the {n2} will mostly take care of itself.",
    "{person} once told me that every {n} is a {n2} waiting to happen.",
    "Most of the time, {topic} are {adj}, and that is exactly the point.",
    "It is tempting to {vb} the {n} {time}, but {adj} changes rarely stay small.",
    "Running {code} {time} showed that the {n} was {adj} rather than {adj2}.",
    "A {adj} {n} beats a clever one almost every time.",
    "Nobody {vpast} the {n} on purpose; it drifted there over time.",
    "The fix was to {vb} the {n} and let the {n2} handle the rest.",
    "Latency dropped from {num} ms to {small} ms once the {n} stopped {ger} the {n2}.",
    "That sounds obvious, yet {topic} make it surprisingly easy to forget.",
    "I keep a note next to {code} that says: {vb} the {n} first.",
    "The trade-off is real: a {adj} {n} costs more to {vb}, but it pays for itself {time}.",
    "Our {n} failed {num} times in a single quarter, which is how this whole effort began.",
    "Once the team agreed on a shared {n}, the arguments about the {n2} mostly disappeared.",
    "There is no universal answer here, only a set of {adj} defaults.",
    "Setting {setting} to {small} is a reasonable starting point for most teams.",
    "In the end, the whole {n} came down to how we handled {ident}.",
    "Most of the confusion around the {n} traced back to {ident}, of all things.",
    "We now check {setting} in review, because the {n} depends on it more than it should.",
    "The {n} and the {n2} look independent on a diagram, but they share more state than anyone admits.",
    "I used to think {topic} were a solved problem; {word} incidents later, I am less sure.",
    "Nothing about the {n} was {adj} until we had to explain it to {person}.",
    "Our rule of thumb is simple: if you cannot {vb} it, you do not own it.",
    "Later, {person} pointed out that the {n} had been {adj} all along.",
    "Looking back, the hard part was not the {n} but the conversations around it.",
    "Documentation helps, but only if someone owns the {n} and keeps it {adj}.",
    "Each {n} we added made the {n2} a little more {adj}.",
    "The {n} should be {adj} enough that a new hire can {vb} it in an afternoon.",
    "We tried {ger} the {n} {time}, and the results were {adj} at best.",
    "Every {n} has a budget, whether or not anyone wrote it down.",
    "{person} suggested we {vb} the {n} instead, and in hindsight that was the right call.",
    "Be wary of any {n} that needs a meeting to change.",
    "If the {n} is {adj}, the {n2} usually is too.",
    "Half of the {adj} failures we saw came from a single {n}.",
    "None of this requires a new tool; it requires a {adj} habit.",
    "When {topic} are {adj}, people stop trusting them and start working around them.",
    "The {n} {vbs} nothing on its own, so somebody has to {vb} it {adv}.",
    "I would rather have a {adj} {n} that everyone understands than a perfect one nobody reads.",
    "A quick look at {code} usually tells you whether the {n} is to blame.",
    "We wrote the rule down, and then we {vpast} the {n} so the rule enforced itself.",
    "The honest answer is that {topic} only work when the {n} around them is {adj}.",
]

SECTION_HEADINGS = [
    "Background", "The Setup", "Where Things Stood", "The First Attempt",
    "What Went Wrong", "A Better Approach", "Measuring the Impact", "Trade-offs",
    "Lessons Learned", "What I Would Do Differently", "Open Questions",
    "The Numbers", "Why This Matters", "A Quick Detour", "Putting It Together",
    "What's Next?", "Common Pitfalls", "How We Rolled It Out", "Getting Buy-In",
    "The Migration Plan", "Failure Modes", "Costs and Benefits", "Team Dynamics",
    "Tooling", "Testing Strategy", "Reflections", "Ground Rules",
]

SECTION_PATTERNS = [
    "Why the {N} Matters", "The Trouble With the {N}", "Rethinking the {N}",
    "A Closer Look at the {N}", "Living With the {N}", "When the {N} Fails",
    "Instrumenting the {N}", "Replacing the {N}", "The {N}, Step by Step",
    "Who Owns the {N}?",
]

SUBSECTION_HEADINGS = [
    "The Naive Version", "A First Fix", "Edge Cases", "Measuring It",
    "Why It Works", "Caveats", "An Alternative", "In Practice", "Results",
    "Rollout", "Cleanup", "Observations", "Side Effects", "A Worked Example",
    "Configuration", "What the Data Said", "Gotchas", "Small Wins",
]

SUBSECTION_PATTERNS = [
    "Tuning the {N}", "The {N} in Detail", "Testing the {N}",
    "Sizing the {N}", "A Simpler {N}",
]

CLOSING_HEADINGS = ["Wrapping Up", "Conclusion", "Final Thoughts", "Summary"]

INTERNAL_LINKS = [
    "I covered the background in [{title}](/{slug}).",
    "There is more on this in [an earlier post](/{slug}).",
    "If you are new to this, [start here](/{slug}).",
    "This builds on [what I wrote previously](/{slug}).",
    "A related story is told in [{title}](/{slug}).",
]

ANCHOR_LINKS = [
    "See [{heading}](/{slug}#{ident}) for a worked example.",
    "I described a similar setup [in another post](/{slug}#{ident}).",
    "[This part of an older write-up](/{slug}#{ident}) covers the same ground from a different angle.",
]

EXTERNAL_SOURCES = [
    ("the Python documentation", "https://docs.python.org/3/library/asyncio.html"),
    ("the Rust book", "https://doc.rust-lang.org/book/"),
    ("MDN", "https://developer.mozilla.org/en-US/docs/Web/JavaScript"),
    ("the Pandoc manual", "https://pandoc.org/MANUAL.html"),
    ("the article on queueing theory", "https://en.wikipedia.org/wiki/Queueing_theory"),
    ("the Google SRE book", "https://sre.google/sre-book/table-of-contents/"),
    ("the PostgreSQL docs", "https://www.postgresql.org/docs/current/"),
    ("the Git book", "https://git-scm.com/book/en/v2"),
    ("the twelve-factor guide", "https://12factor.net/config"),
    ("the CommonMark spec", "https://spec.commonmark.org/0.31.2/"),
]

EXTERNAL_LINKS = [
    "For a deeper treatment, see [{text}]({url}).",
    "[{Text}]({url}) explains this better than I can.",
    "I leaned heavily on [{text}]({url}) while working through this.",
]

QUOTE_ATTRIBUTIONS = [
    "a colleague, during a retro", "an old mentor", "a very tired on-call engineer",
    "the commit message that started it all", "a reviewer, politely",
]

NAMED_FOOTNOTES = ["note", "aside", "caveat", "source"]

TABLE_NOTES = [
    "good default", "needs tuning", "noisy under load", "simple to operate",
    "hard to debug", "fine for most teams", "surprisingly fast", "avoid",
]

CODE_FUNCS = ["parse_config", "fetch_orders", "load_manifest", "sync_accounts",
              "resolve_refs", "render_page", "flush_queue", "rebuild_index",
              "collect_metrics", "rotate_keys"]
CODE_CLASSES = ["RetryPolicy", "ConnectionPool", "JobQueue", "RateLimiter",
                "BuildCache", "FeatureFlag", "ReportWriter"]
CODE_FIELDS = ["max_items", "timeout_ms", "batch_size", "retry_limit",
               "shard_count", "window_secs"]
CODE_METHODS = ["fetch", "query", "publish", "lookup", "refresh"]
CODE_HOSTS = ["db-primary.internal", "api-01.example.net", "cache-02.internal",
              "worker-03.example.net"]
CODE_SERVICES = ["worker", "api", "scheduler", "ingest"]
CODE_STATES = ["stale", "ready", "expired", "healthy"]

# --------------------------------------------------------------------------
# Code snippet templates ({{slot}} placeholders)
# --------------------------------------------------------------------------

CODE_TEMPLATES = {
    "python": [
        '''def {{fn}}(key, retries={{small}}):
    """Call the backend and retry on transient errors."""
    for attempt in range(retries):
        try:
            return client.{{method}}(key, timeout={{secs}})
        except TimeoutError as exc:
            log.warning("attempt %d failed: %s", attempt + 1, exc)
            time.sleep(2 ** attempt)
    raise RuntimeError("{{fn}} gave up after %d attempts" % retries)''',
        '''from dataclasses import dataclass, field


@dataclass(frozen=True)
class {{cls}}:
    name: str
    {{field}}: int = {{num}}
    tags: list[str] = field(default_factory=list)

    def is_{{state}}(self) -> bool:
        return self.{{field}} > {{small}}''',
        '''import pytest


@pytest.mark.parametrize("value", [{{small}}, {{num}}, {{big}}])
def test_{{fn}}_handles_value(value):
    result = {{fn}}(value)
    assert result is not None
    assert result.{{field}} <= value''',
    ],
    "rust": [
        '''use std::time::Duration;

pub struct {{cls}} {
    {{field}}: u32,
    timeout: Duration,
}

impl {{cls}} {
    pub fn new({{field}}: u32) -> Self {
        Self { {{field}}, timeout: Duration::from_millis({{num}}) }
    }
}''',
        '''fn {{fn}}(input: &str) -> Result<Vec<u32>, std::num::ParseIntError> {
    input
        .split(',')
        .map(|part| part.trim().parse::<u32>())
        .collect()
}''',
        '''#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let pool = {{cls}}::connect("{{host}}").await?;
    let rows = pool.{{method}}({{num}}).await?;
    println!("fetched {} rows", rows.len());
    Ok(())
}''',
    ],
    "js": [
        '''export async function {{camel}}(url, { retries = {{small}} } = {}) {
  for (let attempt = 0; attempt < retries; attempt += 1) {
    const response = await fetch(url);
    if (response.ok) return response.json();
  }
  throw new Error(`{{camel}} failed after ${retries} attempts`);
}''',
        '''const totals = items.reduce((acc, item) => {
  acc[item.{{field}}] = (acc[item.{{field}}] ?? 0) + item.count;
  return acc;
}, {});

console.log(Object.keys(totals).length, "groups");''',
    ],
    "bash": [
        '''#!/usr/bin/env bash
set -euo pipefail

for host in {{host}} {{host2}}; do
  echo "deploying to $host"
  ssh "$host" 'sudo systemctl restart {{service}}'
done''',
        '''git log --since="{{small}} weeks ago" --pretty=format:'%an' \\
  | sort | uniq -c | sort -rn | head -n {{small}}''',
    ],
    "console": [
        '''$ pytest -q tests/test_{{fn}}.py
{{dots}}
{{num}} passed in {{secs}}s''',
        '''$ cargo build --release
   Compiling {{crate}} v0.{{small}}.{{small2}}
    Finished `release` profile [optimized] target(s) in {{secs}}s''',
        '''$ curl -sI https://{{host}}/healthz
HTTP/1.1 200 OK
content-type: application/json
x-request-id: {{hex}}''',
    ],
    "text": [
        '''{{date}} INFO  {{service}}: request took {{num}}ms
{{date}} WARN  {{service}}: retrying after {{small}}s
{{date}} ERROR {{service}}: gave up on {{host}}''',
        '''project/
  src/
    {{fn}}.py
    {{service}}.py
  tests/
    test_{{fn}}.py
  pyproject.toml''',
        '''client --> load balancer --> {{service}} (x{{small}})
                                  |
                                  +--> {{host}}''',
    ],
}

CODE_LANGUAGE_WEIGHTS = [("python", 5), ("rust", 3), ("js", 3), ("bash", 3),
                         ("text", 2), ("console", 2)]


# --------------------------------------------------------------------------
# Plans: everything decided before any body is written
# --------------------------------------------------------------------------


@dataclass
class Heading:
    level: int
    text: str
    ident: str


@dataclass
class Section:
    heading: Heading
    subsections: list[Heading] = field(default_factory=list)


@dataclass
class PostPlan:
    index: int
    title: str
    topic: str
    slug: str
    custom_slug: bool
    date: dt.date
    date_text: str
    tags: list[str]
    description: str
    sections: list[Section]

    @property
    def filename(self) -> str:
        return f"{self.date.isoformat()}-{self.slug}.md"

    def headings(self) -> list[Heading]:
        found = []
        for section in self.sections:
            found.append(section.heading)
            found.extend(section.subsections)
        return found


def title_case(phrase: str, first: bool = True) -> str:
    """Capitalise words (and hyphenated parts), keeping small words lowercase."""
    words = []
    for position, word in enumerate(phrase.split(" ")):
        if word in SMALL_WORDS and not (first and position == 0):
            words.append(word)
        else:
            words.append("-".join(p[:1].upper() + p[1:] for p in word.split("-")))
    return " ".join(words)


def slugify(text: str) -> str:
    text = text.lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def heading_identifier(text: str) -> str:
    """Pandoc's auto identifier (same as the GFM variant for our headings)."""
    kept = "".join(c for c in text.lower() if c.isalnum() or c in " _-.")
    kept = kept.replace(" ", "-")
    return re.sub(r"^[^a-z]+", "", kept) or "section"


def pick_titles(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """Return (title, topic, context) triples that share at most one part.

    No two titles reuse the same (topic, pattern), (topic, context) or
    (pattern, context) pair while that is still possible, so titles never
    differ by a single swapped word. Past that capacity the rules relax
    step by step, always keeping titles unique.
    """
    used: dict[str, set] = {"tp": set(), "tc": set(), "pc": set(), "title": set()}
    relaxations = [("tp", "tc", "pc"), ("tp", "tc"), ("tc",), ()]
    picks = []
    for _ in range(count):
        triple = None
        for rules in relaxations:
            triple = _try_title(rng, used, rules)
            if triple:
                break
        if triple is None:
            raise ValueError(f"cannot build {count} distinct titles")
        t, p, c = triple
        used["tp"].add((t, p))
        used["tc"].add((t, c))
        used["pc"].add((p, c))
        title = _format_title(t, p, c)
        used["title"].add(title)
        picks.append((title, TOPICS[t], CONTEXTS[c]))
    return picks


def _format_title(t: int, p: int, c: int) -> str:
    title = TITLE_PATTERNS[p].format(T=title_case(TOPICS[t], first=False),
                                     C=title_case(CONTEXTS[c], first=False))
    return title[0].upper() + title[1:]


def _try_title(rng, used, rules, attempts=300):
    for _ in range(attempts):
        t = rng.randrange(len(TOPICS))
        p = rng.randrange(len(TITLE_PATTERNS))
        c = rng.randrange(len(CONTEXTS))
        keys = {"tp": (t, p), "tc": (t, c), "pc": (p, c)}
        if any(keys[rule] in used[rule] for rule in rules):
            continue
        if _format_title(t, p, c) not in used["title"]:
            return t, p, c
    return None


def plan_dates(rng: random.Random, count: int) -> list[tuple[dt.date, str]]:
    """Distinct, increasing days written in a mixture of YAML date forms."""
    day = dt.date(2015, 1, 5) + dt.timedelta(days=rng.randrange(365))
    dates = []
    for _ in range(count):
        form = rng.choices(["date", "datetime", "offset"], [4, 3, 3])[0]
        clock = f"{rng.randint(7, 20):02d}:{rng.choice([0, 15, 30, 45]):02d}:00"
        if form == "date":
            text = day.isoformat()
        elif form == "datetime":
            text = f"{day.isoformat()} {clock}"
        else:
            offset = rng.choice(["+00:00", "+01:00", "+02:00", "-02:00"])
            text = f"{day.isoformat()}T{clock}{offset}"
        dates.append((day, text))
        day += dt.timedelta(days=rng.randint(1, 3))
    return dates


def plan_sections(rng: random.Random) -> list[Section]:
    """Choose a heading level habit and unique section/subsection headings."""
    base = rng.choices([1, 2, 3], [1, 2, 1])[0]
    seen: set[str] = set()

    def make(level: int, fixed: list[str], patterns: list[str]) -> Heading:
        while True:
            if rng.random() < 0.6:
                text = rng.choice(fixed)
            else:
                text = rng.choice(patterns).format(N=title_case(rng.choice(NOUNS)))
            ident = heading_identifier(text)
            if ident not in seen:
                seen.add(ident)
                return Heading(level, text, ident)

    sections = []
    for _ in range(rng.randint(3, 6)):
        section = Section(make(base, SECTION_HEADINGS, SECTION_PATTERNS))
        for _ in range(rng.choices([0, 1, 2, 3], [4, 3, 2, 1])[0]):
            section.subsections.append(
                make(base + 1, SUBSECTION_HEADINGS, SUBSECTION_PATTERNS))
        sections.append(section)
    closing = make(base, CLOSING_HEADINGS, CLOSING_HEADINGS)
    sections.append(Section(closing))
    return sections


def plan_posts(count: int, seed: int) -> list[PostPlan]:
    rng = random.Random(f"chapbook-bench-plan:{seed}")
    titles = pick_titles(rng, count)
    dates = plan_dates(rng, count)
    posts, slugs = [], set()
    for index, ((title, topic, context), (day, date_text)) in enumerate(zip(titles, dates)):
        slug, custom = _plan_slug(rng, title, topic, context, slugs)
        slugs.add(slug)
        extra = rng.sample(TAGS, rng.randint(1, 3))
        tags = ["bench", *extra] if rng.random() < 0.7 else [*extra, "bench"]
        description = rng.choice(DESCRIPTION_PATTERNS).format(t=topic, c=context)
        posts.append(PostPlan(index, title, topic, slug, custom, day, date_text,
                              tags, description[0].upper() + description[1:],
                              plan_sections(rng)))
    return posts


def _plan_slug(rng, title, topic, context, taken):
    """Most posts derive the slug from the title; some set a short one."""
    if rng.random() < 0.25:
        short = slugify(f"{topic} {context}")
        if short not in taken:
            return short, True
    slug = base = slugify(title)
    suffix = 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug, False


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------


# A wrapped paragraph line starting like this would open a different block.
UNSAFE_LINE_START = re.compile(
    r"(?:[-+*:]|#{1,6}|\d{1,9}[.)])(?:\s|$)|[>|]|```|~~~|=+\s*$")


class PostWriter:
    """Renders one planned post to Markdown with its own random stream."""

    def __init__(self, plan: PostPlan, posts: list[PostPlan], seed: int):
        self.plan = plan
        self.posts = posts
        self.rng = random.Random(f"chapbook-bench-post:{seed}:{plan.index}")
        self.wrap = self.rng.random() < 0.4
        self.bullet = self.rng.choice(["-", "-", "*"])
        self.tables_left = self.rng.choice([0, 0, 1, 1, 2])
        self.code_weight = self.rng.choice([2, 3, 5])
        self.footnotes = self._choose_footnotes()
        self.pending = self._choose_links() + [f"[^{label}]" for label in self.footnotes]
        self.rng.shuffle(self.pending)

    # -- document ---------------------------------------------------------

    def render(self) -> str:
        # Leave room for the closing paragraph and footnote definitions.
        target = self.rng.randint(6000, 10000) - 250 * len(self.footnotes) - 300
        headings = self.plan.headings()
        body = [SERIES_LINE]
        body += [self.paragraph() for _ in range(self.rng.randint(1, 2))]
        for done, heading in enumerate(headings):
            size = sum(len(block) + 2 for block in body)
            body += self.unit(heading, (target - size) // (len(headings) - done))
        if self.pending:
            body.append(self.paragraph(flush=True))
        body += [self.footnote_definition(label) for label in self.footnotes]
        return self.front_matter() + "\n\n" + "\n\n".join(body) + "\n"

    def front_matter(self) -> str:
        plan = self.plan
        lines = ["---", f'title: "{plan.title}"', f"date: {plan.date_text}",
                 f"tags: [{', '.join(plan.tags)}]",
                 f'description: "{plan.description}"']
        if plan.custom_slug:
            lines.append(f"slug: {plan.slug}")
        lines.append("---")
        return "\n".join(lines)

    def unit(self, heading: Heading, budget: int) -> list[str]:
        """A heading, a mandatory paragraph, then blocks up to the budget."""
        blocks = ["#" * heading.level + " " + heading.text, self.paragraph()]
        size = len(blocks[1]) + len(heading.text)
        while size < budget:
            block = self.block()
            blocks.append(block)
            size += len(block)
        return blocks

    def block(self) -> str:
        kinds = [("paragraph", 10), ("bullets", 2), ("numbered", 1),
                 ("code", self.code_weight), ("quote", 1),
                 ("table", 1 if self.tables_left else 0)]
        kind = self.rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        if kind == "table":
            self.tables_left -= 1
        return getattr(self, kind)()

    # -- prose --------------------------------------------------------------

    def sentences(self, count: int) -> list[str]:
        """``count`` sentences from distinct templates."""
        return [self.sentence(t) for t in self.rng.sample(SENTENCES, count)]

    def sentence(self, template: str | None = None) -> str:
        chosen: dict[str, str] = {}

        def fill(match: re.Match) -> str:
            name = match.group(1)
            if name not in chosen:
                value = self._slot(name.rstrip("0123456789"))
                while value in chosen.values():
                    value = self._slot(name.rstrip("0123456789"))
                chosen[name] = value
            return chosen[name]

        text = re.sub(r"\{(\w+)\}", fill, template or self.rng.choice(SENTENCES))
        text = re.sub(r"\b([Aa]) (\**[aeiouAEIOU])", r"\1n \2", text)
        return text[0].upper() + text[1:]

    def _slot(self, kind: str) -> str:
        rng = self.rng
        if kind == "n":
            noun = rng.choice(NOUNS)
            return f"**{noun}**" if rng.random() < 0.05 else noun
        if kind == "adj":
            adj = rng.choice(ADJECTIVES)
            return f"*{adj}*" if rng.random() < 0.12 else adj
        verb_forms = {"vb": 0, "vbs": 1, "vpast": 2, "ger": 3}
        if kind in verb_forms:
            return rng.choice(VERBS)[verb_forms[kind]]
        simple = {
            "adv": lambda: rng.choice(ADVERBS),
            "person": lambda: rng.choice(PEOPLE),
            "time": lambda: rng.choice(TIMES),
            "word": lambda: rng.choice(NUMBER_WORDS),
            "code": lambda: f"`{rng.choice(COMMANDS)}`",
            "ident": lambda: f"`{rng.choice(IDENTIFIERS)}`",
            "setting": lambda: f"`{rng.choice(SETTINGS)}`",
            "num": lambda: str(rng.randint(12, 900)),
            "small": lambda: str(rng.randint(2, 11)),
            "topic": lambda: self.plan.topic,
        }
        return simple[kind]()

    def paragraph(self, flush: bool = False) -> str:
        """3-6 sentences; may carry a pending link or footnote reference.

        With ``flush`` every pending item is placed, so nothing planned is lost.
        """
        sentences = self.sentences(self.rng.randint(3, 6))
        if self.pending and self.rng.random() < 0.35:
            self._attach(sentences, self.pending.pop())
        while flush and self.pending:
            self._attach(sentences, self.pending.pop())
        text = " ".join(sentences)
        return self._wrap(text) if self.wrap else text

    def _attach(self, sentences: list[str], item: str) -> None:
        if item.startswith("[^"):
            position = self.rng.randrange(len(sentences))
            sentences[position] += item
        else:
            sentences.insert(self.rng.randint(1, len(sentences)), item)

    def _wrap(self, text: str) -> str:
        lines = textwrap.wrap(text, width=self.rng.choice([72, 80]),
                              break_long_words=False, break_on_hyphens=False)
        # A wrapped line must never look like the start of another block.
        if any(UNSAFE_LINE_START.match(line) for line in lines[1:]):
            return text
        return "\n".join(lines)

    # -- other blocks -------------------------------------------------------

    def bullets(self) -> str:
        items = []
        for _ in range(self.rng.randint(3, 6)):
            sentence = self.sentence()
            if self.rng.random() < 0.4:
                label = title_case(self.rng.choice(NOUNS))
                sentence = f"**{label}.** {sentence}"
            items.append(f"{self.bullet} {sentence}")
            if self.rng.random() < 0.12:
                items.append(f"  {self.bullet} {self.sentence()}")
        return "\n".join(items)

    def numbered(self) -> str:
        count = self.rng.randint(3, 6)
        return "\n".join(f"{i}. {self.sentence()}" for i in range(1, count + 1))

    def quote(self) -> str:
        text = " ".join(self.sentence() for _ in range(self.rng.randint(1, 2)))
        lines = [f"> {text}"]
        if self.rng.random() < 0.5:
            lines += [">", f"> \u2014 {self.rng.choice(QUOTE_ATTRIBUTIONS)}"]
        return "\n".join(lines)

    def table(self) -> str:
        rng = self.rng
        header = "| Approach | p50 (ms) | p99 (ms) | Notes |"
        rows = [header, "|---|---:|---:|---|"]
        for noun in rng.sample(NOUNS, rng.randint(3, 5)):
            p50 = rng.randint(2, 90)
            rows.append(f"| {title_case(noun)} | {p50} | {p50 * rng.randint(2, 12)} "
                        f"| {rng.choice(TABLE_NOTES)} |")
        return "\n".join(rows)

    def code(self) -> str:
        languages = [lang for lang, _ in CODE_LANGUAGE_WEIGHTS]
        weights = [w for _, w in CODE_LANGUAGE_WEIGHTS]
        language = self.rng.choices(languages, weights)[0]
        template = self.rng.choice(CODE_TEMPLATES[language])
        chosen: dict[str, str] = {}  # repeated slots share one value

        def fill(match: re.Match) -> str:
            name = match.group(1)
            if name not in chosen:
                chosen[name] = self._code_slot(name)
            return chosen[name]

        body = re.sub(r"\{\{(\w+)\}\}", fill, template)
        return f"```{language}\n{body}\n```"

    def _code_slot(self, name: str) -> str:
        rng = self.rng
        if name in ("fn", "camel", "crate"):
            fn = rng.choice(CODE_FUNCS)
            if name == "camel":
                return re.sub(r"_(\w)", lambda m: m.group(1).upper(), fn)
            return fn.replace("_", "-") if name == "crate" else fn
        if name == "date":
            return (f"{self.plan.date.isoformat()}T{rng.randint(7, 20):02d}:"
                    f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z")
        slots = {
            "cls": lambda: rng.choice(CODE_CLASSES),
            "field": lambda: rng.choice(CODE_FIELDS),
            "method": lambda: rng.choice(CODE_METHODS),
            "state": lambda: rng.choice(CODE_STATES),
            "host": lambda: rng.choice(CODE_HOSTS[:2]),
            "host2": lambda: rng.choice(CODE_HOSTS[2:]),
            "service": lambda: rng.choice(CODE_SERVICES),
            "small": lambda: str(rng.randint(2, 9)),
            "small2": lambda: str(rng.randint(0, 20)),
            "num": lambda: str(rng.randint(10, 500)),
            "big": lambda: str(rng.randint(1000, 99999)),
            "secs": lambda: f"{rng.uniform(0.2, 40):.2f}",
            "dots": lambda: "." * rng.randint(8, 40),
            "hex": lambda: f"{rng.getrandbits(64):016x}",
        }
        return slots[name]()

    # -- links and footnotes ------------------------------------------------

    def _choose_footnotes(self) -> list[str]:
        count = self.rng.choices([0, 1, 2, 3], [3, 3, 2, 1])[0]
        if self.rng.random() < 0.6:
            return [str(i) for i in range(1, count + 1)]
        return self.rng.sample(NAMED_FOOTNOTES, count)

    def _choose_links(self) -> list[str]:
        rng = self.rng
        links = []
        others = [p for p in self.posts if p.index != self.plan.index]
        if others:
            for _ in range(rng.randint(1, 4)):
                links.append(self._internal_link(self._pick_target(others)))
        for _ in range(rng.choices([0, 1, 2], [3, 4, 2])[0]):
            text, url = rng.choice(EXTERNAL_SOURCES)
            template = rng.choice(EXTERNAL_LINKS)
            links.append(template.format(text=text, Text=text[0].upper() + text[1:],
                                         url=url))
        return links

    def _pick_target(self, others: list[PostPlan]) -> PostPlan:
        if self.rng.random() < 0.5:
            index = self.plan.index + self.rng.choice([-2, -1, 1, 2])
            if 0 <= index < len(self.posts):
                return self.posts[index]
        return self.rng.choice(others)

    def _internal_link(self, target: PostPlan) -> str:
        if self.rng.random() < 0.4:
            heading = self.rng.choice(target.headings())
            return self.rng.choice(ANCHOR_LINKS).format(
                heading=heading.text, slug=target.slug, ident=heading.ident)
        return self.rng.choice(INTERNAL_LINKS).format(title=target.title,
                                                      slug=target.slug)

    def footnote_definition(self, label: str) -> str:
        text = " ".join(self.sentence() for _ in range(self.rng.randint(1, 2)))
        if self.rng.random() < 0.3:
            text += " " + self._choose_external()
        return f"[^{label}]: {text}"

    def _choose_external(self) -> str:
        text, url = self.rng.choice(EXTERNAL_SOURCES)
        return f"See [{text}]({url})."


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def write_book(count: int, out_dir: Path, seed: int = 1) -> int:
    """Write book.yml and ``count`` posts into ``out_dir``; return bytes written."""
    posts = plan_posts(count, seed)
    post_dir = out_dir / "posts"
    post_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_posts(post_dir, {plan.filename for plan in posts})
    total = _write(out_dir / "book.yml", BOOK_YML)
    for plan in posts:
        total += _write(post_dir / plan.filename, PostWriter(plan, posts, seed).render())
    return total


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def _remove_stale_posts(post_dir: Path, keep: set[str]) -> None:
    """Delete posts left by an earlier run (only files this script wrote)."""
    for path in sorted(post_dir.glob("*.md")):
        if path.name not in keep and SERIES_LINE in path.read_text("utf-8"):
            path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", metavar="N", type=int, help="number of posts")
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("N must be at least 1")
    print(write_book(args.count, args.out_dir, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
