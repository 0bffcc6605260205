// The dashboard's charts (issue 13): each reads its numbers from the JSON data block the server
// wrote beside the tables (the tables are the truth), never from an inline script.
(function () {
  "use strict";
  function draw() {
    var block = document.getElementById("dashboard-data");
    if (!block || !window.echarts) return;
    var data = JSON.parse(block.textContent);
    var locale = document.body.dataset.lang === "zh" ? "ZH" : "EN";
    var palette = ["#c0392b", "#e67e22", "#2c6fbb", "#7f8c8d"];
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = data[el.dataset.chart];
      if (!d || !d.categories.length) { el.classList.add("empty"); return; }
      var kind = el.dataset.kind;
      var chart = window.echarts.init(el, null, { renderer: "canvas", locale: locale });
      var series = d.series.map(function (s, i) {
        return {
          name: s.name, data: s.data, type: kind === "line" ? "line" : "bar",
          stack: kind === "stack" ? "all" : undefined, connectNulls: false,
          itemStyle: { color: el.dataset.chart === "compliance" ? ["#27ae60", "#c0392b"][i] : palette[i % palette.length] }
        };
      });
      var category = { type: "category", data: d.categories, axisLabel: { hideOverlap: true } };
      var value = { type: "value", minInterval: kind === "line" ? 0 : 1 };
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { top: 0, type: "scroll" },
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        xAxis: kind === "hbar" ? value : category,
        yAxis: kind === "hbar" ? category : value,
        series: series
      });
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
