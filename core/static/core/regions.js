// Province → city → district pickers ([data-region-select]): each choice loads the next
// level from /regions/?parent=… and writes the deepest chosen 6-digit code into the form's
// code field, which is hidden while the pickers work (typed codes still work without JS).
(function () {
  "use strict";
  function fill(select, regions) {
    select.length = 1;
    regions.forEach(function (r) { select.add(new Option(r.name, r.code)); });
    select.disabled = regions.length === 0;
  }
  function setup(box) {
    var input = document.getElementById(box.dataset.input);
    var url = box.dataset.url;
    var selects = box.querySelectorAll("select");
    if (!input) { return; }
    var row = input.closest(".field") || input.parentElement;
    if (row && row !== box.parentElement) { row.hidden = true; }
    function write() {
      for (var i = selects.length - 1; i >= 0; i--) {
        if (selects[i].value) { input.value = selects[i].value; return; }
      }
      input.value = "";
    }
    selects.forEach(function (select, level) {
      select.addEventListener("change", function () {
        for (var j = level + 1; j < selects.length; j++) { fill(selects[j], []); }
        write();
        if (!select.value || level === selects.length - 1) { return; }
        fetch(url + "?parent=" + encodeURIComponent(select.value))
          .then(function (r) { return r.json(); })
          .then(function (data) {
            var regions = data.regions || [];
            // a municipality's districts come straight under the province: skip the city
            if (level === 0 && regions.length && regions[0].level === "district") {
              fill(selects[1], []);
              fill(selects[2], regions);
            } else {
              fill(selects[level + 1], regions);
            }
          });
      });
    });
  }
  document.querySelectorAll("[data-region-select]").forEach(setup);
})();
