// Package report turns a results directory (record) into what people
// and CI read: report.html (one file; chart options built with go-echarts
// and carried as JSON data, the ECharts script inlined, a Content-Security-
// Policy that runs nothing else), summary.md, junit.xml, and a verdict that
// the CLI maps to an exit code. Every string of a run is data in each of
// them (escape.go). It also compares several runs and checks a run against a baseline
// with a rank test over per-second samples, so that noise is not called a
// regression.
//
// It reads only the files of a run directory (run.json, timeline.json,
// latency.hlog), so a report can be redrawn long after the run. Statistics
// come from the full histograms; only what is drawn is downsampled. The gate
// language itself lives in gate.
package report
