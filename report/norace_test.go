//go:build !race

package report

// raceEnabled is true under the race detector, which makes the hour-long
// fixtures too slow for `make test`.
const raceEnabled = false
