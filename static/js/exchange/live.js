// Reported data: positioning and video alarms received from enterprises appear as they arrive (the
// receiver pushes them on the region topic); the list itself reloads only when the user asks.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!status || !window.AnquanLive) { return; }
  var live = window.AnquanLive;
  var box = document.getElementById("exchange-live");
  var count = 0;
  document.getElementById("exchange-live-text").textContent = live.t("exchange_new", "New records received");
  document.getElementById("exchange-live-reload").textContent = live.t("exchange_reload", "Show them");
  live.connect([{ topic: "region", key: status.dataset.liveKey }], {
    onEvent: function (event) {
      if (event.kind !== "exchange") { return; }
      var list = document.getElementById("exchange-live-list");
      event.events.forEach(function (e) {
        count += 1;
        var item = document.createElement("li");
        item.dataset.key = e.key;
        item.textContent = [e.time || "", e.title || e.key].join(" ").trim();
        list.insertBefore(item, list.firstChild);
        while (list.children.length > 5) { list.removeChild(list.lastChild); }
      });
      document.getElementById("exchange-live-count").textContent = String(count);
      box.classList.remove("d-none");
    }
  });
})();
