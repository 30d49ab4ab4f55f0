"""compiler.compile.pandoc: a small pool of long-lived pandoc processes, with time and memory limits."""

from __future__ import annotations

import subprocess

import pytest

from compiler.compile import pandoc


@pytest.fixture
def started(monkeypatch) -> list:
    """The commands of the processes started while the test runs."""
    commands = []
    real = subprocess.Popen

    def spy(*args, **kwargs):
        commands.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", spy)
    return commands


def test_many_posts_few_processes(started):
    texts = [f"# Post {i}\n\nText[^1] with `code`.\n\n[^1]: note {i}\n\n```text\nplain\n```\n" for i in range(30)]
    results = pandoc.read_many(texts, "commonmark_x")
    assert len(started) <= 2
    assert all(r.error is None for r in results)
    # each post parsed on its own: footnotes do not collide, order is kept
    assert [r.value["blocks"][0]["c"][2][2]["c"] for r in results] == [str(i) for i in range(30)]


def test_bad_request_is_reported_and_the_rest_goes_on():
    results = pandoc.read_many(["ok"], "nosuchformat") + pandoc.read_many(["fine"], "commonmark_x")
    assert results[0].error and "nosuchformat" in results[0].error
    assert results[1].error is None


def test_time_limit_kills_and_restarts(monkeypatch):
    monkeypatch.setattr(pandoc, "TIME_LIMIT", 1.0)
    monkeypatch.setenv("CHAPBOOK_PANDOC_WORKERS", "1")
    slow = "[" * 30000  # pandoc's `markdown` reader takes very long on this (SECURITY.md)
    results = pandoc.read_many([slow, "after"], "markdown")
    assert results[0].error and "more than 1 s" in results[0].error
    assert results[1].error is None


def test_heap_cap_stops_a_runaway_post(monkeypatch):
    """With the cap, a post needing more heap fails (GHC thrashes, then the time limit ends it);
    without the cap the same post parses in about 3 s of CPU."""
    monkeypatch.setattr(pandoc, "HEAP_LIMIT", "64m")
    monkeypatch.setattr(pandoc, "TIME_LIMIT", 10.0)
    monkeypatch.setenv("CHAPBOOK_PANDOC_WORKERS", "1")
    big = "\n\n".join(f"- item {i} *em* **strong** `code` [l](u{i})" for i in range(40000))
    results = pandoc.read_many([big, "small"], "commonmark_x")
    assert results[0].error and ("memory" in results[0].error or "more than" in results[0].error)
    assert results[1].error is None


def test_write_html():
    (doc,) = pandoc.read_many(["# T\n\nx"], "commonmark_x")
    (html,) = pandoc.write_many([doc.value], "html5", {"wrap_text": "wrap-none"})
    assert html.value == '<h1 id="t">T</h1>\n<p>x</p>'


def test_docs_made_on_demand_are_rendered_in_order():
    (doc,) = pandoc.read_many(["# T\n\nx"], "commonmark_x")
    made = []

    def later(i):
        def make():
            made.append(i)
            return {**doc.value, "blocks": doc.value["blocks"] + [{"t": "Para", "c": [{"t": "Str", "c": str(i)}]}]}
        return make

    results = pandoc.write_many([later(i) for i in range(5)], "html5", {"wrap_text": "wrap-none"})
    assert [r.value.rsplit("<p>", 1)[1] for r in results] == [f"{i}</p>" for i in range(5)]
    assert sorted(made) == list(range(5))


def test_a_bug_in_a_callback_is_raised_not_reported_as_a_pandoc_failure(monkeypatch):
    """Chapbook's own errors must reach the CLI (exit 3), not pass for a broken post, nor wait
    for the time limit."""
    import time

    import pytest

    monkeypatch.setattr(pandoc, "TIME_LIMIT", 20.0)

    def broken():
        raise KeyError("bug in a doc function")

    start = time.perf_counter()
    with pytest.raises(KeyError, match="bug in a doc function"):
        pandoc.write_many([broken, broken], "html5")
    with pytest.raises(ZeroDivisionError):
        pandoc.read_many(["a", "b", "c"], "commonmark_x", finish=lambda i, ast: 1 / 0)
    assert time.perf_counter() - start < 10


def test_a_fresh_process_every_recycle_requests_and_a_bounded_window(monkeypatch, started):
    """Each pandoc answers at most RECYCLE requests (its memory does not grow with the book), and
    the feeding thread never gets more than WINDOW requests ahead of the finished ones."""
    import threading
    import time

    monkeypatch.setattr(pandoc, "RECYCLE", 5)
    monkeypatch.setattr(pandoc, "WINDOW", 2)
    made, finished, lock, ahead = [], [], threading.Lock(), []

    def doc(i):
        def make():
            with lock:
                made.append(i)
                ahead.append(len(made) - len(finished))
            return {"pandoc-api-version": [1, 23, 1, 1], "meta": {}, "blocks": [{"t": "Para", "c": [{"t": "Str", "c": f"p{i}"}]}]}
        return make

    def finish(i, text):
        time.sleep(0.02)    # Python slower than pandoc: the window holds the feeder back
        with lock:
            finished.append(i)
        return text

    results = pandoc.write_many([doc(i) for i in range(20)], "html", finish=finish)
    assert [r.value for r in results] == [f"<p>p{i}</p>" for i in range(20)]
    assert len(started) == 4                      # 2 workers x 10 requests, 5 per process
    assert max(ahead) <= 2 * 2                    # two workers, each at most WINDOW ahead
