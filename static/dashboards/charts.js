// The dashboard's charts (ECharts, canvas): each element with data-chart="<name>" is drawn from the JSON in
// #dashboard-data. A click on a bar or slice opens the list that counts it (the data item's url).
// The big screen (screen.js) calls DashboardCharts.drawAll again after each refresh.
(function () {
  var COLOURS = { red: "#d63939", yellow: "#f2b705", blue: "#1c6dd0" };
  var STAGE_COLOURS = {
    planning: "#6c757d", reserve: "#868e96", signed: "#6f42c1", preparing: "#0dcaf0", construction: "#0d6efd",
    completed: "#198754", production: "#146c43", suspended: "#ffc107", terminated: "#343a40"
  };
  var CATEGORY_COLOURS = ["#0b4a8b", "#2f9e44", "#e8590c", "#12b886", "#7048e8"];

  function dark() { return document.body.dataset.theme === "dark"; }
  function scale() { return parseFloat(document.body.dataset.chartScale || "1"); }
  function font(size) { return Math.round(size * scale()); }
  function textColour() { return dark() ? "#d7e3f4" : "#343a40"; }

  function open(params) {
    var url = params.data && params.data.url;
    if (url) window.location.href = url;
  }

  function base() {
    return {
      animation: false,
      backgroundColor: "transparent",
      textStyle: { fontSize: font(12), color: textColour() },
      tooltip: { textStyle: { fontSize: font(12) } }
    };
  }

  function withItems(slices, colours) {
    return slices.map(function (s, i) {
      return { name: s.name, value: s.value, url: s.url, itemStyle: { color: colours(s, i) } };
    });
  }

  var DRAW = {
    stages: function (data) {
      var items = withItems(data.stages, function (s) { return STAGE_COLOURS[s.key]; });
      return Object.assign(base(), {
        tooltip: { trigger: "item", formatter: "{b}：{c}" },
        grid: { left: font(40), right: font(10), top: font(20), bottom: font(30) },
        xAxis: { type: "category", data: data.stages.map(function (s) { return s.name; }),
                 axisLabel: { fontSize: font(11), color: textColour(), interval: 0 } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: font(11), color: textColour() },
                 splitLine: { lineStyle: { color: dark() ? "#23395d" : "#e9ecef" } } },
        series: [{ type: "bar", data: items, barMaxWidth: font(28),
                   label: { show: true, position: "top", fontSize: font(11), color: textColour() } }]
      });
    },
    colours: function (data) {
      var items = withItems(data.colours, function (s) { return COLOURS[s.key]; });
      return donut(items);
    },
    categories: function (data) {
      var items = withItems(data.categories, function (s, i) { return CATEGORY_COLOURS[i % CATEGORY_COLOURS.length]; });
      return donut(items);
    },
    trend: function (data) {
      var t = data.trend, l = data.labels;
      return Object.assign(base(), {
        tooltip: { trigger: "axis" },
        legend: { data: [l.completed, l.rate, l.schedule], textStyle: { fontSize: font(11), color: textColour() } },
        grid: { left: font(50), right: font(50), top: font(40), bottom: font(30) },
        xAxis: { type: "category", data: t.months, axisLabel: { fontSize: font(11), color: textColour() } },
        yAxis: [
          { type: "value", name: l.unit_yi, axisLabel: { fontSize: font(11), color: textColour() },
            splitLine: { lineStyle: { color: dark() ? "#23395d" : "#e9ecef" } } },
          { type: "value", name: "%", max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); },
            axisLabel: { fontSize: font(11), color: textColour() }, splitLine: { show: false } }
        ],
        series: [
          { name: l.completed, type: "bar", data: t.completed, itemStyle: { color: "#1c6dd0" } },
          { name: l.rate, type: "line", yAxisIndex: 1, data: t.rate, itemStyle: { color: "#e8590c" }, lineStyle: { width: 3 } },
          { name: l.schedule, type: "line", yAxisIndex: 1, data: t.schedule, itemStyle: { color: "#2f9e44" },
            lineStyle: { type: "dashed", width: 2 } }
        ]
      });
    },
    subregions: function (data) {
      var s = data.subregions, l = data.labels;
      var items = s.rate.map(function (v, i) { return { value: v, url: s.urls[i] }; });
      return Object.assign(base(), {
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        grid: { left: font(10), right: font(50), top: font(10), bottom: font(20), containLabel: true },
        xAxis: { type: "value", axisLabel: { fontSize: font(11), color: textColour(), formatter: "{value}%" },
                 splitLine: { lineStyle: { color: dark() ? "#23395d" : "#e9ecef" } } },
        yAxis: { type: "category", inverse: true, data: s.names, axisLabel: { fontSize: font(12), color: textColour() } },
        series: [{ name: l.rate, type: "bar", data: items, itemStyle: { color: "#1c6dd0" }, barMaxWidth: font(18),
                   label: { show: true, position: "right", formatter: "{c}%", fontSize: font(11), color: textColour() } }]
      });
    }
  };

  // Empty slices stay in the legend (and in the counts under the chart) but draw no label on the ring.
  function donut(items) {
    return Object.assign(base(), {
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0, data: items.map(function (item) { return item.name; }),
                textStyle: { fontSize: font(11), color: textColour() } },
      series: [{ type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"],
                 data: items.filter(function (item) { return item.value > 0; }),
                 label: { formatter: "{b}\n{c}", fontSize: font(11), color: textColour() } }]
    });
  }

  var current = [];
  window.addEventListener("resize", function () { current.forEach(function (c) { c.resize(); }); });

  function drawAll(root) {
    var source = (root || document).querySelector("#dashboard-data") || document.getElementById("dashboard-data");
    if (!source || !window.echarts) return [];
    var data = JSON.parse(source.textContent);
    var charts = [];
    (root || document).querySelectorAll("[data-chart]").forEach(function (holder) {
      var draw = DRAW[holder.dataset.chart];
      if (!draw) return;
      var old = window.echarts.getInstanceByDom(holder);
      if (old) old.dispose();
      var chart = window.echarts.init(holder, dark() ? "dark" : null);
      chart.setOption(draw(data));
      chart.on("click", open);
      charts.push(chart);
    });
    current = current.filter(function (c) { return !c.isDisposed(); }).concat(charts);
    return charts;
  }

  window.DashboardCharts = { drawAll: drawAll, colours: COLOURS };
  function start() { if (!document.body.dataset.manualCharts) drawAll(document); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
