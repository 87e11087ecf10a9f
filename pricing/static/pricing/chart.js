/* Comparable sales and the subject's interval, drawn in the browser with Apache ECharts.
   Data come from <script type="application/json"> blocks (no inline script: CSP). */
(function () {
  "use strict";
  function fmt(v) { return Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 0 }); }
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var src = document.getElementById(el.getAttribute("data-chart"));
    if (!src || !window.echarts) { return; }
    var d = JSON.parse(src.textContent);
    var chart = window.echarts.init(el);
    var comps = d.comparables.map(function (c) { return [c.area, c.price, c.date]; });
    var s = d.subject;
    var series = [{
      name: "可比成交", type: "scatter", symbolSize: 9, data: comps,
      itemStyle: { color: "#607d8b" }
    }];
    if (s.area !== null) {
      series.push({
        name: "本财产（区间）", type: "line", data: [[s.area, s.low], [s.area, s.high]],
        lineStyle: { width: 6, color: "rgba(176,39,45,0.35)" }, itemStyle: { color: "rgba(176,39,45,0.6)" }, symbol: "none"
      });
      series.push({
        name: "本财产（询价结果）", type: "scatter", symbol: "diamond", symbolSize: 16,
        data: [[s.area, s.price]], itemStyle: { color: "#b0272d" }
      });
    }
    chart.setOption({
      title: { text: d.title + "：可比成交与预测区间", left: "center", textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var v = p.value;
          return p.seriesName + "<br>面积 " + v[0] + "，价格 " + fmt(v[1]) + " " + d.currency + (v[2] ? "<br>" + v[2] : "");
        }
      },
      xAxis: { type: "value", name: "面积", scale: true },
      yAxis: { type: "value", name: "价格（" + d.currency + "）", scale: true,
               axisLabel: { formatter: function (v) { return fmt(v); } } },
      grid: { left: 90, right: 30, top: 40, bottom: 50 },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
