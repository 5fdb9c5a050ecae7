package record

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestMergeBoundedByShardCount: what a merge allocates does not grow with
// the shard count its run.json files claim. A count above MaxShards is
// refused at once, naming the file; at MaxShards, the missing shards are
// said as ranges. (Before, shards claiming 1/1000000000 and 2/1000000000
// made the merge list every missing index, about 150 MB a second until
// memory ran out.) Not parallel: it counts the bytes the process allocates.
func TestMergeBoundedByShardCount(t *testing.T) {
	dirs, _ := fakeShards(t, 2)
	claim := func(n int) []string {
		return []string{
			variant(t, dirs[0], func(r *Run) { r.ShardCount = n }),
			variant(t, dirs[1], func(r *Run) { r.ShardCount = n }),
		}
	}
	const huge = 20_000_000
	shards := claim(huge)
	for _, partial := range []bool{false, true} {
		var opts []MergeOption
		if partial {
			opts = append(opts, Partial())
		}
		out := filepath.Join(t.TempDir(), "m")
		var err error
		allocated := bytesAllocated(func() { _, _, err = Merge(context.Background(), shards, out, opts...) })
		if err == nil || !strings.Contains(err.Error(), shards[0]) || !strings.Contains(err.Error(), fmt.Sprintf("at most %d shards", MaxShards)) {
			t.Errorf("shards claiming %d (partial %v): %v, want a refusal naming the file and the bound", huge, partial, err)
		}
		if allocated > 8<<20 {
			t.Errorf("shards claiming %d (partial %v): the merge allocated %s; it must not grow with the count", huge, partial, FormatBytes(float64(allocated)))
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("a refused merge created %s", out)
		}
	}

	// At the bound: 998 shards missing are said as one range, and listed
	// in merged.missing under --partial.
	shards = claim(MaxShards)
	_, _, err := Merge(context.Background(), shards, filepath.Join(t.TempDir(), "m"))
	if err == nil || !strings.Contains(err.Error(), "shard 3-1000 of 1000 missing") || len(err.Error()) > 200 {
		t.Errorf("shards 1 and 2 of %d: %v, want the missing ones as a range", MaxShards, err)
	}
	run, _, err := Merge(context.Background(), shards, filepath.Join(t.TempDir(), "m"), Partial())
	if err != nil {
		t.Fatal(err)
	}
	if m := run.Merged; m.Shards != 2 || m.Of != MaxShards || len(m.Missing) != MaxShards-2 || m.Missing[0] != 3 || m.Missing[len(m.Missing)-1] != MaxShards {
		t.Errorf("partial merge of 2 of %d: shards %d of %d, missing %d (%v…)", MaxShards, m.Shards, m.Of, len(m.Missing), m.Missing[:min(3, len(m.Missing))])
	}
}

// bytesAllocated is how many bytes the process allocated while f ran.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestIntRanges: missing shard indexes are said as ranges.
func TestIntRanges(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   []int
		want string
	}{
		{[]int{2}, "2"},
		{[]int{2, 3}, "2-3"},
		{[]int{1, 3, 4, 5, 9}, "1, 3-5, 9"},
	} {
		if got := intRanges(c.in); got != c.want {
			t.Errorf("intRanges(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRefusedMergeLeavesNothing: a merge refused after it made its output
// directory (a shard's log or timeline found corrupt or missing while
// merging, the merge interrupted) takes back what it made: an --out it
// created is gone, with the parents it created, and an --out that was
// there empty is there and empty. So the same merge, once the shards are
// sound, runs into the same --out.
func TestRefusedMergeLeavesNothing(t *testing.T) {
	t.Parallel()
	dirs, _ := fakeShards(t, 2)
	corrupt := func(name string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fmt.Fprintln(f, "Tag=a,9.000,1.000,0.001,HISTFAAAAnot-a-histogram")
		}
	}
	remove := func(name string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name   string
		spoil  func(t *testing.T, dir string) // shard 2's directory
		cancel bool
		want   string
	}{
		// Found while latency.hlog is being written.
		{"corrupt latency log", corrupt(HlogFile), false, "corrupt"},
		// Found once latency.hlog is written.
		{"corrupt service log", corrupt(ServiceHlogFile), false, "corrupt"},
		{"no service log", remove(ServiceHlogFile), false, ServiceHlogFile},
		// Found once both logs are written.
		{"corrupt timeline", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, TimelineFile), []byte("{"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, "corrupt"},
		{"interrupted", func(*testing.T, string) {}, true, "stopped"},
	}
	for _, c := range cases {
		for _, existed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, out existed %v", c.name, existed), func(t *testing.T) {
				t.Parallel()
				bad := variant(t, dirs[1], func(*Run) {})
				c.spoil(t, bad)
				parent := t.TempDir()
				out := filepath.Join(parent, "a", "b", "merged")
				if existed {
					if err := os.MkdirAll(out, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				ctx, cancel := context.WithCancel(context.Background())
				if c.cancel {
					cancel()
				}
				defer cancel()
				_, _, err := Merge(ctx, []string{dirs[0], bad}, out)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Merge: %v, want a refusal saying %q", err, c.want)
				}
				if existed {
					if names := dirNames(t, out); len(names) != 0 {
						t.Errorf("the refused merge left %q in %s, which was empty", names, out)
					}
				} else if names := dirNames(t, parent); len(names) != 0 {
					t.Errorf("the refused merge left %q in %s, which was empty", names, parent)
				}
				if _, _, err := Merge(context.Background(), dirs, out); err != nil {
					t.Errorf("the same merge of sound shards into %s: %v", out, err)
				}
			})
		}
	}
}

// TestMergeRefusesOtherStages: shards whose plans have different stages
// (hand-edited run.json files) are refused, naming them; their levels
// could not be added stage by stage.
func TestMergeRefusesOtherStages(t *testing.T) {
	t.Parallel()
	dirs, _ := fakeShards(t, 2)
	more := variant(t, dirs[1], func(r *Run) { r.Plan.Stages = append(r.Plan.Stages, Stage{StartS: 4, DurationS: 1}) })
	out := filepath.Join(t.TempDir(), "m")
	_, _, err := Merge(context.Background(), []string{dirs[0], more}, out)
	if err == nil || !strings.Contains(err.Error(), more) || !strings.Contains(err.Error(), "3 stages") {
		t.Errorf("shards with 2 and 3 stages: %v, want a refusal naming the shard and its stages", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused merge created %s", out)
	}
	if !slices.Equal(dirNames(t, filepath.Dir(out)), nil) {
		t.Errorf("left %q", dirNames(t, filepath.Dir(out)))
	}
}
