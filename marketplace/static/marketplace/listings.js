/* Listings on a phone: the filter panel starts folded unless a search is active. */
(function () {
  "use strict";
  var box = document.getElementById("filter-box");
  if (!box) { return; }
  if (window.matchMedia("(max-width: 760px)").matches && !window.location.search) {
    box.open = false;
  }
}());
