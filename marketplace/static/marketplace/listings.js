/* Listings: on a phone the filter panel starts folded (its summary names the search) so the
   first card is on the first screen, unless a filter was refused; the cards' countdowns ([data-deadline]) tick every second ("距结束 1天 02:03:04"). */
(function () {
  "use strict";
  var box = document.getElementById("filter-box");
  if (box && window.matchMedia("(max-width: 760px)").matches &&
      !document.querySelector(".error-box")) {
    box.open = false;
  }
  var clocks = Array.prototype.slice.call(document.querySelectorAll("[data-deadline]"));
  if (!clocks.length) { return; }
  // Count from the server's clock (data-server-now), not the device's, which may be wrong.
  var holder = document.querySelector("[data-server-now]");
  var skew = holder ? Date.parse(holder.dataset.serverNow) - Date.now() : 0;
  if (isNaN(skew)) { skew = 0; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now() + skew;
    clocks.forEach(function (el) {
      var left = Math.floor((Date.parse(el.dataset.deadline) - now) / 1000);
      if (isNaN(left)) { return; }
      if (left <= 0) { el.textContent = el.dataset.done; return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = el.dataset.prefix + " " + (d ? d + el.dataset.day + " " : "") +
        pad(h) + ":" + pad(m) + ":" + pad(s);
    });
  }
  tick();
  window.setInterval(tick, 1000);
}());
