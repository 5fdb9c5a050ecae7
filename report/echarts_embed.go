//go:build echarts

package report

import _ "embed"

// embeddedECharts is echarts.min.js built into the binary: `make build`
// copies the file `make assets` fetched next to this one (git-ignored) and
// builds with the echarts tag, so every report of that binary is inlined
// wherever it runs.
//
//go:embed echarts.min.js
var embeddedECharts string
