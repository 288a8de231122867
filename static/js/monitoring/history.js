// Point history (历史曲线): the average as a line, the min–max of each bucket as a band, the point's
// limits as dashed lines; the range comes from the page's query string (last 1 h … 30 d, or custom).
(function () {
  "use strict";
  var box = document.getElementById("history-chart");
  if (!box || !window.echarts) { return; }
  var live = window.AnquanLive;
  var config = live.readJSON("history-config", {});
  var status = document.getElementById("history-status");
  var params = new URLSearchParams(location.search);
  var chosen = box.dataset.range || "24h";
  var until = new Date(), since;
  if (chosen === "custom" && params.get("since")) {
    since = new Date(params.get("since"));  // datetime-local: the browser's local time
    if (params.get("until")) { until = new Date(params.get("until")); }
  } else {
    since = new Date(until.getTime() - (config.ranges[chosen] || 86400) * 1000);
  }

  // ECharts draws times in the browser's zone or in UTC only: shift them so that the axis reads the
  // deployment's wall-clock time (as the rest of the page does) wherever the browser is.
  var shift = (function () {
    try {
      var now = new Date(), tz = (live.readJSON("mon-i18n", {}) || {}).tz;
      if (!tz) { return 0; }
      function wall(zone) { return Date.parse(now.toLocaleString("en-US", { timeZone: zone, hour12: false })); }
      var offset = wall(tz) - wall("UTC");
      return isNaN(offset) ? 0 : offset;
    } catch (e) { return 0; }
  })();

  var LIMIT_COLOURS = { low_low: "#e03131", low: "#f76707", high: "#f76707", high_high: "#e03131" };
  var chart = echarts.init(box);
  window.addEventListener("resize", function () { chart.resize(); });

  function epochMs(ts) {
    if (typeof ts === "number") { return ts > 1e12 ? ts : ts * 1000; }
    return Date.parse(ts);
  }

  function draw(data) {
    var rows = (data.series || []).map(function (s) {
      return { t: epochMs(s[0]), avg: s[1], min: s[2] === undefined ? s[1] : s[2], max: s[3] === undefined ? s[1] : s[3] };
    }).filter(function (r) { return !isNaN(r.t); });
    box.dataset.points = String(rows.length);
    var limits = data.limits || config.limits || {};
    var unit = data.unit || config.unit || "";
    var marks = Object.keys(LIMIT_COLOURS).filter(function (k) {
      return limits[k] !== null && limits[k] !== undefined;
    }).map(function (k) {
      return { yAxis: limits[k], name: (config.labels || {})[k] || k, lineStyle: { color: LIMIT_COLOURS[k], type: "dashed" },
        label: { formatter: ((config.labels || {})[k] || k) + " " + limits[k], position: "insideEndTop" } };
    });
    var band = rows.some(function (r) { return r.min !== r.max; });
    var series = [];
    if (band) {
      series.push({ name: "min", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
        data: rows.map(function (r) { return [r.t + shift, r.min]; }), tooltip: { show: false } });
      series.push({ name: live.t("min_max", "Min–max"), type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
        areaStyle: { color: "rgba(28,126,214,.18)" }, data: rows.map(function (r) { return [r.t + shift, r.max - r.min]; }) });
    }
    series.push({ name: live.t("average", "Average"), type: "line", symbol: "none", showSymbol: false,
      lineStyle: { color: "#1c7ed6", width: 1.5 }, itemStyle: { color: "#1c7ed6" },
      data: rows.map(function (r) { return [r.t + shift, r.avg]; }),
      markLine: { symbol: "none", silent: true, data: marks } });
    var values = rows.map(function (r) { return r.min; }).concat(rows.map(function (r) { return r.max; }));
    marks.forEach(function (m) { values.push(m.yAxis); });
    chart.setOption({
      animation: false,
      useUTC: true,
      grid: { left: 60, right: 70, top: 30, bottom: 70 },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var r = rows[items[0].dataIndex];
          if (!r) { return ""; }
          return live.stamp(r.t / 1000, true) + "<br>" + live.t("average", "Average") + ": " + live.fmt(r.avg) + " " + unit +
            (r.min !== r.max ? "<br>" + live.t("min_max", "Min–max") + ": " + live.fmt(r.min) + " – " + live.fmt(r.max) : "");
        }
      },
      xAxis: { type: "time", min: since.getTime() + shift, max: until.getTime() + shift },
      yAxis: { type: "value", name: unit, scale: true,
        min: values.length ? Math.min.apply(null, values) : null, max: values.length ? Math.max.apply(null, values) : null },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 20, bottom: 20 }],
      series: series
    }, true);
    status.textContent = rows.length
      ? (data.resolution ? live.t("resolution_" + data.resolution, data.resolution) + " · " : "") + rows.length + " " + live.t("values", "values")
      : live.t("no_data", "No data in this range.");
  }

  status.textContent = "…";
  var url = config.url + "?since=" + encodeURIComponent(since.toISOString()) + "&until=" + encodeURIComponent(until.toISOString());
  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(draw)
    .catch(function () {
      draw({ series: [] });
      status.textContent = live.t("unavailable", "History is not available.");
    });
})();
