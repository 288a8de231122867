// Live push for the monitoring pages: one websocket to /ws/live/ (session-authenticated), topic
// subscriptions, reconnection with back-off, and the alarm notifier (beep, toast, mute switch).
// Translated strings come from the page (#mon-i18n); nothing here is page-specific.
(function () {
  "use strict";
  var MUTE_KEY = "anquan.monitoring.muted";

  function readJSON(id, fallback) {
    var el = document.getElementById(id);
    if (!el) { return fallback; }
    try { return JSON.parse(el.textContent); } catch (e) { return fallback; }
  }
  var text = readJSON("mon-i18n", {});
  function t(key, fallback) { return text[key] || fallback || key; }

  // ------------------------------------------------------------------ websocket

  function connect(subscriptions, handlers) {
    var socket = null, attempts = 0, closed = false, timer = null;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/live/";

    function status(state) {
      document.querySelectorAll("[data-live-status]").forEach(function (el) {
        el.dataset.liveStatus = state;
        el.className = "badge mon-live " + (state === "live" ? "text-bg-success" : state === "connecting" ? "text-bg-secondary" : "text-bg-danger");
        el.textContent = t("live_" + state, state);
      });
      if (handlers.onStatus) { handlers.onStatus(state); }
    }

    function open() {
      status("connecting");
      try { socket = new WebSocket(url); } catch (e) { retry(); return; }
      socket.onopen = function () {
        attempts = 0;
        subscriptions.forEach(function (s) {
          socket.send(JSON.stringify({ action: "subscribe", topic: s.topic, key: String(s.key) }));
        });
      };
      socket.onmessage = function (message) {
        var data;
        try { data = JSON.parse(message.data); } catch (e) { return; }
        if (data.type === "subscribed") { status("live"); }
        else if (data.type === "error") { status("refused"); }
        else if (data.type === "event" && data.event && handlers.onEvent) { handlers.onEvent(data.event, data); }
      };
      socket.onclose = function () { if (!closed) { status("disconnected"); retry(); } };
    }

    function retry() {
      attempts += 1;
      clearTimeout(timer);
      timer = setTimeout(open, Math.min(30000, 1000 * Math.pow(2, attempts - 1)));
    }

    open();
    return { close: function () { closed = true; clearTimeout(timer); if (socket) { socket.close(); } } };
  }

  // ------------------------------------------------------------------ sound

  var audio = null;
  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return null; }
    if (!audio) { audio = new Ctx(); }
    if (audio.state === "suspended") { audio.resume().catch(function () {}); }
    return audio;
  }
  // Browsers start audio suspended until the user interacts with the page: wake it on the first gesture.
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, function () { audioContext(); }, { once: true, capture: true });
  });

  function isMuted() {
    try { return localStorage.getItem(MUTE_KEY) === "1"; } catch (e) { return false; }
  }

  function beep(urgent) {
    if (isMuted()) { return false; }
    document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
    var ctx = audioContext();
    if (!ctx) { return false; }
    var tones = urgent ? [0, 0.25, 0.5] : [0, 0.25];
    tones.forEach(function (offset) {
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = urgent ? 1046 : 880;
      gain.gain.setValueAtTime(0.0001, ctx.currentTime + offset);
      gain.gain.exponentialRampToValueAtTime(0.15, ctx.currentTime + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + offset + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + offset);
      osc.stop(ctx.currentTime + offset + 0.2);
    });
    return true;
  }

  function bindMuteToggle(button) {
    if (!button) { return; }
    function show() {
      var muted = isMuted();
      button.setAttribute("aria-pressed", muted ? "true" : "false");
      button.dataset.muted = muted ? "1" : "0";
      button.innerHTML = '<i class="bi bi-' + (muted ? "volume-mute" : "volume-up") + '"></i> ';
      button.appendChild(document.createTextNode(muted ? t("unmute", "Unmute") : t("mute", "Mute")));
    }
    button.addEventListener("click", function () {
      try { localStorage.setItem(MUTE_KEY, isMuted() ? "0" : "1"); } catch (e) { /* private mode */ }
      show();
      audioContext();
    });
    show();
  }

  // ------------------------------------------------------------------ toasts

  function toastBox() {
    var box = document.getElementById("mon-toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "mon-toasts";
      box.className = "toast-container position-fixed bottom-0 end-0 p-3";
      document.body.appendChild(box);
    }
    return box;
  }

  // A pop-up for an alarm event: {title, body, href, level, alarm}.
  function toast(options) {
    var el = document.createElement("div");
    el.className = "toast mon-toast border-danger";
    el.setAttribute("role", "alert");
    el.setAttribute("aria-live", "assertive");
    el.dataset.alarm = options.alarm || "";
    var header = document.createElement("div");
    header.className = "toast-header";
    var badge = document.createElement("span");
    badge.className = "mon-badge me-2 mon-level-" + (options.level || "high");
    badge.textContent = levelLabel(options.level);
    var title = document.createElement("strong");
    title.className = "me-auto";
    title.textContent = options.title;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", t("close", "Close"));
    header.append(badge, title, close);
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = options.body || "";
    if (options.href) {
      var link = document.createElement("a");
      link.href = options.href;
      link.className = "d-block mt-1 mon-toast-link";
      link.textContent = t("view_alarm", "View the alarm");
      body.appendChild(link);
    }
    el.append(header, body);
    toastBox().prepend(el);
    if (window.bootstrap && window.bootstrap.Toast) {
      var instance = new window.bootstrap.Toast(el, { autohide: options.level !== "high_high", delay: 20000 });
      el.addEventListener("hidden.bs.toast", function () { el.remove(); });
      instance.show();
    } else {
      el.classList.add("show");
    }
    return el;
  }

  function levelLabel(level) { return (text.levels || {})[level] || level || ""; }

  function fmt(value) {
    if (value === null || value === undefined || value === "") { return "—"; }
    var n = Number(value);
    if (!isFinite(n)) { return String(value); }
    return Math.abs(n) >= 1000 ? n.toFixed(0) : Math.abs(n) >= 100 ? n.toFixed(1) : n.toFixed(2).replace(/\.?0+$/, "") || "0";
  }

  // Times in the deployment's zone (settings.TIME_ZONE, as the server renders them), not the browser's.
  function stamp(moment, withDate) {
    if (moment === null || moment === undefined || moment === "") { return ""; }
    var d = typeof moment === "number" ? new Date(moment * 1000) : new Date(moment);
    if (isNaN(d.getTime())) { return ""; }
    var out;
    try {
      out = d.toLocaleString("sv-SE", { timeZone: text.tz || undefined, hour12: false });
    } catch (e) {
      out = d.toLocaleString("sv-SE", { hour12: false });
    }
    return withDate ? out : out.slice(11);
  }
  function timeText(epochSeconds) { return stamp(epochSeconds, false); }

  // Raised and escalated alarms beep and pop up; de-escalations and clears only update the page.
  function notifies(kind) { return kind === "alarm.raised" || kind === "alarm.escalated"; }

  window.AnquanLive = {
    connect: connect,
    beep: beep,
    toast: toast,
    bindMuteToggle: bindMuteToggle,
    isMuted: isMuted,
    levelLabel: levelLabel,
    fmt: fmt,
    timeText: timeText,
    stamp: stamp,
    tz: text.tz,
    notifies: notifies,
    readJSON: readJSON,
    t: t
  };
})();
