// Live warnings (预警推送) on the enterprise risk page and the regulator's warning list: the page follows
// its topic on /ws/live/ (AnquanLive.connect), pops up a toast for each warning event and refreshes the
// parts of the page named in data-refresh from the server — except a form the user is typing into.
(function () {
  "use strict";
  var R = window.AnquanRisk, live = window.AnquanLive;
  var root = document.querySelector("[data-risk-live]");
  if (!root || !live || !root.dataset.key) { return; }
  var selectors = (root.dataset.refresh || "").split(",").filter(Boolean);
  var pending = null;

  function dirty(region) {
    return Array.prototype.some.call(region.querySelectorAll("form[data-dirty-guard] textarea, form[data-dirty-guard] input[type=text], form[data-dirty-guard] input:not([type])"),
      function (input) { return input.value && input.value !== input.defaultValue; });
  }

  function refresh() {
    if (pending) { return pending; }
    pending = fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        pending = null;
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        selectors.forEach(function (selector) {
          var old = document.querySelector(selector), fresh = doc.querySelector(selector);
          if (old && fresh && !dirty(old)) { old.replaceWith(fresh); }
        });
        root.dataset.refreshed = String(Number(root.dataset.refreshed || 0) + 1);
      })
      .catch(function () { pending = null; });
    return pending;
  }

  function onWarning(e) {
    var events = R.t("events", {}) || {};
    var statuses = R.t("statuses", {}) || {};
    var title = (events[e.event] || e.event) + (e.enterprise_name ? " · " + e.enterprise_name : "");
    var body = R.name(e.level) + " · " + (statuses[e.status] || e.status || "");
    R.toast({ title: title, body: body, level: e.level, warning: e.id, event: e.event,
      href: root.dataset.detailUrl ? root.dataset.detailUrl.replace(/\/0\/$/, "/" + e.id + "/") : null });
    refresh().then(function () {
      var row = document.getElementById("warning-" + e.id);
      if (row) { row.classList.add("risk-flash"); }
    });
  }

  live.connect([{ topic: root.dataset.topic, key: root.dataset.key }], {
    onEvent: function (event) { if (event.kind === "warning") { onWarning(event); } },
    onStatus: function (state) {
      // Back after a lost connection: events were missed meanwhile; read the page again.
      if (state === "live" && root.dataset.live === "disconnected") { refresh(); }
      if (state !== "connecting") { root.dataset.live = state; }
    }
  });
})();
