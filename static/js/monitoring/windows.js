// Maintenance-window form: show the facility picker or the point-code box, whichever the window targets.
(function () {
  "use strict";
  var target = document.getElementById("id_target");
  if (!target) { return; }
  function box(id) { var el = document.getElementById(id); return el ? el.closest(".mb-3") : null; }
  var facility = box("id_facility"), point = box("id_point");
  function show() {
    if (facility) { facility.classList.toggle("d-none", target.value !== "facility"); }
    if (point) { point.classList.toggle("d-none", target.value !== "point"); }
  }
  target.addEventListener("change", show);
  show();
})();
