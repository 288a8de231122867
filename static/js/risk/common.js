// Shared by the risk pages (四色风险): the configured levels and colours (#risk-levels, from RiskLevel),
// translated strings (#risk-i18n) and a toast for warning events. Colours are never hard-coded here.
(function () {
  "use strict";
  function readJSON(id, fallback) {
    var el = document.getElementById(id);
    if (!el) { return fallback; }
    try { return JSON.parse(el.textContent); } catch (e) { return fallback; }
  }
  var levels = readJSON("risk-levels", []);
  var text = readJSON("risk-i18n", {});
  var byCode = {};
  levels.forEach(function (l) { byCode[String(l.code)] = l; });
  var NONE = "#adb5bd";  // not graded: not a level

  function level(code) { return byCode[String(code)] || null; }
  function colour(code) { var l = level(code); return l ? l.hex : NONE; }
  function name(code) { var l = level(code); return l ? l.name : (text.not_graded || "—"); }
  function t(key, fallback) { return text[key] || fallback || key; }
  function fmt(value, digits) {
    if (value === null || value === undefined || value === "") { return "—"; }
    var n = Number(value);
    return isFinite(n) ? n.toFixed(digits === undefined ? 1 : digits) : String(value);
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = content; }
    return node;
  }

  function badge(code) {
    var l = level(code);
    var span = el("span", "badge risk-badge " + (l ? "risk-level-" + l.code : "text-bg-light border"), name(code));
    span.dataset.level = l ? String(l.code) : "";
    return span;
  }

  // A pop-up for a warning event: {title, body, href, level, warning}.
  function toast(options) {
    var box = document.getElementById("risk-toasts");
    if (!box) {
      box = el("div", "toast-container position-fixed bottom-0 end-0 p-3");
      box.id = "risk-toasts";
      document.body.appendChild(box);
    }
    var node = el("div", "toast risk-toast");
    node.setAttribute("role", "alert");
    node.setAttribute("aria-live", "assertive");
    node.dataset.warning = options.warning || "";
    node.dataset.event = options.event || "";
    var header = el("div", "toast-header");
    var strong = el("strong", "me-auto", options.title || "");
    var close = el("button", "btn-close");
    close.type = "button";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", t("close", "Close"));
    header.append(badge(options.level), document.createTextNode(" "), strong, close);
    var body = el("div", "toast-body", options.body || "");
    if (options.href) {
      var link = el("a", "d-block mt-1 risk-toast-link", t("view_warning", "View the warning"));
      link.href = options.href;
      body.appendChild(link);
    }
    node.append(header, body);
    box.prepend(node);
    if (window.bootstrap && window.bootstrap.Toast) {
      var instance = new window.bootstrap.Toast(node, { autohide: true, delay: 20000 });
      node.addEventListener("hidden.bs.toast", function () { node.remove(); });
      instance.show();
    } else {
      node.classList.add("show");
    }
    return node;
  }

  // Charts report when drawn (tests and print wait for body[data-risk-charts]).
  function chartDrawn() {
    document.body.dataset.riskCharts = String(Number(document.body.dataset.riskCharts || 0) + 1);
  }

  window.AnquanRisk = {
    levels: levels, level: level, colour: colour, name: name, t: t, fmt: fmt, el: el, badge: badge,
    toast: toast, readJSON: readJSON, chartDrawn: chartDrawn
  };
})();
