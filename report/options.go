package report

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// Asset modes: how report.html gets the ECharts script.
const (
	// AssetsInline embeds echarts.min.js into the page, which then opens with
	// no network. It needs Options.EChartsJS (or $LOADGATE_ECHARTS_JS); when
	// the file is absent the page falls back to the CDN and says so.
	AssetsInline = "inline"
	// AssetsCDN references ECharts on a CDN: small files that need network.
	AssetsCDN = "cdn"
)

// EChartsVersion is the ECharts release the charts are written for; the CDN
// fallback and the Makefile's `npm pack echarts@…` use it.
const EChartsVersion = "5.6.0"

// CDNURL is where the page loads ECharts from in AssetsCDN mode.
const CDNURL = "https://cdn.jsdelivr.net/npm/echarts@" + EChartsVersion + "/dist/echarts.min.js"

// EChartsIntegrity is the Subresource Integrity hash of CDNURL's file
// (sha384 of echarts.min.js of the npm package echarts@EChartsVersion, which
// the CDN serves unchanged): a page that loads ECharts from the CDN runs it
// only when it is that file.
const EChartsIntegrity = "sha384-pPi0zxBAoDu6+JXW/C68UZLvBUUtU+7zonhif43rqj7pxsGyqyqzcian2Rj37Rss"

// EnvEChartsJS names the environment variable that gives the path of
// echarts.min.js when Options.EChartsJS is empty.
const EnvEChartsJS = "LOADGATE_ECHARTS_JS"

// DefaultMaxPoints is the most points one drawn series holds; longer runs
// are downsampled for display (statistics always come from the full
// histograms).
const DefaultMaxPoints = 900

// DefaultMaxRegression is the allowed P95 regression against a baseline when
// Options.Baseline is set and Options.MaxRegression is empty.
const DefaultMaxRegression = 0.10

// DefaultAlpha is the significance level of the regression rank test.
const DefaultAlpha = 0.01

// Options configure Finish, Gate and Compare. The zero value is usable.
type Options struct {
	// Gates, when non-nil, are gates in place of the scenario's
	// (run.Plan.Gates): Finish judges the run by them and records them;
	// Gate evaluates them ad hoc; Compare shows them; Render refuses them.
	Gates []string
	// Parsed, when non-nil, are the gates Judge judges by, already parsed:
	// the owner of a run hands over the scenario's, parsed once at load,
	// so that they are not parsed again. Their expressions must be
	// Gates, or run.Plan.Gates when Gates is nil (Judge refuses others).
	Parsed []gate.Gate
	// Assets is AssetsInline (default) or AssetsCDN.
	Assets string
	// EChartsJS is the path of echarts.min.js to inline; default
	// $LOADGATE_ECHARTS_JS.
	EChartsJS string
	// Baseline is a run directory to check this run against for regressions
	// (Finish records it, Gate checks ad hoc, Render refuses it); empty for
	// none.
	//
	// BaselineHistory ("history") checks it against past runs of a history
	// store instead: Baselines, chosen as BaselineBasis says. Their
	// per-second samples are pooled and the baseline's value is the median
	// of theirs; with none, the regression gates are unknown, saying
	// BaselineBasis (Judge), or Gate fails.
	Baseline string
	// Baselines are the past runs of a check against history.
	Baselines []record.PastRun
	// BaselineBasis says how Baselines were chosen ("the last 5 completed
	// runs of plan … at or before …"), or why there are none.
	BaselineBasis string
	// MaxRegression is the allowed increase by metric ("p95", "p99",
	// "error_rate", or "search.p95" for one endpoint), as a ratio (0.10 is
	// 10 %). Default with a baseline: p95 = DefaultMaxRegression.
	MaxRegression map[string]float64
	// Alpha is the significance level of the regression test; default
	// DefaultAlpha.
	Alpha float64
	// Labels name the runs of a comparison, in order; default each run's
	// directory name.
	Labels []string
	// MaxPoints is the most points a drawn series has; default DefaultMaxPoints.
	MaxPoints int
	// Stderr receives warnings (the CDN fallback); default os.Stderr.
	Stderr io.Writer
}

func (o Options) withDefaults() Options {
	if o.Assets == "" {
		o.Assets = AssetsInline
	}
	if o.EChartsJS == "" {
		o.EChartsJS = os.Getenv(EnvEChartsJS)
	}
	if o.MaxPoints <= 0 {
		o.MaxPoints = DefaultMaxPoints
	}
	if o.Alpha <= 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Baseline != "" && len(o.MaxRegression) == 0 {
		o.MaxRegression = map[string]float64{"p95": DefaultMaxRegression}
	}
	return o
}

func (o Options) check() error {
	if o.Assets != AssetsInline && o.Assets != AssetsCDN {
		return fmt.Errorf("assets %q: use %q or %q", o.Assets, AssetsInline, AssetsCDN)
	}
	for m := range o.MaxRegression {
		if _, _, err := splitRegressionMetric(m); err != nil {
			return err
		}
	}
	return nil
}

// ParseMaxRegression parses a --max-regression flag value such as
// "p95=10%", "p95=10%,p99=20%" or "search.p95=0.15" into
// Options.MaxRegression form.
func ParseMaxRegression(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !ok || name == "" || val == "" {
			return nil, fmt.Errorf("max regression %q: want metric=percent, e.g. p95=10%%", part)
		}
		if _, _, err := splitRegressionMetric(name); err != nil {
			return nil, fmt.Errorf("max regression %q: %w", part, err)
		}
		pct := strings.HasSuffix(val, "%")
		f, err := strconv.ParseFloat(strings.TrimSuffix(val, "%"), 64)
		if err != nil || f < 0 {
			return nil, fmt.Errorf("max regression %q: %q is not a non-negative number", part, val)
		}
		if pct {
			f /= 100
		}
		out[name] = f
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("max regression %q: nothing given", s)
	}
	return out, nil
}
