// Enterprise status board (实时监测): live values and levels from the enterprise topic, sparklines of
// the last hour (history API, then kept up to date from live values), an alarm toast and beep.
(function () {
  "use strict";
  var root = document.getElementById("mon-board");
  if (!root || !window.AnquanLive) { return; }
  var live = window.AnquanLive;
  var HOUR = 3600;
  var ABNORMAL = { high: 1, high_high: 1, low: 1, low_low: 1, state: 1 };
  var URGENT = { high_high: 1, low_low: 1, state: 1 };
  var stalePeriods = Number(root.dataset.stalePeriods || 2);
  var points = live.readJSON("board-points", []);
  var byId = {};
  points.forEach(function (p) { p.series = []; byId[p.id] = p; });

  // URLs are rendered for object 0; the id takes its place.
  function urlFor(template, id) { return template.replace(/\/0(?=\/|$)/, "/" + id); }
  function row(id) { return document.getElementById("point-" + id); }
  function now() { return Date.now() / 1000; }

  function statusOf(p) {
    if (!p.ts) { return "nodata"; }
    if (!p.online) { return "offline"; }
    if (now() - p.ts > stalePeriods * p.period_s) { return "stale"; }
    return p.level || "normal";
  }

  // ------------------------------------------------------------------ sparklines (inline SVG)

  var SVG = "http://www.w3.org/2000/svg";
  function drawSpark(p) {
    var tr = row(p.id);
    var box = tr && tr.querySelector(".mon-spark");
    if (!box) { return; }
    var cutoff = now() - HOUR;
    p.series = p.series.filter(function (s) { return s[0] >= cutoff; });
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.dataset.count = String(p.series.length);
    if (p.series.length < 2) { return; }
    var values = p.series.map(function (s) { return s[1]; });
    var lines = [p.limits.high, p.limits.low].filter(function (v) { return v !== null && v !== undefined; });
    var lo = Math.min.apply(null, values.concat(lines)), hi = Math.max.apply(null, values.concat(lines));
    if (hi === lo) { hi += 1; lo -= 1; }
    var t0 = p.series[0][0], t1 = Math.max(p.series[p.series.length - 1][0], t0 + 1);
    function x(t) { return ((t - t0) / (t1 - t0)) * 118 + 1; }
    function y(v) { return 27 - ((v - lo) / (hi - lo)) * 26; }
    lines.forEach(function (v) {
      var l = document.createElementNS(SVG, "line");
      l.setAttribute("x1", "0"); l.setAttribute("x2", "120");
      l.setAttribute("y1", y(v).toFixed(1)); l.setAttribute("y2", y(v).toFixed(1));
      box.appendChild(l);
    });
    var poly = document.createElementNS(SVG, "polyline");
    poly.setAttribute("points", p.series.map(function (s) { return x(s[0]).toFixed(1) + "," + y(s[1]).toFixed(1); }).join(" "));
    box.appendChild(poly);
  }

  function epoch(ts) {
    if (typeof ts === "number") { return ts > 1e12 ? ts / 1000 : ts; }
    var parsed = Date.parse(ts);
    return isNaN(parsed) ? null : parsed / 1000;
  }

  // Sparkline history, fetched as rows scroll into view, four at a time.
  var historyUnavailable = false, queue = [], running = 0;
  function loadHistory(p) {
    if (historyUnavailable || p.loaded) { return; }
    p.loaded = true;
    queue.push(p);
    pump();
  }
  function pump() {
    while (running < 4 && queue.length) {
      var p = queue.shift();
      running += 1;
      var since = new Date((now() - HOUR) * 1000).toISOString();
      fetch(urlFor(root.dataset.historyUrl, p.id) + "?since=" + encodeURIComponent(since), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (r) {
          if (r.status === 404 || r.status === 405) { historyUnavailable = true; }
          return r.ok ? r.json() : null;
        })
        .then(function (data) { merge(this, (data && data.series) || []); }.bind(p))
        .catch(function () { /* the sparkline fills from live values instead */ })
        .then(function () { running -= 1; pump(); });
    }
  }
  function merge(p, series) {
    var fetched = [];
    series.forEach(function (s) {
      var t = epoch(s[0]), v = s[1];
      if (t !== null && v !== null && v !== undefined) { fetched.push([t, Number(v)]); }
    });
    var first = p.series.length ? p.series[0][0] : Infinity;
    p.series = fetched.filter(function (s) { return s[0] < first; }).concat(p.series);
    drawSpark(p);
  }

  if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          var p = byId[entry.target.dataset.point];
          if (p) { loadHistory(p); }
        }
      });
    }, { rootMargin: "200px" });
    points.forEach(function (p) { var tr = row(p.id); if (tr) { observer.observe(tr); } });
  } else {
    points.forEach(loadHistory);
  }

  // ------------------------------------------------------------------ rows

  function render(p, flash) {
    var tr = row(p.id);
    if (!tr) { return; }
    var status = statusOf(p);
    Array.prototype.slice.call(tr.classList).forEach(function (c) {
      if (c.indexOf("mon-level-") === 0) { tr.classList.remove(c); }
    });
    tr.classList.add("mon-level-" + status);
    // a late value keeps its alarm highlight: the last thing known is that it was out of limits
    tr.classList.toggle("mon-abnormal", !!ABNORMAL[status] || (status === "stale" && !!ABNORMAL[p.level]));
    tr.dataset.status = status;
    tr.querySelector(".mon-value-number").textContent = live.fmt(p.value);
    var badge = tr.querySelector(".mon-level");
    badge.className = "mon-badge mon-level mon-level-" + status;
    badge.textContent = live.levelLabel(status);
    tr.querySelector(".mon-ts").textContent = live.timeText(p.ts);
    if (flash) {
      tr.classList.remove("mon-flash");
      void tr.offsetWidth; // restart the animation
      tr.classList.add("mon-flash");
    }
    drawSpark(p);
  }

  function onValues(rows) {
    rows.forEach(function (r) {
      var p = byId[r[0]];
      if (!p || (p.ts && r[1] < p.ts)) { return; }
      p.ts = r[1]; p.value = r[2]; p.level = r[3] || "normal"; p.online = true;
      p.series.push([r[1], r[2]]);
      render(p, true);
    });
  }

  function counter(id, delta) {
    var el = document.getElementById(id);
    if (el) { el.textContent = String(Math.max(0, Number(el.textContent || 0) + delta)); }
  }

  function setAlarmLink(p, event) {
    var tr = row(p.id);
    var cell = tr && tr.querySelector(".mon-alarm");
    if (!cell) { return; }
    var existing = cell.querySelector('[data-side="' + event.side + '"]');
    if (event.kind === "alarm.cleared") {
      if (existing) { existing.remove(); }
      return;
    }
    if (!existing) {
      existing = document.createElement("a");
      existing.dataset.side = event.side;
      existing.className = "mon-alarm-link me-1";
      cell.appendChild(existing);
    }
    existing.href = urlFor(root.dataset.alarmUrl, event.alarm);
    existing.className = "mon-alarm-link me-1 mon-badge mon-level-" + event.level;
    existing.textContent = live.levelLabel(event.level);
  }

  function sideOf(level) {
    if (level === "high" || level === "high_high") { return "high"; }
    if (level === "low" || level === "low_low") { return "low"; }
    return level === "state" ? "state" : null;
  }

  function describe(event) {
    var tr = row(event.point);
    var name = tr ? tr.dataset.code + " " + tr.dataset.name : live.t("point", "Point") + " #" + event.point;
    var unit = tr ? tr.dataset.unit : "";
    var value = event.value === null || event.value === undefined ? "" : " · " + live.fmt(event.value) + (unit ? " " + unit : "");
    return name + value;
  }

  function onAlarms(events) {
    events.forEach(function (e) {
      var p = byId[e.point];
      if (p) {
        if (e.side === "offline") {
          p.online = e.kind === "alarm.cleared";
        } else if (e.kind === "alarm.cleared") {
          if (sideOf(p.level) === e.side) { p.level = "normal"; }
        } else {
          p.level = e.level;
        }
        setAlarmLink(p, e);
        render(p, false);
      }
      if (e.kind === "alarm.raised") { counter("summary-alarms", 1); }
      if (e.kind === "alarm.cleared") { counter("summary-alarms", -1); }
      if (!live.notifies(e.kind)) { return; }
      live.beep(!!URGENT[e.level]);
      var el = live.toast({
        title: live.t(e.kind === "alarm.raised" ? "alarm_raised" : "alarm_escalated", "Alarm"),
        body: describe(e),
        href: urlFor(root.dataset.alarmUrl, e.alarm),
        level: e.level,
        alarm: e.alarm
      });
      el.dataset.point = e.point;
    });
  }

  live.bindMuteToggle(document.getElementById("mute-toggle"));
  live.connect([{ topic: "enterprise", key: root.dataset.enterprise }], {
    onEvent: function (event) {
      if (event.kind === "values") { onValues(event.points || []); }
      else if (event.kind === "alarms") { onAlarms(event.events || []); }
    },
    onStatus: function (state) {
      // Back after a lost connection: values and alarms pushed meanwhile were missed; the server has them.
      if (state === "live" && root.dataset.live === "disconnected") { location.reload(); }
      if (state !== "connecting") { root.dataset.live = state; }
    }
  });

  // Values not refreshed in time turn "late" without any message arriving.
  setInterval(function () {
    points.forEach(function (p) {
      var tr = row(p.id);
      if (tr && tr.dataset.status !== statusOf(p)) { render(p, false); }
    });
  }, 10000);
})();
