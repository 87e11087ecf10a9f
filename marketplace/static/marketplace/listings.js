/* Listings: on a phone the filter panel starts folded (its summary names the search) so the
   first card is on the first screen, unless a filter was refused; the cards' countdowns ([data-deadline]) tick every second ("距结束 1天 02:03:04"). */
(function () {
  "use strict";
  var box = document.getElementById("filter-box");
  if (box && window.matchMedia("(max-width: 760px)").matches &&
      !document.querySelector(".error-box")) {
    box.open = false;
  }
  // A keyword search's counts per option arrive after the page (data-facets-url: the API with
  // facets=1): each option of the five filters gets "（12）" / " (12)", "1,000+" past the limit.
  var filters = document.getElementById("filters");
  if (filters && filters.dataset.facetsUrl && window.fetch) {
    var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
    var limit = parseInt(filters.dataset.facetLimit, 10) || 1000;
    var fmt = function (n) {
      return n > limit ? limit.toLocaleString("en") + "+" : n.toLocaleString("en");
    };
    window.fetch(filters.dataset.facetsUrl, {headers: {Accept: "application/json"},
                                             credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !body.facets) { return; }
        Object.keys(body.facets).forEach(function (group) {
          var select = filters.querySelector('select[name="' + group + '"]');
          var counts = body.facets[group] || {};
          if (!select) { return; }
          Array.prototype.forEach.call(select.options, function (opt) {
            if (!opt.value || !(opt.value in counts)) { return; }
            opt.textContent += zh ? "（" + fmt(counts[opt.value]) + "）"
                                  : " (" + fmt(counts[opt.value]) + ")";
          });
          select.setAttribute("data-counted", "1");
        });
        filters.setAttribute("data-counts-shown", "1");
      })
      .catch(function () { /* the options work without their counts */ });
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
