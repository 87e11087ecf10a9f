/* Court statistics charts (Apache ECharts, drawn in the browser: the server needs no fonts). */
(function () {
  "use strict";
  var el = document.getElementById("stats-series");
  if (!el || typeof echarts === "undefined") { return; }
  var s = JSON.parse(el.textContent);
  // Words through Django's JavaScript catalogue (/jsi18n/, loaded before this file).
  var t = typeof gettext === "function" ? gettext : function (w) { return w; };
  var font = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    var c = echarts.init(node, null, { renderer: "svg" });
    option.textStyle = { fontFamily: font };
    option.animation = false;
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  chart("chart-counts", {
    title: { text: t("上拍、成交与流拍（件）"), left: 10, top: 6, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 30, data: [t("上拍"), t("成交"), t("一拍流拍"), t("二拍流拍"), t("变卖未成交"), t("悔拍")] },
    grid: { left: 40, right: 16, top: 70, bottom: 30 },
    xAxis: { type: "category", data: s.periods },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: t("上拍"), type: "bar", data: s.listed, itemStyle: { color: "#1565c0" } },
      { name: t("成交"), type: "bar", data: s.sold, itemStyle: { color: "#2e7d32" } },
      { name: t("一拍流拍"), type: "bar", stack: "unsold", data: s.unsold_r1, itemStyle: { color: "#f0a040" } },
      { name: t("二拍流拍"), type: "bar", stack: "unsold", data: s.unsold_r2, itemStyle: { color: "#c98a00" } },
      { name: t("变卖未成交"), type: "bar", stack: "unsold", data: s.unsold_sale, itemStyle: { color: "#8d6e63" } },
      { name: t("悔拍"), type: "bar", data: s.defaults, itemStyle: { color: "#b0272d" } }
    ]
  });
  chart("chart-rates", {
    title: { text: t("成交率与溢价率（%）"), left: 10, top: 6, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
    legend: { type: "scroll", top: 30, data: [t("成交率"), t("较起拍价溢价率"), t("较参考价溢价率")] },
    grid: { left: 48, right: 16, top: 70, bottom: 30 },
    xAxis: { type: "category", data: s.periods },
    yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
    series: [
      { name: t("成交率"), type: "line", data: s.deal_rate_pct, connectNulls: true, itemStyle: { color: "#2e7d32" } },
      { name: t("较起拍价溢价率"), type: "line", data: s.premium_start_pct, connectNulls: true, itemStyle: { color: "#1565c0" } },
      { name: t("较参考价溢价率"), type: "line", data: s.premium_ref_pct, connectNulls: true, itemStyle: { color: "#b0272d" } }
    ]
  });
}());
