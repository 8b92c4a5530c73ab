// Keeps a page's #live part up to date without a reload: polls the page's small JSON
// status (data-live-url) and, when its version changes, fetches the page again and
// swaps in the new #live part. Without this script the "Refresh" link does the same.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !live.dataset.liveUrl || !window.fetch || !window.DOMParser) { return; }
  var INTERVAL = parseInt(live.dataset.liveInterval, 10) || 3000;
  var busy = false;

  function typingInside() {
    var active = document.activeElement;
    return active && live.contains(active) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.value;
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
    if (!fresh) { return; }
    live.replaceWith(fresh);
    live = fresh;
  }

  function check() {
    if (busy || document.hidden || typingInside()) { return; }
    busy = true;
    fetch(live.dataset.liveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || data.version === live.dataset.liveVersion) { return null; }
        return fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) { if (html) { swap(html); } });
      })
      .catch(function () { /* the Refresh link still works */ })
      .then(function () { busy = false; });
  }

  window.setInterval(check, INTERVAL);
})();
