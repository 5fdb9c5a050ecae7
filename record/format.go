package record

import (
	"math"
	"strconv"
	"strings"
)

// Format renders a value in a gate unit (Gate.Unit) for people: latencies as µs, ms or
// s; ratios as percentages; rates as "/s"; sizes in binary units.
func Format(v float64, unit string) string {
	switch unit {
	case "us":
		return FormatMicros(v)
	case "ratio":
		return trim(v*100, 2) + " %"
	case "rps":
		return trim(v, 1) + "/s"
	case "count":
		return trim(v, 3)
	case "s":
		return FormatMicros(v * 1e6)
	case "bytes":
		return FormatBytes(v)
	case "bytes/h":
		return FormatBytes(v) + "/h"
	}
	return trim(v, 3)
}

// FormatMicros renders a duration in microseconds with three significant
// digits: "870 µs", "12.3 ms", "2.10 s".
func FormatMicros(us float64) string {
	a := math.Abs(us)
	switch {
	case a < 1e3:
		return sig(us) + " µs"
	case a < 1e6:
		return sig(us/1e3) + " ms"
	case a < 600e6:
		return sig(us/1e6) + " s"
	}
	return sig(us/60e6) + " min"
}

// FormatBytes renders a byte count in binary units: "512 B", "3.2 MiB".
func FormatBytes(b float64) string {
	a := math.Abs(b)
	switch {
	case a < 1<<10:
		return trim(b, 0) + " B"
	case a < 1<<20:
		return sig(b/(1<<10)) + " KiB"
	case a < 1<<30:
		return sig(b/(1<<20)) + " MiB"
	}
	return sig(b/(1<<30)) + " GiB"
}

// sig formats with three significant digits, dropping trailing zeros.
func sig(v float64) string {
	a := math.Abs(v)
	d := 0
	switch {
	case a < 10:
		d = 2
	case a < 100:
		d = 1
	}
	return trim(v, d)
}

func trim(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
