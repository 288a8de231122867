// Regulator overview: enterprises on a map (region outlines as the base layer: no tile server is
// assumed on government networks) and two ECharts charts fed from the page's JSON.
(function () {
  "use strict";
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }

  var byRegion = data("by-region-data");
  var regionChart = echarts.init(document.getElementById("chart-by-region"));
  regionChart.setOption({
    tooltip: {}, grid: { left: 80, right: 16, top: 8, bottom: 24 },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: byRegion.map(function (r) { return r.name; }) },
    series: [{ type: "bar", data: byRegion.map(function (r) { return r.n; }), itemStyle: { color: "#1c7ed6" } }]
  });
  var byIndustry = data("by-industry-data");
  var industryChart = echarts.init(document.getElementById("chart-by-industry"));
  industryChart.setOption({
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "70%"],
      data: byIndustry.map(function (r) { return { name: r.industries__name, value: r.n }; }) }]
  });
  window.addEventListener("resize", function () { regionChart.resize(); industryChart.resize(); });

  var el = document.getElementById("enterprise-map");
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 }).setView([36.4, 118.5], 6.5);
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map); }
  // Region outlines of the user's jurisdiction are the base layer when no tile server is configured.
  fetch(el.dataset.outlines, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      L.geoJSON(fc, {
        style: { color: "#0b4f8a", weight: 1, fillColor: "#dbe7f3", fillOpacity: 0.5 },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); }
      }).addTo(map).bringToBack();
    });
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 4, color: "#c92a2a", weight: 1, fillOpacity: 0.7 });
        },
        onEachFeature: function (f, l) {
          var a = document.createElement("a");
          a.href = "/gov/enterprises/" + f.properties.id + "/";
          a.textContent = f.properties.name;
          l.bindPopup(a);
        }
      }).addTo(map);
      el.dataset.loaded = String(fc.features.length);
      if (fc.features.length) { map.fitBounds(layer.getBounds(), { padding: [20, 20] }); }
    });
})();
