package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// sums holds one histogram per series ("" = overall).
type sums map[string]*hdr.Histogram

// add adds an interval of a log to its tag's sum.
func (s sums) add(iv HlogInterval) {
	h := iv.Hist
	acc, ok := s[iv.Tag]
	if !ok {
		acc = hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
		acc.SetTag(iv.Tag)
		s[iv.Tag] = acc
	}
	h.MergeInto(acc)
}

// frameReader reads an interval log one frame at a time: the interval
// tagged first (latency.hlog: the untagged overall one; stream.hlog: the
// whole run's TTFT) and the other tags that follow it.
type frameReader struct {
	r       *HlogReader
	first   string
	pending *HlogInterval
	err     error
}

func (f *frameReader) next() []HlogInterval {
	var frame []HlogInterval
	if f.pending != nil {
		frame, f.pending = append(frame, *f.pending), nil
	}
	for f.err == nil {
		iv, err := f.r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.err = err
			break
		}
		if iv.Tag == f.first && len(frame) > 0 {
			f.pending = &iv
			break
		}
		frame = append(frame, iv)
	}
	return frame
}

// mergeLatencyLogs adds the shards' latency logs frame by frame (frame i of
// every shard is second i of its measured window) into o's HlogFile, and
// returns the whole-run sums. Only one frame per shard is held at a time.
func mergeLatencyLogs(ctx context.Context, dirs []string, o *outDir) (sums, error) {
	return mergeFrames(ctx, dirs, o, HlogFile, "", "merged shards: latency in microseconds from the intended send time")
}

// mergeStreamLogs adds the shards' stream logs as mergeLatencyLogs does
// the latency logs, into o's StreamHlogFile; nil sums when no shard has one
// (nothing streamed), an error when only some have.
func mergeStreamLogs(ctx context.Context, dirs []string, o *outDir) (sums, error) {
	var have, lack []string
	for _, d := range dirs {
		if _, err := os.Lstat(filepath.Join(d, StreamHlogFile)); err == nil {
			have = append(have, d)
		} else {
			lack = append(lack, d)
		}
	}
	switch {
	case len(have) == 0:
		return nil, nil
	case len(lack) > 0:
		return nil, fmt.Errorf("merge: %s is in %s and not in %s: the shards did not measure the same streams", StreamHlogFile, strings.Join(have, ", "), strings.Join(lack, ", "))
	}
	return mergeFrames(ctx, dirs, o, StreamHlogFile, StreamTag("", StreamMetrics[0]),
		"merged shards: stream metrics (tags <endpoint>#<metric>), times in microseconds, output tokens as counts")
}

// mergeFrames adds the shards' interval logs named file frame by frame
// (each frame starts with the interval tagged first) into o, and returns
// the whole-run sums.
func mergeFrames(ctx context.Context, dirs []string, o *outDir, file, first, comment string) (sums, error) {
	readers := make([]*frameReader, len(dirs))
	for i, d := range dirs {
		path := filepath.Join(d, file)
		f, err := OpenHlog(path)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		defer f.Close()
		readers[i] = &frameReader{r: NewHlogReader(f, path), first: first}
	}
	total := sums{}
	err := o.write(file, func(out io.Writer) error {
		w := hdr.NewHistogramLogWriter(out)
		for wrote := false; ; {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("merge: stopped: %w", err)
			}
			frame := sums{}
			var startMs, endMs int64
			for _, fr := range readers {
				hs := fr.next()
				if fr.err != nil {
					return fmt.Errorf("merge: %w", fr.err)
				}
				for _, iv := range hs {
					if startMs == 0 {
						startMs, endMs = iv.StartMs, iv.EndMs
					}
					frame.add(iv)
					total.add(iv)
				}
			}
			if len(frame) == 0 {
				return nil
			}
			if !wrote {
				wrote = true
				if err := writeLogHeader(w, startMs, comment); err != nil {
					return err
				}
			}
			for _, tag := range sortedTags(frame) {
				h := frame[tag]
				h.SetStartTimeMs(startMs)
				h.SetEndTimeMs(endMs)
				if err := w.OutputIntervalHistogram(h); err != nil {
					return fmt.Errorf("merge: writing %s: %w", file, err)
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return total, nil
}

func writeLogHeader(w *hdr.HistogramLogWriter, ms int64, comment string) error {
	if err := WriteHlogHeader(w, ms, comment); err != nil {
		return fmt.Errorf("merge: writing log: %w", err)
	}
	return nil
}

// sortedTags lists the overall series first, then endpoints by name; in a
// stream log, the whole run's TTFT first (it starts each frame).
func sortedTags(s sums) []string {
	tags := make([]string, 0, len(s))
	for t := range s {
		tags = append(tags, t)
	}
	first := StreamTag("", StreamMetrics[0])
	sort.Slice(tags, func(i, j int) bool {
		if (tags[i] == first) != (tags[j] == first) {
			return tags[i] == first
		}
		return tags[i] < tags[j] // "" sorts first
	})
	return tags
}

// mergeServiceLogs adds the shards' service-time logs into o's
// ServiceHlogFile and returns the sums.
func mergeServiceLogs(dirs []string, o *outDir) (sums, error) {
	total := sums{}
	var startMs, endMs int64
	for _, d := range dirs {
		path := filepath.Join(d, ServiceHlogFile)
		f, err := OpenHlog(path)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		err = ReadHlog(f, path, func(iv HlogInterval) error {
			if startMs == 0 || iv.StartMs < startMs {
				startMs = iv.StartMs
			}
			endMs = max(endMs, iv.EndMs)
			total.add(iv)
			return nil
		})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
	}
	err := o.write(ServiceHlogFile, func(out io.Writer) error {
		w := hdr.NewHistogramLogWriter(out)
		if err := writeLogHeader(w, startMs, "merged shards: service time (uncorrected) in microseconds over the measured window"); err != nil {
			return err
		}
		for _, tag := range sortedTags(total) {
			h := total[tag]
			h.SetStartTimeMs(startMs)
			h.SetEndTimeMs(endMs)
			if err := w.OutputIntervalHistogram(h); err != nil {
				return fmt.Errorf("merge: writing service time log: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return total, nil
}

// latencySummary summarises a histogram of microseconds.
func latencySummary(h *hdr.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		Min:  float64(h.Min()),
		Mean: h.Mean(),
		P50:  float64(h.ValueAtQuantile(50)),
		P90:  float64(h.ValueAtQuantile(90)),
		P95:  float64(h.ValueAtQuantile(95)),
		P99:  float64(h.ValueAtQuantile(99)),
		P999: float64(h.ValueAtQuantile(99.9)),
		Max:  float64(h.Max()),
	}
}

// latencyOf summarises h, or is nil when h is empty: a population with no
// request has no latency, not a latency of zero.
func latencyOf(h *hdr.Histogram) *Latency {
	if h.TotalCount() == 0 {
		return nil
	}
	l := latencySummary(h)
	return &l
}
