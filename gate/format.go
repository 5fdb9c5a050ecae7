package gate

import "github.com/loadgate/loadgate/record"

// Format renders a value in a gate unit for people: latencies as µs, ms or
// s; ratios as percentages; rates as "/s". The units are record.Gate's, so
// the formatting lives with them (record.Format).
func Format(v float64, unit string) string { return record.Format(v, unit) }

// FormatMicros renders a duration in microseconds with three significant
// digits: "870 µs", "12.3 ms", "2.10 s" (record.FormatMicros).
func FormatMicros(us float64) string { return record.FormatMicros(us) }

// FormatBytes renders a byte count in binary units: "512 B", "3.2 MiB"
// (record.FormatBytes).
func FormatBytes(b float64) string { return record.FormatBytes(b) }
