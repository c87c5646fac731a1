/* Draws the dashboard's charts from the page's JSON with the vendored ECharts.
 * Every chart is readable without colour: ARIA descriptions, decal patterns,
 * value labels and a distinct symbol per line; the table under each chart
 * holds the same numbers. A partial week is drawn as a hollow point apart
 * from the line, on a shaded band, and its axis label says "partial week";
 * a chart with "axes" has a second value axis on the right; "stack" stacks
 * its bars and "colors" gives each series its colour. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var noData = data.labels.noData;
  // The call-quality section's charts come in a JSON block of their own.
  var more = document.getElementById("quality-chart-data");
  if (more) { data.charts = data.charts.concat(JSON.parse(more.textContent).charts); }
  // ECharts' default colours, set on each series so that a line and its
  // partial-week points share one.
  var PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de",
    "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];

  function label(unit, hideZero) {
    return {
      show: true,
      formatter: function (p) {
        var v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
        if (hideZero && v === 0) { return ""; }
        return v === null || v === undefined ? "" : v + unit;
      }
    };
  }

  function options(spec, width) {
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
    var partial = spec.partial || [];
    var category = { type: "category", data: spec.categories, inverse: horizontal };
    if (partial.indexOf(true) >= 0) {
      category.axisLabel = {
        interval: shownLabels(spec.categories.length, partial, width),
        formatter: function (name, index) {
          return partial[index] ? name + "\n(" + spec.partialLabel + ")" : name;
        }
      };
    }
    var axes = spec.axes || [{ name: "", unit: spec.unit }];
    var values = axes.map(function (axis, i) {
      return {
        type: "value", name: axis.name, position: i ? "right" : "left",
        nameTextStyle: { align: i ? "right" : "left" },
        splitLine: { show: i === 0 },
        axisLabel: { formatter: "{value}" + axis.unit }
      };
    });
    base.xAxis = horizontal ? values[0] : category;
    base.yAxis = horizontal ? category : (values.length > 1 ? values : values[0]);
    // A partial week is also a shaded band behind the lines.
    var bands = [];
    partial.forEach(function (isPartial, index) {
      if (isPartial) {
        bands.push([{ xAxis: spec.categories[index] }, { xAxis: spec.categories[index] }]);
      }
    });
    base.series = [];
    spec.series.forEach(function (s, i) {
      var line = spec.kind === "line";
      var color = (spec.colors || PALETTE)[i % (spec.colors || PALETTE).length];
      base.series.push({
        type: line ? "line" : "bar",
        name: s.name,
        data: s.data,
        // Stacked bars: one bar per category, a segment per series.
        stack: spec.stack ? "total" : undefined,
        yAxisIndex: s.axis || 0,
        symbol: s.symbol,
        symbolSize: 9,
        connectNulls: false,
        itemStyle: { color: color },
        label: label(spec.unit, Boolean(spec.stack)),
        lineStyle: line ? { width: 2, type: ["solid", "dashed", "dotted"][i % 3] } : undefined,
        markArea: i === 0 && bands.length ? {
          silent: true, itemStyle: { color: "rgba(93, 107, 112, 0.12)" }, data: bands
        } : undefined
      });
      if (line && s.partial && s.partial.some(function (v) { return v !== null; })) {
        // The same name: one legend entry switches the line and its partial
        // points together. Hollow, and never joined to the line.
        base.series.push({
          type: "line",
          name: s.name,
          data: s.partial,
          yAxisIndex: s.axis || 0,
          symbol: "empty" + s.symbol.charAt(0).toUpperCase() + s.symbol.slice(1),
          symbolSize: 11,
          connectNulls: false,
          itemStyle: { color: color, borderType: "dashed", borderWidth: 2 },
          lineStyle: { width: 0 },
          label: label(spec.unit)
        });
      }
    });
    return base;
  }

  // Which category labels a chart of this width shows: about one per 90 px,
  // and always a partial week's (with its neighbours left out to make room).
  function shownLabels(count, partial, width) {
    var step = Math.max(1, Math.ceil(count / Math.max(1, Math.floor(width / 90))));
    var show = [];
    var i, j;
    for (i = 0; i < count; i++) { show.push(i % step === 0); }
    for (i = 0; i < count; i++) {
      if (!partial[i]) { continue; }
      for (j = Math.max(0, i - step + 1); j < Math.min(count, i + step); j++) { show[j] = false; }
      show[i] = true;
    }
    return function (index) { return show[index]; };
  }

  data.charts.forEach(function (spec) {
    var node = document.getElementById("chart-" + spec.id);
    if (!node) { return; }
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption(options(spec, node.clientWidth));
    window.addEventListener("resize", function () {
      chart.setOption(options(spec, node.clientWidth), { notMerge: true });
      chart.resize();
    });
  });
  // Every chart is drawn: browser tests and the page benchmark wait for this.
  performance.mark("levelwise-charts-drawn");
  document.body.setAttribute("data-ready", String(data.charts.length));
}());
