/* Chapbook reader script: colour scheme toggle, contents toggle, search.
 * Runs from <head> so the chosen scheme applies before the first paint; everything else waits for
 * the document. No dependencies, no network: the search index is a script beside the pages
 * (or inline in a single-file book). Nothing here may throw when storage is unavailable (file://,
 * private windows): the reader's choice is then simply not remembered. */
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "chapbook-theme";

  function readChoice() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function saveChoice(value) {
    try { window.localStorage.setItem(KEY, value); } catch (e) { /* not remembered */ }
  }

  var choice = readChoice();
  if (choice === "dark" || choice === "light") { root.setAttribute("data-theme", choice); }
  root.classList.add("js");

  function scheme() {
    var chosen = root.getAttribute("data-theme");
    if (chosen) { return chosen; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function setupThemeToggle() {
    var button = document.getElementById("cb-theme-toggle");
    if (!button) { return; }
    function sync() { button.setAttribute("aria-pressed", scheme() === "dark" ? "true" : "false"); }
    button.hidden = false;
    sync();
    button.addEventListener("click", function () {
      var next = scheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      saveChoice(next);
      sync();
    });
    if (window.matchMedia) {
      var query = window.matchMedia("(prefers-color-scheme: dark)");
      if (query.addEventListener) { query.addEventListener("change", sync); }
    }
  }

  function setupContents() {
    var button = document.getElementById("cb-toc-toggle");
    var toc = document.getElementById("cb-toc");
    if (!button || !toc) { return; }
    button.hidden = false;
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      root.classList.toggle("toc-open", open);
    }
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    toc.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("a")) { show(false); }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && root.classList.contains("toc-open")) { show(false); button.focus(); }
    });
    var current = toc.querySelector("[aria-current]");
    if (current && toc.scrollHeight > toc.clientHeight) {
      toc.scrollTop = Math.max(0, current.offsetTop - toc.clientHeight / 3);
    }
  }

  /* A single-file book marks the chapter being read in the contents as the reader scrolls. */
  function setupScrollSpy() {
    if (root.getAttribute("data-mode") !== "single" || !("IntersectionObserver" in window)) { return; }
    var links = {};
    var nodes = document.querySelectorAll("#cb-toc a[href^='#']");
    for (var i = 0; i < nodes.length; i++) { links[nodes[i].getAttribute("href").slice(1)] = nodes[i]; }
    var marked = null;
    var observer = new IntersectionObserver(function (seen) {
      seen.forEach(function (entry) {
        var link = links[entry.target.id];
        if (!entry.isIntersecting || !link) { return; }
        if (marked) { marked.removeAttribute("aria-current"); }
        link.setAttribute("aria-current", "location");
        marked = link;
      });
    }, { rootMargin: "0px 0px -70% 0px" });
    var chapters = document.querySelectorAll(".chapter > header h1[id]");
    for (var j = 0; j < chapters.length; j++) { observer.observe(chapters[j]); }
  }

  /* --- search ------------------------------------------------------------------------------ */

  var MAX_RESULTS = 50;

  function fold(text) { return text.toLowerCase(); }

  function prepare(data) {
    return data.sections.map(function (s) {
      var page = data.pages[s[0]];
      return {
        href: page[0].charAt(0) === "#" ? "#" + s[1] : (s[1] === data.pages[s[0]][2] ? page[0] : page[0] + "#" + s[1]),
        chapter: page[1], heading: s[2], text: s[3],
        foldedHeading: fold(s[2] + " " + page[1]), foldedText: fold(s[3])
      };
    });
  }

  function terms(query) {
    return fold(query).split(/\s+/).filter(function (t) { return t.length > 0; });
  }

  function count(haystack, needle) {
    var n = 0, at = haystack.indexOf(needle);
    while (at !== -1 && n < 20) { n++; at = haystack.indexOf(needle, at + needle.length); }
    return n;
  }

  function search(index, words) {
    var found = [];
    for (var i = 0; i < index.length; i++) {
      var s = index[i], score = 0, ok = true;
      for (var w = 0; w < words.length && ok; w++) {
        var inHeading = s.foldedHeading.indexOf(words[w]) !== -1;
        var times = count(s.foldedText, words[w]);
        if (!inHeading && times === 0) { ok = false; }
        score += (inHeading ? 10 : 0) + times;
      }
      if (ok) { found.push({ section: s, score: score, order: i }); }
    }
    found.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    return found;
  }

  function snippet(section, words) {
    var text = section.text, at = -1;
    for (var w = 0; w < words.length && at === -1; w++) { at = section.foldedText.indexOf(words[w]); }
    if (at === -1) { return text.slice(0, 160) + (text.length > 160 ? "…" : ""); }
    var start = Math.max(0, at - 60), end = Math.min(text.length, at + 120);
    if (start > 0) { var space = text.indexOf(" ", start); if (space !== -1 && space < at) { start = space + 1; } }
    if (end < text.length) { var last = text.lastIndexOf(" ", end); if (last > at) { end = last; } }
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }

  function highlighted(text, words) {
    var fragment = document.createDocumentFragment();
    var folded = fold(text), pos = 0;
    while (pos < text.length) {
      var next = -1, length = 0;
      for (var w = 0; w < words.length; w++) {
        var at = folded.indexOf(words[w], pos);
        if (at !== -1 && (next === -1 || at < next)) { next = at; length = words[w].length; }
      }
      if (next === -1) { break; }
      fragment.appendChild(document.createTextNode(text.slice(pos, next)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(next, next + length);
      fragment.appendChild(mark);
      pos = next + length;
    }
    fragment.appendChild(document.createTextNode(text.slice(pos)));
    return fragment;
  }

  function setupSearch() {
    var box = document.getElementById("cb-search");
    var input = document.getElementById("cb-search-input");
    var panel = document.getElementById("cb-search-results");
    if (!box || !input || !panel) { return; }
    box.hidden = false;
    var index = null, loading = false, timer = null, listed = null;   // listed: the query the panel shows
    var labels = {
      none: box.getAttribute("data-label-none") || "No results for",
      one: box.getAttribute("data-label-one") || "result for",
      some: box.getAttribute("data-label-some") || "results for",
      more: box.getAttribute("data-label-more") || "Showing the first",
      failed: box.getAttribute("data-label-failed") || "The search index could not be loaded."
    };

    function status(text) {
      var p = document.createElement("p");
      p.className = "search-status";
      p.textContent = text;
      return p;
    }

    function close() {
      panel.hidden = true;
      panel.textContent = "";
      listed = null;
    }

    function show() {
      var query = input.value.trim();
      if (!query) { close(); return; }
      if (!index) { load(); return; }
      // The same query already listed (the index's arrival and the typing timer both call this):
      // the list is not built again, so a result is never replaced under the reader's pointer.
      if (query === listed && !panel.hidden) { return; }
      listed = query;
      var words = terms(query);
      var found = search(index, words);
      panel.textContent = "";
      panel.hidden = false;
      if (!found.length) { panel.appendChild(status(labels.none + " “" + query + "”")); return; }
      panel.appendChild(status(found.length + " " + (found.length === 1 ? labels.one : labels.some) + " “" + query + "”" +
        (found.length > MAX_RESULTS ? " (" + labels.more + " " + MAX_RESULTS + ")" : "")));
      var list = document.createElement("ol");
      list.className = "search-list";
      found.slice(0, MAX_RESULTS).forEach(function (hit) {
        var s = hit.section;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = s.href;
        var title = document.createElement("span");
        title.className = "search-title";
        title.textContent = s.chapter + (s.heading !== s.chapter ? " › " + s.heading : "");
        link.appendChild(title);
        item.appendChild(link);
        var excerpt = document.createElement("p");
        excerpt.className = "search-excerpt";
        excerpt.appendChild(highlighted(snippet(s, words), words));
        item.appendChild(excerpt);
        list.appendChild(item);
      });
      panel.appendChild(list);
    }

    function load() {
      if (window.chapbookSearchIndex) { index = prepare(window.chapbookSearchIndex); show(); return; }
      if (loading) { return; }
      loading = true;
      var script = document.createElement("script");
      script.src = box.getAttribute("data-index");
      script.onload = function () {
        if (window.chapbookSearchIndex) { index = prepare(window.chapbookSearchIndex); show(); }
      };
      script.onerror = function () {
        panel.hidden = false;
        panel.textContent = "";
        panel.appendChild(status(labels.failed));
      };
      document.head.appendChild(script);
    }

    input.addEventListener("focus", function () { if (!index) { load(); } });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(show, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { input.value = ""; close(); }
      if (event.key === "Enter") {
        clearTimeout(timer);
        show();
        var first = panel.querySelector("a");
        if (first) { first.click(); }
      }
    });
    panel.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("a")) { close(); input.blur(); }
    });
    document.addEventListener("keydown", function (event) {
      var typing = /^(input|textarea|select)$/i.test(event.target.tagName) || event.target.isContentEditable;
      if (!typing && (event.key === "/" || event.key === "s") && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  function start() {
    setupThemeToggle();
    setupContents();
    setupScrollSpy();
    setupSearch();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
