// Monitoring statistics (监测统计): bar charts of access, online and alarm counts by region and by
// industry, and the daily online-rate trend, all from the page's JSON (#stats-data).
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var labels = data.labels || {};
  var COLOURS = ["#1c7ed6", "#2b8a3e", "#e03131", "#f76707", "#7048e8", "#0ca678", "#f59f00", "#d6336c"];
  var charts = [];

  function init(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var chart = echarts.init(el);
    charts.push(chart);
    return chart;
  }

  function bars(id, rows, metrics, skipEmpty) {
    var chart = init(id);
    if (!chart) { return; }
    if (skipEmpty) {  // industries without any data would only crowd the chart
      rows = rows.filter(function (r) { return metrics.some(function (m) { return r[m]; }); });
    }
    chart.setOption({
      color: metrics.length === 3 && metrics[0] === "raised" ? ["#e03131", "#2b8a3e", "#f59f00"] : COLOURS,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 60, containLabel: false },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }),
        axisLabel: { interval: 0, rotate: rows.length > 6 ? 35 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: metrics.map(function (m) {
        return { name: labels[m] || m, type: "bar", data: rows.map(function (r) { return r[m] || 0; }) };
      })
    });
  }

  ["region", "industry"].forEach(function (by) {
    bars("chart-access-" + by, (data.access || {})[by] || [], ["points_connected", "points_online", "points_alarming"], by === "industry");
    bars("chart-alarms-" + by, (data.alarms || {})[by] || [], ["raised", "cleared", "unhandled"], by === "industry");
  });

  var online = data.online || {};
  var trend = init("chart-online-trend");
  if (trend && online.total) {
    var days = (online.total.days || []).map(function (d) { return d.day; });
    function pct(d) { return d.online_rate === null || d.online_rate === undefined ? null : Math.round(d.online_rate * 10000) / 100; }
    var series = [{ name: labels.total || "Total", type: "line", symbol: "circle", lineStyle: { width: 3 },
      data: online.total.days.map(pct), connectNulls: false }];
    (online.rows || []).forEach(function (r) {
      if (r.days.some(function (d) { return d.online_rate !== null; })) {
        series.push({ name: r.name, type: "line", symbol: "none", lineStyle: { width: 1 }, data: r.days.map(pct) });
      }
    });
    trend.setOption({
      color: ["#0b4f8a"].concat(COLOURS),
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
      legend: { type: "scroll", top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: days },
      yAxis: { type: "value", name: labels.online_rate || "", min: function (v) { return isFinite(v.min) ? Math.max(0, Math.floor(v.min - 5)) : 0; }, max: 100,
        axisLabel: { formatter: "{value}%" } },
      series: series
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.dataset.chartsReady = String(charts.length);
})();
