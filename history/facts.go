package history

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
)

// runKey is the identity of a run in the store: the same run, recorded by
// itself and imported later (from wherever its directory went), has the
// same key; two runs never do (a run's id is its start second and
// scenario, so the key adds the exact start, the host, the plan and the
// shard).
func runKey(run *record.Run) string {
	return digest(record.KindRun, run.ID, run.Started.UTC().Format(time.RFC3339Nano), run.Host, run.PlanHash, run.Shard)
}

// capacityKey is the identity of a capacity search.
func capacityKey(dir string, c *record.Capacity) string {
	return digest(record.KindCapacity, filepath.Base(dir), c.Scenario, c.Started.UTC().Format(time.RFC3339Nano), c.Target)
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p + ";"))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// verdictOf is the run's recorded verdict: run.json's judged verdict, or
// for a run.json from before it was recorded, that of its evaluated gates.
func verdictOf(run *record.Run) string {
	switch {
	case run.Judged != nil:
		return run.Judged.Verdict
	case len(run.Gates) > 0:
		return gate.Verdict(run.Gates)
	}
	return ""
}

// kindOf is KindMerge for a merged run, else KindRun.
func kindOf(run *record.Run) string {
	if run.Merged != nil {
		return record.KindMerge
	}
	return record.KindRun
}

// readSeconds reads each second's latency of the successful requests of
// every series from the run directory's latency.hlog: a log split by
// outcome has them under the ":ok" tags; an older log only all requests,
// which are the successful ones of a series where run.json counts no
// failure (others are left out). A missing log gives none; a corrupt one
// is an error naming it. T is placed after the warm-up, where the
// measured window starts.
func readSeconds(dir string, run *record.Run) (map[string][]record.Second, error) {
	path := filepath.Join(dir, record.HlogFile)
	f, err := record.OpenHlog(path)
	if errors.Is(err, record.ErrMissing) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	all := map[string][]record.Second{}
	r := record.NewHlogReader(f, path)
	first, seen := 0.0, false
	for {
		iv, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !seen {
			first, seen = iv.Start, true
		}
		n := iv.Hist.TotalCount()
		if n == 0 {
			continue
		}
		v := iv.Hist.ValueAtPercentilesSlice([]float64{50, 90, 95, 99, 99.9, 100})
		all[iv.Tag] = append(all[iv.Tag], record.Second{
			T:     run.WarmupS + math.Round((iv.Start-first)*1000)/1000,
			Count: n,
			Latency: record.Latency{P50: float64(v[0]), P90: float64(v[1]), P95: float64(v[2]),
				P99: float64(v[3]), P999: float64(v[4]), Max: float64(v[5])},
		})
	}
	split := false
	for tag := range all {
		if _, p := record.SplitTag(tag); p != record.All {
			split = true
			break
		}
	}
	out := map[string][]record.Second{}
	for tag, secs := range all {
		ep, p := record.SplitTag(tag)
		switch {
		case split && p == record.OK:
			out[ep] = secs
		case !split && allSucceeded(run, ep):
			out[ep] = secs
		}
	}
	return out, nil
}

// allSucceeded says whether every measured request of endpoint ("" the
// whole run) succeeded, so that its latencies are the successful ones'.
func allSucceeded(run *record.Run, endpoint string) bool {
	st := &run.Overall
	if endpoint != "" {
		s, ok := run.Endpoints[endpoint]
		if !ok {
			return false
		}
		st = &s
	}
	return st.Count(record.OK) > 0 && st.Count(record.OK) == st.Count(record.All)
}

// checkRun refuses a run the store cannot hold as a finished run.
func checkRun(dir string, run *record.Run) error {
	switch {
	case run.Status == record.StatusRunning:
		return fmt.Errorf("%s did not finish (status running): only finished runs are recorded", filepath.Join(dir, record.RunFile))
	case run.ID == "" || run.Scenario == "":
		return fmt.Errorf("%s has no id or scenario", filepath.Join(dir, record.RunFile))
	}
	return nil
}

// Past is the run directory dir as the store would keep it: run (its
// run.json's content) and each second's latency of the successful requests
// from its latency.hlog. It is for comparing runs that are not (yet) in a
// store, as bisect does.
func Past(dir string, run *record.Run) (record.PastRun, error) {
	secs, err := readSeconds(dir, run)
	if err != nil {
		return record.PastRun{}, err
	}
	return record.PastRun{Key: runKey(run), Kind: kindOf(run), Dir: dir, Run: run, Seconds: secs}, nil
}
