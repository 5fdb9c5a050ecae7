package report

import (
	"math"
	"sort"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/loadgate/loadgate/record"
)

// mark is a vertical line across a time chart, labelled above the plot:
// the end of the warm-up, the start of a stage.
type mark struct {
	Name string
	X    float64
}

// stageMarks marks the end of the warm-up and the start of every stage;
// marks at the same second are one, their names joined ("warm-up ends ·
// stage 2").
func stageMarks(run *record.Run) []mark {
	var m []mark
	add := func(name string, x float64) {
		for i := range m {
			if math.Abs(m[i].X-x) < 1e-9 {
				m[i].Name += " · " + name
				return
			}
		}
		m = append(m, mark{Name: name, X: x})
	}
	if run.WarmupS > 0 {
		add("warm-up ends", run.WarmupS)
	}
	for i, s := range run.Plan.Stages {
		if i == 0 && s.StartS == 0 {
			continue
		}
		add("stage "+strconv.Itoa(i+1), s.StartS)
	}
	sort.SliceStable(m, func(i, j int) bool { return m[i].X < m[j].X })
	return m
}

// Label geometry of a time chart, for keeping mark labels apart: the plot
// is about plotPx wide on a 1400 px page (narrower pages have fewer px per
// second, so the estimate errs on the side of apart), a label character
// about charPx, a row of labels rowPx tall.
const (
	plotPx = 1000.0
	charPx = 7.0
	rowPx  = 14
)

// markRows gives each mark (in x order) a row of labels above the plot,
// 0 the lowest: a label goes up a row when it would overlap one to its
// left in its row. span is the x axis's length in seconds.
func markRows(marks []mark, span float64) []int {
	rows := make([]int, len(marks))
	var rightEdge []float64 // by row, in px
	for i, m := range marks {
		x := m.X / span * plotPx
		half := float64(len([]rune(m.Name))) * charPx / 2
		row := 0
		for row < len(rightEdge) && rightEdge[row] > x-half-charPx {
			row++
		}
		if row == len(rightEdge) {
			rightEdge = append(rightEdge, 0)
		}
		rightEdge[row] = x + half
		rows[i] = row
	}
	return rows
}

// markLines draws marks as vertical lines on the series, each label in its
// row (markRows) above the plot.
func markLines(marks []mark, rows []int) charts.SeriesOpts {
	return func(s *charts.SingleSeries) {
		var data []any
		for i, m := range marks {
			data = append(data, map[string]any{
				"name": m.Name, "xAxis": round3(m.X),
				"label": map[string]any{"show": true, "formatter": "{b}", "position": "end", "offset": []int{0, -rowPx * rows[i]}},
			})
		}
		s.MarkLines = &opts.MarkLines{Data: data, MarkLineStyle: opts.MarkLineStyle{Symbol: []string{"none", "none"}}}
	}
}
