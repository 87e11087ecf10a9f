/* Public statistics charts (issue 17): Apache ECharts in the browser; titles come translated
 * from the server (#ps-data), the numbers are the ones in the table below the charts. */
(function () {
  "use strict";
  var el = document.getElementById("ps-data");
  if (!el || typeof echarts === "undefined") { return; }
  var d = JSON.parse(el.textContent);
  var font = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var charts = [];
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var c = echarts.init(node, null, { renderer: "svg" });
    option.textStyle = { fontFamily: font };
    option.animation = false;
    c.setOption(option);
    charts.push(c);
  }
  function bars(id, key, color, unit) {
    chart(id, {
      title: { text: d.titles[key], left: 10, top: 6, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + unit; } },
      grid: { left: 48, right: 16, top: 44, bottom: 64 },
      xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 3 ? 30 : 0, width: 90, overflow: "truncate" } },
      yAxis: { type: "value" },
      series: [{ name: d.titles[key], type: "bar", barMaxWidth: 48, data: d[key], itemStyle: { color: color } }]
    });
  }
  bars("ps-chart-deal", "deal_rate_pct", "#2e7d32", "%");
  bars("ps-chart-premium", "premium_ref_pct", "#b0272d", "%");
  bars("ps-chart-bidders", "bidders_per_lot", "#1565c0", "");
  bars("ps-chart-days", "days_seizure_to_sale", "#8d6e63", "");
  chart("ps-chart-trend", {
    title: { text: d.titles.trend, left: 10, top: 6, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 28, data: [d.titles.ended, d.titles.sold] },
    grid: { left: 40, right: 16, top: 64, bottom: 30 },
    xAxis: { type: "category", data: d.trend.map(function (t) { return t.month; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: d.titles.ended, type: "bar", barMaxWidth: 32, data: d.trend.map(function (t) { return t.ended; }), itemStyle: { color: "#90a4ae" } },
      { name: d.titles.sold, type: "bar", barMaxWidth: 32, data: d.trend.map(function (t) { return t.sold; }), itemStyle: { color: "#2e7d32" } }
    ]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
