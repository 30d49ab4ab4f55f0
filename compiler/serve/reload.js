// Chapbook live preview: reload on a new build, show build errors in an overlay.
(function () {
  "use strict";
  var script = document.currentScript;
  var build = script ? new URL(script.src).searchParams.get("build") : null;
  var key = "chapbook-scroll:" + location.pathname;
  var overlay = null;
  window.addEventListener("load", function () {
    var saved = sessionStorage.getItem(key);
    if (saved !== null) { sessionStorage.removeItem(key); window.scrollTo(0, Number(saved)); }
  });
  function show(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "chapbook-error-overlay";
      overlay.setAttribute("role", "alert");
      var s = overlay.style;
      s.position = "fixed"; s.left = "0"; s.right = "0"; s.bottom = "0"; s.maxHeight = "60vh";
      s.overflow = "auto"; s.zIndex = "2147483647"; s.margin = "0"; s.padding = "1em 1.5em";
      s.background = "#2b0a0a"; s.color = "#ffd7d7"; s.borderTop = "4px solid #e5484d";
      s.font = "14px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
      var title = document.createElement("strong");
      title.textContent = "Chapbook: the book could not be rebuilt. Still showing the last good build.";
      var pre = document.createElement("pre");
      pre.style.whiteSpace = "pre-wrap"; pre.style.margin = "0.75em 0 0";
      overlay.appendChild(title); overlay.appendChild(pre);
      document.body.appendChild(overlay);
    }
    overlay.lastChild.textContent = text;
  }
  function hide() { if (overlay) { overlay.remove(); overlay = null; } }
  // Server-Sent Events: the server sends the status at once and after every build.
  var events = new EventSource("__EVENTS__");
  events.onmessage = function (message) {
    var s = JSON.parse(message.data);
    if (s.build !== null && String(s.build) !== build) {
      events.close();
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
      return;
    }
    if (s.error) { show(s.error); } else { hide(); }
  };
})();
