// Major hazard sources on a map, coloured by level (1 red … 4 blue, not major grey).
(function () {
  "use strict";
  var colours = { 1: "#e03131", 2: "#f76707", 3: "#f1c40f", 4: "#1c7ed6" };
  var el = document.getElementById("hazard-map");
  var map = L.map(el, { preferCanvas: true }).setView([36.4, 118.5], 6.5);
  if (el.dataset.outlines) {
    fetch(el.dataset.outlines, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        L.geoJSON(fc, { style: { color: "#0b4f8a", weight: 1, fillColor: "#dbe7f3", fillOpacity: 0.5 },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); } }).addTo(map).bringToBack();
      });
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 6, weight: 1, color: "#333", fillOpacity: 0.85,
            fillColor: colours[f.properties.level] || "#adb5bd" });
        },
        onEachFeature: function (f, l) {
          l.bindTooltip(f.properties.enterprise + " · " + f.properties.name + " · R=" + f.properties.R.toFixed(1));
        }
      }).addTo(map);
      el.dataset.loaded = String(fc.features.length);
      if (fc.features.length) { map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 12 }); }
    });
})();
