package report

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
)

// changeWords says how v differs from base in words a reader takes in at a
// glance: a percentage while the change is under 2× ("+25 %", "−40 %"), a
// ratio beyond it ("6,200× faster", "3.1× higher"), "to 0" or "from 0".
// It never says "−100 %" of a value that is not zero. Latencies ("us")
// become faster or slower, anything else higher or lower.
func changeWords(base, v float64, unit string) string {
	switch {
	case v == base:
		return "no change"
	case base == 0:
		return "from 0"
	case v == 0:
		return "to 0"
	}
	r := v / base
	if r > 0.5 && r < 2 {
		return formatChange(r - 1)
	}
	up, down := "higher", "lower"
	if unit == "us" {
		up, down = "slower", "faster"
	}
	if r >= 2 {
		return ratioWords(r) + " " + up
	}
	return ratioWords(1/r) + " " + down
}

// ratioWords renders a ratio of at least 2 with two significant digits and
// thousands separators: "2.4×", "21×", "6,200×".
func ratioWords(k float64) string {
	if k < 10 {
		return strconv.FormatFloat(k, 'f', 1, 64) + "×"
	}
	mag := math.Pow(10, math.Floor(math.Log10(k))-1)
	n := int64(math.Round(k/mag) * mag)
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + "×"
}

// latencyWords formats a latency in µs, saying so when the request timeout
// (0: none known) capped it: "≥ 30 s, timeout". A latency within 1 % of the
// timeout is taken as capped by it.
func latencyWords(us float64, timeout time.Duration) string {
	if capped(us, timeout) {
		return "≥ " + gate.FormatMicros(float64(timeout.Microseconds())) + ", timeout"
	}
	return gate.FormatMicros(us)
}

func capped(us float64, timeout time.Duration) bool {
	return timeout > 0 && us >= 0.99*float64(timeout.Microseconds())
}

// ppWords says a change of a ratio in percentage points: "+3.2 pp".
func ppWords(base, v float64) string {
	pp := (v - base) * 100
	digits := 0
	if math.Abs(pp) < 10 {
		digits = 1
	}
	s := strconv.FormatFloat(math.Abs(pp), 'f', digits, 64) + " pp"
	switch {
	case pp > 0:
		return "+" + s
	case pp < 0:
		return "−" + s
	}
	return "±" + s
}
