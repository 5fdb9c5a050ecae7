package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"os"
	"strings"
)

// drawChartsJS is the one script of a page's own: it draws every chart
// from its JSON data element (parsed, never evaluated), so no string of a
// run is ever code.
//
//go:embed templates/charts.js
var drawChartsJS string

// assets is the script a page carries and the Content-Security-Policy that
// allows exactly that script and nothing else.
type assets struct {
	// InlineJS is ECharts inlined; empty when the page loads it from CDN.
	InlineJS template.JS
	// CDN is where the page loads ECharts from when it is not inlined, and
	// Integrity the file's Subresource Integrity hash.
	CDN, Integrity string
	// DrawJS draws the charts (drawChartsJS).
	DrawJS template.JS
	// CSP is the page's Content-Security-Policy: nothing by default; the
	// inline scripts above by their SHA-256 (and the CDN file, only when
	// ECharts is not inlined); inline styles (the page's <style> and the
	// style attributes ECharts sets); no base URL, no form target. An
	// inlined page so has no network at all.
	CSP string
	// Note is said in the page and on stderr when inlining was asked for
	// and fell back to the CDN.
	Note string
}

// Mode says how ECharts came: "inlined" or "from <CDN URL>".
func (a assets) Mode() string {
	if a.InlineJS != "" {
		return "inlined"
	}
	return "from " + a.CDN
}

// loadAssets inlines ECharts from the file Options.EChartsJS names (or
// $LOADGATE_ECHARTS_JS), else from the copy built into the binary (`make
// build`); with neither it falls back to the CDN with a note naming what was
// missing. It sets the policy that allows the page's scripts.
func loadAssets(o Options) assets {
	a := assets{DrawJS: template.JS(drawChartsJS)}
	js := ""
	switch data, err := readECharts(o); {
	case o.Assets == AssetsCDN:
	case err == nil && len(data) > 0:
		js = string(data)
	case embeddedECharts != "":
		js = embeddedECharts
	case o.EChartsJS == "":
		a.Note = fmt.Sprintf("ECharts is loaded from %s: this report needs network to draw its charts. This loadgate binary was built without ECharts (`make build` embeds it); or set %s to the path of echarts.min.js (`make assets` fetches it).", CDNURL, EnvEChartsJS)
	default:
		a.Note = fmt.Sprintf("ECharts is loaded from %s: this report needs network to draw its charts (this loadgate binary was built without ECharts, `make build` embeds it, and %s could not be inlined: %s).", CDNURL, o.EChartsJS, err)
	}
	if js != "" {
		// A literal "</script" would end the element early.
		a.InlineJS = template.JS(strings.ReplaceAll(js, "</script", `<\/script`))
	}
	scripts := []string{scriptHash(string(a.DrawJS))}
	if a.InlineJS != "" {
		scripts = append(scripts, scriptHash(string(a.InlineJS)))
	} else {
		a.CDN, a.Integrity = CDNURL, EChartsIntegrity
		scripts = append(scripts, CDNURL)
	}
	a.CSP = "default-src 'none'; script-src " + strings.Join(scripts, " ") +
		"; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
	return a
}

// readECharts reads the file to inline; an empty one is an error.
func readECharts(o Options) ([]byte, error) {
	if o.Assets == AssetsCDN || o.EChartsJS == "" {
		return nil, nil
	}
	data, err := os.ReadFile(o.EChartsJS)
	if err == nil && len(data) == 0 {
		err = fmt.Errorf("it is empty")
	}
	return data, err
}

// scriptHash is a CSP source that allows the inline script body.
func scriptHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}
