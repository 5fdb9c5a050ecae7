// Draws every chart of a loadgate report from its data: each
// <script type="application/json" class="chart-data" data-chart="ID">
// holds {"option": ECharts option, "xLabels": "percentile" or absent,
// "selector": series names offered by a select element, or absent} for
// the element with that id. The data is parsed as JSON, never evaluated;
// a data point's "link" (a relative path the page made) is followed on a
// click.
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
    var chart = echarts.init(el);
    chart.setOption(spec.option);
    if (spec.selector && spec.selector.length) {
      addSelector(el, chart, spec);
    }
    // A point that carries a link (a trend's run) opens its report.
    chart.on("click", function (p) {
      if (p.data && typeof p.data.link === "string" && p.data.link) {
        window.location.href = p.data.link;
      }
    });
  }
  // A select element above the chart that shows one more of the series
  // left out of the legend at first (names are set as text, never markup).
  function addSelector(el, chart, spec) {
    var label = document.createElement("label");
    label.className = "selector";
    label.appendChild(document.createTextNode("Show another endpoint: "));
    var sel = document.createElement("select");
    var first = document.createElement("option");
    first.value = "";
    first.textContent = "(" + spec.selector.length + " more)";
    sel.appendChild(first);
    spec.selector.forEach(function (name) {
      var o = document.createElement("option");
      o.value = name;
      o.textContent = name;
      sel.appendChild(o);
    });
    sel.addEventListener("change", function () {
      var name = sel.value;
      if (!name) {
        return;
      }
      var legend = [].concat(chart.getOption().legend)[0];
      var data = (legend.data || []).slice();
      if (data.indexOf(name) < 0) {
        data.push(name);
        chart.setOption({legend: {data: data}});
      }
      chart.dispatchAction({type: "legendSelect", name: name});
      sel.options[sel.selectedIndex].disabled = true;
      sel.value = "";
    });
    label.appendChild(sel);
    el.parentNode.insertBefore(label, el);
  }
})();
