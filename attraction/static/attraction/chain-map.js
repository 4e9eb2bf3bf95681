// The industry chain map: chain → upstream / midstream / downstream → links (red when no local enterprise)
// → enterprises (green present locally, blue targets), as an ECharts tree read from the page's JSON.
(function () {
  function draw() {
    var holder = document.getElementById("chain-map");
    var source = document.getElementById("chain-map-data");
    if (!holder || !source || !window.echarts) return;
    var chart = window.echarts.init(holder);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", triggerOn: "mousemove" },
      series: [{
        type: "tree",
        data: [JSON.parse(source.textContent)],
        top: 20, left: 90, bottom: 20, right: 220,
        symbolSize: 9,
        initialTreeDepth: -1,
        expandAndCollapse: true,
        label: { position: "left", verticalAlign: "middle", align: "right", fontSize: 13 },
        leaves: { label: { position: "right", verticalAlign: "middle", align: "left" } },
        lineStyle: { color: "#adb5bd" }
      }]
    });
    holder.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
