// Draws every chart of a loadgate report from its data: each
// <script type="application/json" class="chart-data" data-chart="ID">
// holds {"option": ECharts option, "xLabels": "percentile" or absent} for
// the element with that id. The data is parsed as JSON, never evaluated.
(function () {
  "use strict";
  function percentileLabel(v) {
    return parseFloat((100 - 100 / v).toPrecision(6)) + "%";
  }
  var blocks = document.querySelectorAll("script.chart-data");
  for (var i = 0; i < blocks.length; i++) {
    var el = document.getElementById(blocks[i].getAttribute("data-chart"));
    if (!el || typeof echarts === "undefined") {
      continue;
    }
    var spec = JSON.parse(blocks[i].textContent);
    if (spec.xLabels === "percentile") {
      [].concat(spec.option.xAxis).forEach(function (x) {
        x.axisLabel = Object.assign({}, x.axisLabel, {formatter: percentileLabel});
      });
    }
    echarts.init(el).setOption(spec.option);
  }
})();
