// An enterprise's risk (研判指数构成): the composition as bars of contributions with drill-down from the
// first-level indicators to those under them (the table follows), and the 30-day trend of its score.
(function () {
  "use strict";
  var R = window.AnquanRisk;
  var data = R.readJSON("risk-enterprise-data", null);
  if (!data || !window.echarts) { return; }
  var charts = [];

  // ------------------------------------------------------------------ composition
  var rows = data.breakdown || [];
  var node = document.getElementById("risk-composition");
  var back = document.getElementById("composition-back");
  var table = document.getElementById("risk-breakdown");
  var trail = [];  // the parents drilled into

  function childrenOf(parent) {
    return rows.filter(function (r) { return (r.parent || null) === parent; });
  }

  function showRows(parent) {
    if (!table) { return; }
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      var inside = !parent || tr.dataset.code === parent || ancestorOf(parent, tr.dataset.code);
      tr.classList.toggle("risk-dimmed", !inside);
    });
  }

  function ancestorOf(parent, code) {
    var row = rows.find(function (r) { return r.code === code; });
    while (row && row.parent) {
      if (row.parent === parent) { return true; }
      var up = row.parent;
      row = rows.find(function (r) { return r.code === up; });
    }
    return false;
  }

  var composition = node ? echarts.init(node) : null;
  if (composition) { charts.push(composition); }

  function draw(parent) {
    if (!composition) { return; }
    var level = childrenOf(parent);
    composition.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var r = level[p.dataIndex];
          if (r.score === null || r.score === undefined) { return r.name + "<br>" + R.t("no_data"); }
          return r.name + "<br>" + R.t("score") + " " + R.fmt(r.score) + "<br>" + R.t("weight") + " " +
            R.fmt((r.effective_weight || 0) * 100) + "%<br>" + R.t("contribution") + " " + R.fmt(r.contribution, 2);
        }
      },
      grid: { left: 130, right: 50, top: 10, bottom: 24 },
      xAxis: { type: "value", min: 0 },
      yAxis: { type: "category", inverse: true, data: level.map(function (r) { return r.name; }),
        axisLabel: { width: 120, overflow: "truncate" } },
      series: [{
        type: "bar",
        barMaxWidth: 32,
        data: level.map(function (r) {
          var nodata = r.score === null || r.score === undefined;
          return { value: nodata ? 0 : r.contribution, nodata: nodata,
            itemStyle: { color: nodata ? "#dee2e6" : (r.has_children ? "#1c7ed6" : "#4dabf7") } };
        }),
        label: { show: true, position: "right", formatter: function (p) {
          var r = level[p.dataIndex];
          return r.score === null || r.score === undefined ? R.t("no_data") : R.fmt(r.contribution, 2);
        } }
      }]
    }, true);
    node.dataset.level = parent || "";
    if (back) { back.classList.toggle("d-none", !trail.length); }
    showRows(parent);
  }

  if (composition) {
    composition.on("click", function (p) {
      var level = childrenOf(trail.length ? trail[trail.length - 1] : null);
      var row = level[p.dataIndex];
      if (row && row.has_children) { trail.push(row.code); draw(row.code); }
    });
    if (back) { back.addEventListener("click", function () { trail.pop(); draw(trail.length ? trail[trail.length - 1] : null); }); }
    draw(null);
    R.chartDrawn();
  }

  // ------------------------------------------------------------------ trend
  var trendNode = document.getElementById("risk-trend");
  if (trendNode) {
    var series = data.trend || [];
    var thresholds = data.thresholds || {};
    var trend = echarts.init(trendNode);
    charts.push(trend);
    function worst(s) {
      var found = null;
      Object.keys(s.counts || {}).forEach(function (k) { if (s.counts[k] && (found === null || Number(k) < found)) { found = Number(k); } });
      return found;
    }
    var marks = ["1", "2", "3"].filter(function (k) { return thresholds[k] !== undefined; }).map(function (k) {
      return { yAxis: thresholds[k], lineStyle: { color: R.colour(k), type: "dashed" }, label: { formatter: R.name(k) } };
    });
    trend.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 36, right: 70, top: 16, bottom: 24 },
      xAxis: { type: "category", data: series.map(function (s) { return s.period; }) },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [{
        name: R.t("max_score"), type: "line", symbolSize: 8,
        data: series.map(function (s) { return { value: s.max_score, itemStyle: { color: R.colour(worst(s)) } }; }),
        lineStyle: { color: "#495057" },
        markLine: { symbol: "none", silent: true, data: marks }
      }]
    });
    R.chartDrawn();
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
