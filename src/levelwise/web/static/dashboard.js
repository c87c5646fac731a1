/* Draws the dashboard's charts from the page's JSON with the vendored ECharts.
 * Every chart is readable without colour: ARIA descriptions, decal patterns,
 * value labels and a distinct symbol per line; the table under each chart
 * holds the same numbers. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var noData = data.labels.noData;

  function label(unit) {
    return {
      show: true,
      formatter: function (p) {
        var v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
        return v === null || v === undefined ? "" : v + unit;
      }
    };
  }

  function options(spec) {
    var base = {
      aria: { enabled: true, decal: { show: true } },
      animation: false,
      // richText tooltips are drawn by the renderer: no inline styles, which
      // the pages' Content-Security-Policy forbids.
      tooltip: {
        trigger: spec.kind === "funnel" ? "item" : "axis",
        renderMode: "richText"
      },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true }
    };
    if (!spec.categories.length) {
      base.title = { text: noData, left: "center", top: "middle",
        textStyle: { fontSize: 14, fontWeight: "normal", color: "#5d6b70" } };
      return base;
    }
    if (spec.kind === "funnel") {
      base.legend = { show: false };
      base.series = [{
        type: "funnel", name: spec.series[0].name, sort: "none", top: 16, bottom: 8,
        left: "4%", width: "56%",
        label: { show: true, position: "right", formatter: "{b}: {c}" },
        data: spec.categories.map(function (name, i) {
          return { name: name, value: spec.series[0].data[i] };
        })
      }];
      return base;
    }
    var horizontal = spec.kind === "hbar";
    var category = { type: "category", data: spec.categories, inverse: horizontal };
    var value = { type: "value", axisLabel: { formatter: "{value}" + spec.unit } };
    base.xAxis = horizontal ? value : category;
    base.yAxis = horizontal ? category : value;
    base.series = spec.series.map(function (s, i) {
      var line = spec.kind === "line";
      return {
        type: line ? "line" : "bar",
        name: s.name,
        data: s.data,
        symbol: s.symbol,
        symbolSize: 9,
        connectNulls: false,
        label: label(spec.unit),
        lineStyle: line ? { width: 2, type: ["solid", "dashed", "dotted"][i % 3] } : undefined
      };
    });
    return base;
  }

  data.charts.forEach(function (spec) {
    var node = document.getElementById("chart-" + spec.id);
    if (!node) { return; }
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption(options(spec));
    window.addEventListener("resize", function () { chart.resize(); });
  });
  // Every chart is drawn: browser tests and the page benchmark wait for this.
  performance.mark("levelwise-charts-drawn");
  document.body.setAttribute("data-ready", String(data.charts.length));
}());
