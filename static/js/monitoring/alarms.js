// Alarm centre (报警中心), both ends: new alarms of the followed topic (the enterprise, or the
// regulator's region) appear at the top of the active list with a highlight, a beep and a toast;
// escalations and clears update the rows already shown.
(function () {
  "use strict";
  var root = document.getElementById("alarm-centre");
  if (!root || !window.AnquanLive || !root.dataset.key) { return; }
  var live = window.AnquanLive;
  var URGENT = { high_high: 1, low_low: 1, state: 1 };
  var tbody = document.querySelector("#alarm-table tbody");
  var columns = Array.prototype.map.call(document.querySelectorAll("#alarm-table thead th"), function (th) {
    return th.dataset.col;
  });
  // New rows go on top only where the newest alarms are listed: the first page of the active tab.
  var prepends = root.dataset.tab === "active" && root.dataset.firstPage === "1";

  function urlFor(template, id) { return template.replace(/\/0(?=\/|$)/, "/" + id); }

  function el(tag, className, textContent) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (textContent !== undefined) { node.textContent = textContent; }
    return node;
  }

  function badge(level) { return el("span", "mon-badge mon-level-" + level, live.levelLabel(level)); }

  function cell(key, alarm) {
    var td = el("td");
    if (key === "started") {
      td.className = "text-nowrap";
      var link = el("a", "", live.stamp(alarm.started_at, true));
      link.href = urlFor(root.dataset.detailUrl, alarm.id);
      td.appendChild(link);
    } else if (key === "enterprise") {
      var ent = el("a", "", alarm.enterprise_name || "");
      ent.href = "/gov/enterprises/" + alarm.enterprise + "/";
      td.appendChild(ent);
    } else if (key === "point") {
      td.append(el("code", "", alarm.point_code || ""), document.createTextNode(" " + (alarm.point_name || "")));
    } else if (key === "side") {
      td.textContent = ((live.t("sides", {}) || {})[alarm.side]) || alarm.side;
    } else if (key === "level") {
      td.className = "alarm-level";
      td.appendChild(badge(alarm.level));
    } else if (key === "threshold") {
      td.className = "text-end";
      td.textContent = alarm.threshold === null || alarm.threshold === undefined ? "" : String(alarm.threshold);
    } else if (key === "values") {
      td.className = "text-end text-nowrap";
      td.append(document.createTextNode(live.fmt(alarm.peak_value) + " / " + live.fmt(alarm.last_value) + " "),
        el("small", "text-muted", alarm.unit || ""));
    } else if (key === "status") {
      td.className = "alarm-status text-nowrap";
      td.appendChild(el("span", "badge text-bg-danger", live.t("active", "Active")));
    } else if (key === "handled") {
      td.appendChild(el("span", "text-muted", live.t("no", "No")));
    }
    return td;
  }

  function prepend(alarm) {
    if (document.getElementById("alarm-" + alarm.id)) { return; }
    var empty = tbody.querySelector(".alarm-empty");
    if (empty) { empty.remove(); }
    var tr = el("tr", "mon-new");
    tr.id = "alarm-" + alarm.id;
    tr.dataset.alarm = alarm.id;
    columns.forEach(function (key) { tr.appendChild(cell(key, alarm)); });
    tbody.insertBefore(tr, tbody.firstChild);
  }

  // The event carries ids; the list row needs names: read the alarm from the API (scoped as the page).
  function fetchAlarm(id) {
    return fetch(urlFor(root.dataset.apiUrl, id), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  function onEvent(e) {
    var row = document.getElementById("alarm-" + e.alarm);
    if (e.kind === "alarm.cleared") {
      if (row) {
        var status = row.querySelector(".alarm-status");
        if (status) { status.textContent = ""; status.appendChild(el("span", "badge text-bg-secondary", live.t("cleared", "Cleared"))); }
        row.classList.add("text-muted");
      }
      return;
    }
    if (row) {
      var level = row.querySelector(".alarm-level");
      if (level) { level.textContent = ""; level.appendChild(badge(e.level)); }
    }
    if (!live.notifies(e.kind)) { return; }
    live.beep(!!URGENT[e.level]);
    var toast = live.toast({
      title: live.t(e.kind === "alarm.raised" ? "alarm_raised" : "alarm_escalated", "Alarm"),
      body: live.levelLabel(e.level) + (e.value === null || e.value === undefined ? "" : " · " + live.fmt(e.value)),
      href: urlFor(root.dataset.detailUrl, e.alarm),
      level: e.level,
      alarm: e.alarm
    });
    fetchAlarm(e.alarm).then(function (alarm) {
      if (!alarm) { return; }
      var body = toast.querySelector(".toast-body");
      if (body && body.firstChild && body.firstChild.nodeType === 3) {
        body.firstChild.textContent = (alarm.enterprise_name ? alarm.enterprise_name + " · " : "") +
          alarm.point_code + " " + alarm.point_name + " · " + live.fmt(alarm.last_value) + " " + (alarm.unit || "");
      }
      if (prepends && e.kind === "alarm.raised") { prepend(alarm); }
    });
  }

  live.bindMuteToggle(document.getElementById("mute-toggle"));
  live.connect([{ topic: root.dataset.topic, key: root.dataset.key }], {
    onEvent: function (event) {
      if (event.kind === "alarms") { (event.events || []).forEach(onEvent); }
    },
    onStatus: function (state) {
      // Back after a lost connection: alarms raised meanwhile were missed; the server lists them.
      if (state === "live" && root.dataset.live === "disconnected" && prepends) { location.reload(); }
      if (state !== "connecting") { root.dataset.live = state; }
    }
  });
})();
