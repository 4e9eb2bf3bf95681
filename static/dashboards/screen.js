// The big screen (大屏): the clock, the map of the region with its project points, and the charts. htmx polls
// the page every few minutes and swaps #screen; everything is then drawn again from the new data. The
// region outlines are fetched once (the browser keeps them) and registered with echarts.registerMap.
(function () {
  var STATUS_COLOURS = { red: "#ff4d4f", yellow: "#ffc53d", blue: "#40a9ff", done: "#52c41a", other: "#8c8c8c" };
  var outlines = {};
  var mapChart = null;
  window.addEventListener("resize", function () { if (mapChart && !mapChart.isDisposed()) mapChart.resize(); });

  function tick() {
    var clock = document.querySelector(".screen-clock");
    if (!clock) return;
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    clock.textContent = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) + " " +
      pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
  }

  function loadOutlines(url) {
    if (!outlines[url]) {
      outlines[url] = fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("boundaries " + response.status);
        return response.json();
      }).catch(function (error) {
        delete outlines[url];  // tried again at the next refresh
        throw error;
      });
    }
    return outlines[url];
  }

  function pointSeries(data, useGeo, labels) {
    var many = data.points.length > 2000;
    return data.statuses.slice().reverse().map(function (status) {
      var index = data.statuses.indexOf(status);
      return {
        name: labels.statuses[status], type: "scatter", coordinateSystem: useGeo ? "geo" : "cartesian2d",
        data: data.points.filter(function (p) { return p[2] === index; }),
        symbolSize: many ? 4 : (status === "red" ? 11 : 8), large: many, largeThreshold: 2000,
        itemStyle: { color: STATUS_COLOURS[status], opacity: status === "other" ? 0.55 : 0.9 },
        zlevel: 1, z: 10 - index
      };
    });
  }

  function drawMap(root) {
    var holder = root.querySelector("#screen-map");
    var source = root.querySelector("#map-data");
    var chartData = root.querySelector("#dashboard-data");
    if (!holder || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var labels = JSON.parse(chartData.textContent).labels;
    // One request after the other: each saves the session, and SQLite takes one writer at a time.
    var geojson;
    loadOutlines(data.boundaries_url).then(function (outline) {
      geojson = outline;
      return fetch(data.points_url, { credentials: "same-origin" });
    }).then(function (response) {
      if (!response.ok) throw new Error("points " + response.status);
      return response.json();
    }).then(function (answer) {
      data.points = answer.points;
      var old = window.echarts.getInstanceByDom(holder);
      if (old) old.dispose();
      var chart = window.echarts.init(holder, "dark");
      var hasOutline = geojson.features && geojson.features.length > 0;
      var option = {
        animation: false, backgroundColor: "transparent",
        tooltip: { trigger: "item", formatter: function (p) { return p.seriesName; } },
        series: pointSeries(data, hasOutline, labels)
      };
      if (hasOutline) {
        window.echarts.registerMap(data.map_name, geojson);
        option.geo = {
          map: data.map_name, roam: false, layoutCenter: ["50%", "50%"], layoutSize: "96%",
          label: { show: true, color: "#9cc3ff", fontSize: 15 },
          itemStyle: { areaColor: "#0d2a4d", borderColor: "#3fa7ff", borderWidth: 1.2 },
          emphasis: { label: { color: "#fff" }, itemStyle: { areaColor: "#17406f" } }
        };
      } else {
        var note = root.querySelector(".screen-map-note");
        if (note) { note.textContent = labels.no_map; note.hidden = false; }
        option.xAxis = { type: "value", scale: true, show: false };
        option.yAxis = { type: "value", scale: true, show: false };
        option.grid = { left: 20, right: 20, top: 20, bottom: 20 };
      }
      chart.setOption(option);
      chart.on("click", function (p) {
        if (p.seriesType === "scatter" && p.data) window.open(data.project_url.replace("/0/", "/" + p.data[3] + "/"), "_blank");
      });
      mapChart = chart;
      holder.dataset.drawn = "1";
    }).catch(function () {
      var note = root.querySelector(".screen-map-note");
      if (note) { note.textContent = labels.no_map; note.hidden = false; }
    });
  }

  function draw(root) {
    if (!root.querySelector || !root.querySelector("#dashboard-data")) return;
    if (window.DashboardCharts) window.DashboardCharts.drawAll(root);
    drawMap(root);
    tick();
  }

  function start() {
    setInterval(tick, 1000);
    var screen = document.getElementById("screen");
    if (screen) draw(screen);
    // A failed refresh (the session ended: the login page came back) keeps the figures on screen.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var text = event.detail.xhr && event.detail.xhr.responseText;
      if (!event.detail.xhr || event.detail.xhr.status !== 200 || !text || text.indexOf('id="screen"') < 0) {
        event.detail.shouldSwap = false;
      }
    });
    document.body.addEventListener("htmx:afterSettle", function () {
      var fresh = document.getElementById("screen");
      if (fresh) draw(fresh);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
