// Import job page: poll the job every second and move the progress bar; once the job has finished,
// reload so that the server renders the result and the row errors.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  var finished = ["succeeded", "failed"];
  if (!box || finished.indexOf(box.dataset.status) >= 0) { return; }
  var bar = box.querySelector(".progress-bar");

  function show(job) {
    bar.style.width = job.progress + "%";
    bar.textContent = job.progress + "%";
    box.querySelector(".progress").setAttribute("aria-valuenow", job.progress);
    document.getElementById("import-status").textContent = job.status_display;
    document.getElementById("import-processed").textContent = job.processed_rows;
    document.getElementById("import-total").textContent = job.total_rows;
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (job) {
        show(job);
        if (finished.indexOf(job.status) >= 0) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
