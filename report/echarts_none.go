//go:build !echarts

package report

// embeddedECharts is empty in a binary built without the echarts tag
// (`go build` outside make): its reports inline the file named by
// Options.EChartsJS or $LOADGATE_ECHARTS_JS, or else load ECharts from the
// CDN and say so.
const embeddedECharts = ""
