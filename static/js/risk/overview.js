// Risk overview (风险总览): the four-colour map (region choropleth from statistics.region_map, enterprise
// points coloured by level), stacked counts per level by region and by industry, and the trend.
(function () {
  "use strict";
  var R = window.AnquanRisk;
  var data = R.readJSON("risk-overview-data", null);
  if (!data) { return; }
  var charts = [];
  var codes = R.levels.map(function (l) { return String(l.code); });

  function stacked(id, rows, onClick) {
    var node = document.getElementById(id);
    if (!node || !window.echarts) { return; }
    var chart = echarts.init(node);
    charts.push(chart);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 90, right: 16, top: 28, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
      series: codes.map(function (code) {
        return {
          name: R.name(code), type: "bar", stack: "level", barMaxWidth: 28, itemStyle: { color: R.colour(code) },
          data: rows.map(function (r) { return (r.counts || {})[code] || 0; })
        };
      })
    });
    if (onClick) { chart.on("click", function (p) { onClick(rows[p.dataIndex]); }); }
    R.chartDrawn();
  }

  stacked("chart-risk-region", data.by_region || [], function (row) {
    if (!row || !row.drill) { return; }  // a region with regions below it: drill down
    var params = new URLSearchParams(location.search);
    params.set("region", row.code);
    location.search = params.toString();
  });
  stacked("chart-risk-industry", data.by_industry || []);

  var trendNode = document.getElementById("chart-risk-trend");
  if (trendNode && window.echarts) {
    var series = data.trend || [];
    var trend = echarts.init(trendNode);
    charts.push(trend);
    trend.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 40, top: 30, bottom: 24 },
      xAxis: { type: "category", data: series.map(function (s) { return s.period; }) },
      yAxis: [{ type: "value", minInterval: 1, name: R.t("enterprises") },
        { type: "value", min: 0, max: 100, name: R.t("mean_score"), splitLine: { show: false } }],
      series: codes.map(function (code) {
        return { name: R.name(code), type: "bar", stack: "level", barMaxWidth: 36, itemStyle: { color: R.colour(code) },
          data: series.map(function (s) { return (s.counts || {})[code] || 0; }) };
      }).concat([{ name: R.t("mean_score"), type: "line", yAxisIndex: 1, symbol: "circle", itemStyle: { color: "#495057" },
        data: series.map(function (s) { return s.mean_score; }) }])
    });
    R.chartDrawn();
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  // ------------------------------------------------------------------ the map
  var mapNode = document.getElementById("risk-map");
  if (!mapNode || !window.L) { return; }
  var map = L.map(mapNode, { preferCanvas: true, zoomSnap: 0.25 }).setView([36.4, 118.5], 6.5);
  if (mapNode.dataset.tiles) { L.tileLayer(mapNode.dataset.tiles, { maxZoom: 18 }).addTo(map); }
  var regions = R.readJSON("risk-region-map", { features: [] });
  var drawable = (regions.features || []).filter(function (f) { return f.geometry; });

  function regionTooltip(props) {
    var box = R.el("div");
    box.appendChild(R.el("strong", "", props.name));
    codes.forEach(function (code) {
      var line = R.el("div");
      var dot = R.el("span", "risk-dot risk-level-" + code);
      line.append(dot, document.createTextNode(" " + R.name(code) + " " + ((props.counts || {})[code] || 0)));
      box.appendChild(line);
    });
    box.appendChild(R.el("div", "text-muted", R.t("mean_score") + " " + R.fmt(props.mean_score)));
    return box;
  }

  var regionLayer = L.geoJSON({ type: "FeatureCollection", features: drawable }, {
    renderer: L.svg(),  // a few polygons: SVG, so each is an element; the many points go to the canvas
    style: function (f) {
      return { color: "#0b4f8a", weight: 1, fillColor: f.properties.color, fillOpacity: f.properties.level ? 0.45 : 0.15 };
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(regionTooltip(f.properties), { sticky: true });
      if ((data.drillable || []).indexOf(f.properties.code) < 0) { return; }  // nothing below it
      layer.on("click", function () {
        var params = new URLSearchParams(location.search);
        params.set("region", f.properties.code);
        location.search = params.toString();
      });
    }
  }).addTo(map);
  mapNode.dataset.regions = String(drawable.length);
  if (drawable.length) { map.fitBounds(regionLayer.getBounds(), { padding: [10, 10] }); }

  fetch(mapNode.dataset.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : { features: [] }; })
    .then(function (fc) {
      var features = (fc.features || []).slice().reverse();  // riskiest last: drawn on top
      var layer = L.layerGroup();
      features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        var marker = L.circleMarker([c[1], c[0]], { radius: p.level && p.level <= 2 ? 7 : 5, weight: 1,
          color: "#343a40", fillColor: R.colour(p.level), fillOpacity: 0.9 });
        var link = R.el("a", "", p.name);
        link.href = mapNode.dataset.detailUrl.replace(/\/0\/$/, "/" + p.id + "/");
        var popup = R.el("div");
        popup.append(link, R.el("br"), R.badge(p.level), document.createTextNode(" " + R.t("score") + " " + R.fmt(p.score)));
        marker.bindPopup(popup);
        marker.bindTooltip(p.name);
        layer.addLayer(marker);
      });
      layer.addTo(map);
      mapNode.dataset.loaded = String(features.length);
      if (fc.truncated) { mapNode.dataset.truncated = "1"; }
      if (!drawable.length && features.length) {
        map.fitBounds(L.latLngBounds(features.map(function (f) { return [f.geometry.coordinates[1], f.geometry.coordinates[0]]; })),
          { padding: [20, 20], maxZoom: 12 });
      }
    });
})();
