/* Comparable sales and the subject's interval, drawn in the browser with Apache ECharts.
   Data come from <script type="application/json"> blocks (no inline script: CSP). */
(function () {
  "use strict";
  // Words through Django's JavaScript catalogue (/jsi18n/, loaded before this file).
  var t = typeof gettext === "function" ? gettext : function (w) { return w; };
  function fill(text, values) {
    return typeof interpolate === "function" ? interpolate(text, values, true)
      : text.replace(/%\((\w+)\)s/g, function (m, k) { return values[k]; });
  }
  var lang = document.documentElement.lang || "zh-CN";
  function fmt(v) { return Number(v).toLocaleString(lang, { maximumFractionDigits: 0 }); }
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var src = document.getElementById(el.getAttribute("data-chart"));
    if (!src || !window.echarts) { return; }
    var d = JSON.parse(src.textContent);
    var chart = window.echarts.init(el);
    var comps = d.comparables.map(function (c) { return [c.area, c.price, c.date]; });
    var s = d.subject;
    var series = [{
      name: t("可比成交"), type: "scatter", symbolSize: 9, data: comps,
      itemStyle: { color: "#607d8b" }
    }];
    if (s.area !== null) {
      series.push({
        name: t("本财产（区间）"), type: "line", data: [[s.area, s.low], [s.area, s.high]],
        lineStyle: { width: 6, color: "rgba(176,39,45,0.35)" }, itemStyle: { color: "rgba(176,39,45,0.6)" }, symbol: "none"
      });
      series.push({
        name: t("本财产（询价结果）"), type: "scatter", symbol: "diamond", symbolSize: 16,
        data: [[s.area, s.price]], itemStyle: { color: "#b0272d" }
      });
    }
    chart.setOption({
      title: { text: fill(t("%(title)s：可比成交与预测区间"), { title: d.title }), left: "center", textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var v = p.value;
          return p.seriesName + "<br>" + fill(t("面积 %(area)s，价格 %(price)s %(currency)s"),
            { area: v[0], price: fmt(v[1]), currency: d.currency }) + (v[2] ? "<br>" + v[2] : "");
        }
      },
      xAxis: { type: "value", name: t("面积"), scale: true },
      yAxis: { type: "value", name: fill(t("价格（%(currency)s）"), { currency: d.currency }), scale: true,
               axisLabel: { formatter: function (v) { return fmt(v); } } },
      grid: { left: 90, right: 30, top: 40, bottom: 50 },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
