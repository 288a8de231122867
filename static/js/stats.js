// Enterprise statistics: one bar chart from the table's rows.
(function () {
  "use strict";
  var rows = JSON.parse(document.getElementById("stats-data").textContent);
  var chart = echarts.init(document.getElementById("stats-chart"));
  chart.setOption({
    tooltip: {}, grid: { left: 110, right: 16, top: 8, bottom: 24 },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.label; }) },
    series: [{ type: "bar", data: rows.map(function (r) { return r.count; }), itemStyle: { color: "#1c7ed6" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
