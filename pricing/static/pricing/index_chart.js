/* The models page's price index: one line for the market, one per region shown, drawn with
   Apache ECharts from a <script type="application/json"> block (no inline script: CSP). */
(function () {
  "use strict";
  // Words through Django's JavaScript catalogue (/jsi18n/, loaded before this file).
  var t = typeof gettext === "function" ? gettext : function (w) { return w; };
  document.querySelectorAll("[data-index-chart]").forEach(function (el) {
    var src = document.getElementById(el.getAttribute("data-index-chart"));
    if (!src || !window.echarts) { return; }
    var d = JSON.parse(src.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      legend: { bottom: 0, type: "scroll" },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.months },
      yAxis: { type: "value", name: t("指数（末月 = 100）"), scale: true },
      grid: { left: 60, right: 30, top: 30, bottom: 50 },
      series: d.series.map(function (s, i) {
        return { name: s.name, type: "line", showSymbol: false, data: s.values,
                 lineStyle: { width: i === 0 ? 3 : 1.5 } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
