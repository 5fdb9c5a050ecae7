package report

import (
	"fmt"
	"html/template"
	"os"
	"strings"
)

// assets is how a page gets ECharts: inlined script or a CDN URL.
type assets struct {
	InlineJS template.JS
	CDN      string
	// Note is said in the page and on stderr when inlining was asked for
	// and fell back to the CDN.
	Note string
}

// loadAssets reads echarts.min.js for inlining, or falls back to the CDN
// when it is not there (with a note naming what was missing).
func loadAssets(o Options) assets {
	if o.Assets == AssetsCDN {
		return assets{CDN: CDNURL}
	}
	if o.EChartsJS == "" {
		return assets{CDN: CDNURL, Note: fmt.Sprintf("ECharts is loaded from %s: this report needs network to draw its charts. Set %s to the path of echarts.min.js (make fetches it) to inline it.", CDNURL, EnvEChartsJS)}
	}
	data, err := os.ReadFile(o.EChartsJS)
	if err != nil || len(data) == 0 {
		why := "it is empty"
		if err != nil {
			why = err.Error()
		}
		return assets{CDN: CDNURL, Note: fmt.Sprintf("ECharts is loaded from %s: this report needs network to draw its charts (could not inline %s: %s).", CDNURL, o.EChartsJS, why)}
	}
	// A literal "</script" would end the element early.
	js := strings.ReplaceAll(string(data), "</script", `<\/script`)
	return assets{InlineJS: template.JS(js)}
}
