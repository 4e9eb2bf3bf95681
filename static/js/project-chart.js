// The project page's monthly investment chart: approved monthly figures as bars,
// the since-start total as a line, the total investment as a dashed mark line.
(function () {
  function draw() {
    var holder = document.getElementById("project-chart");
    var source = document.getElementById("project-chart-data");
    if (!holder || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(holder);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.monthly, data.labels.cumulative] },
      grid: { left: 60, right: 70, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: [
        { type: "value", name: data.labels.monthly + "（" + data.labels.unit + "）", nameTextStyle: { align: "left" } },
        { type: "value", name: data.labels.cumulative, splitLine: { show: false } }
      ],
      series: [
        { name: data.labels.monthly, type: "bar", data: data.monthly, itemStyle: { color: "#1c6dd0" } },
        {
          name: data.labels.cumulative, type: "line", yAxisIndex: 1, data: data.cumulative,
          itemStyle: { color: "#d63939" },
          markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#6c757d" },
                      label: { formatter: data.labels.total + " {c}" }, data: [{ yAxis: data.total }] }
        }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
