// Data-exchange quality (数据交换质量): refused records by reason as horizontal bars, from the page's
// JSON (#exchange-quality-data). The page's tables carry the same figures; the chart is an aid.
(function () {
  "use strict";
  var source = document.getElementById("exchange-quality-data");
  var el = document.getElementById("chart-reasons");
  if (!source || !el || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var reasons = (data.reasons || []).slice().reverse();  // the largest on top
  if (!reasons.length) {
    el.style.display = "none";
    document.body.dataset.chartsReady = "0";
    return;
  }
  el.style.height = Math.max(160, 28 * reasons.length + 60) + "px";
  var chart = echarts.init(el);
  chart.setOption({
    color: ["#e03131"],
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 10, right: 30, top: 10, bottom: 20, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: reasons.map(function (r) { return r.label; }),
      axisLabel: { width: 320, overflow: "truncate" } },
    series: [{ name: (data.labels || {}).count || "", type: "bar", barMaxWidth: 22,
      data: reasons.map(function (r) { return r.count; }), label: { show: true, position: "right" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  document.body.dataset.chartsReady = "1";
})();
