// Warning statistics (预警统计): raised, fed back, fed back in time, closed and overdue per group, with
// the feedback rate on a second axis; grouped by level, the groups take their level's colour.
(function () {
  "use strict";
  var R = window.AnquanRisk;
  var data = R.readJSON("warning-stats-data", null);
  var node = document.getElementById("chart-warning-stats");
  if (!data || !node || !window.echarts) { return; }
  var rows = data.rows || [];
  var byLevel = data.group_by === "level";
  var names = rows.map(function (r) { return byLevel ? R.name(r.key) : r.name; });
  var metrics = ["raised", "fed_back", "fed_back_in_time", "closed", "overdue"];
  var labels = { raised: R.t("raised"), fed_back: R.t("fed_back"), fed_back_in_time: R.t("in_time"), closed: R.t("closed"), overdue: R.t("overdue") };
  var chart = echarts.init(node);
  chart.setOption({
    color: ["#495057", "#1971c2", "#2b8a3e", "#868e96", "#c92a2a", "#f08c00"],
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 40, right: 50, top: 30, bottom: 40 },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0,
      color: byLevel ? function (value, index) { return R.colour(rows[index] && rows[index].key); } : undefined } },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }],
    series: metrics.map(function (m) {
      return { name: labels[m], type: "bar", barMaxWidth: 32, data: rows.map(function (r) { return r[m] || 0; }) };
    }).concat([{ name: R.t("feedback_rate"), type: "line", yAxisIndex: 1,
      data: rows.map(function (r) { return r.feedback_rate === null ? null : Math.round(r.feedback_rate * 1000) / 10; }) }])
  });
  R.chartDrawn();
  window.addEventListener("resize", function () { chart.resize(); });
})();
