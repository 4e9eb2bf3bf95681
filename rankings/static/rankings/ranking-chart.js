// The ranking page's bar chart: each subject's score, the first place on top.
(function () {
  function draw() {
    var holder = document.getElementById("ranking-chart");
    var source = document.getElementById("ranking-chart-data");
    if (!holder || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    if (!data) return;
    var chart = window.echarts.init(holder);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", inverse: true, data: data.names, axisLabel: { interval: 0 } },
      series: [{
        name: data.label, type: "bar", data: data.scores, barMaxWidth: 22,
        itemStyle: { color: "#1c6dd0" }, label: { show: true, position: "right", formatter: function (p) { return p.value.toFixed(2); } }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
