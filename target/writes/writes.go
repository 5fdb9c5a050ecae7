// Package writes is the reference target's after-run check that no write it
// acknowledged was lost (run.json's writes): the rows of its database are
// counted before a run with fault drills and after it, against the 2xx
// answers to the requests that write. It lives beside the target because it
// knows the target's routes and tables; the owner of a run (package trial)
// runs it as an after-run step on the run it holds in memory. It is not a
// general check of any target's writes.
package writes

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/target/store"
)

// Check compares the writes the reference target acknowledged during a run
// with the rows that appeared in its database (run.json's writes).
type Check struct {
	url    string
	before rows
	// wait bounds the count after the run (countWait when zero): a
	// database that accepts connections and never answers must not hold
	// the run's report back.
	wait time.Duration
}

// countWait is how long Finish waits for the rows to be counted.
const countWait = 30 * time.Second

// rows are the reference target's writes as its database holds them: a
// meal logged is a row of meals, a chat turn a row of messages with role
// user (stored with its answer in one statement).
type rows struct{ meals, chats int64 }

// The requests that write them.
var (
	mealPath = regexp.MustCompile(`^/api/v1/users/[^/]+/meals$`)
	chatPath = "/api/v1/chat"
	// completionsPath is the OpenAI-compatible chat, which stores its
	// exchange as a chat does.
	completionsPath = "/v1/chat/completions"
)

// Start counts the rows of the database at databaseURL now, before the run.
func Start(ctx context.Context, databaseURL string) (*Check, error) {
	w := &Check{url: databaseURL}
	var err error
	w.before, err = countRows(ctx, databaseURL)
	return w, err
}

func countRows(ctx context.Context, url string) (rows, error) {
	meals, chats, err := store.CountWrites(ctx, url)
	if err != nil {
		return rows{}, fmt.Errorf("counting writes: %w", err)
	}
	return rows{meals, chats}, nil
}

// Finish counts the rows again and records the check in run (its Writes
// and Warnings), which the owner of the run holds in memory before writing
// run.json. A run with a warm-up is left without: run.json counts only the
// measured requests, and the warm-up's writes would hide losses. Rows that
// cannot be counted (the database down after a drill's undo failed, or not
// answering within the wait) are recorded as not checked, and why, so that
// the run's report is still written.
func (w *Check) Finish(ctx context.Context, run *record.Run) {
	if run.WarmupS > 0 {
		return
	}
	wait := w.wait
	if wait == 0 {
		wait = countWait
	}
	// The run may have ended on a Ctrl-C, which cancelled ctx: the count
	// has a context of its own, bounded.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	defer cancel()
	after, err := countRows(cctx, w.url)
	recordWrites(run, w.before, after, err)
}

// recordWrites sets run's writes from the rows counted before and after the run,
// or, when counting after it failed (uncounted), the error instead of the
// rows found and lost. A drill of the run that failed to inject or undo
// makes the check unreliable: the writes name it, and a warning, which
// every report says, says so.
func recordWrites(run *record.Run, before, after rows, uncounted error) {
	run.Writes = writes(run, before, after)
	if run.Writes == nil {
		return
	}
	var why []string
	for _, f := range run.Faults {
		switch {
		case f.Error != "":
			why = append(why, "drill "+f.Name+" failed to inject")
		case f.UndoError != "":
			why = append(why, "drill "+f.Name+" failed to undo")
		default:
			continue
		}
		run.Writes.FailedDrills = append(run.Writes.FailedDrills, f.Name)
	}
	switch {
	case uncounted != nil:
		w := run.Writes
		w.Found, w.Lost, w.Error = nil, nil, redact.Error(uncounted).Error()
		warning := "writes not checked: " + w.Error
		if len(why) > 0 {
			warning += " (" + strings.Join(why, ", ") + ")"
		}
		run.Warnings = append(run.Warnings, warning)
	case len(why) > 0:
		run.Warnings = append(run.Warnings, "writes check not reliable: "+strings.Join(why, ", "))
	}
}

// writes compares the successful answers to POST meal logs and chats of
// run (plain requests and flow steps) with the rows that appeared between
// before and after; nil when the run sent no such request. A success is an
// answer with an expected status (the default: 2xx or 3xx) and, for a
// streamed chat, a stream that ended with [DONE]: a stream cut after its
// first chunk is a 200 whose reply may never have been stored.
func writes(run *record.Run, before, after rows) *record.Writes {
	var ackMeals, ackChats int64
	w := &record.Writes{}
	mixes := append([]record.RequestMix{}, run.Plan.Requests...)
	for _, f := range run.Plan.Flows {
		mixes = append(mixes, f.Steps...)
	}
	for _, r := range mixes {
		isMeal := r.Method == "POST" && mealPath.MatchString(templated(r.Path))
		isChat := r.Method == "POST" && (r.Path == chatPath || r.Path == completionsPath)
		if !isMeal && !isChat {
			continue
		}
		w.Endpoints = append(w.Endpoints, r.Name)
		n := run.Endpoints[r.Name].Successes
		if isMeal {
			ackMeals += n
		} else {
			ackChats += n
		}
	}
	if len(w.Endpoints) == 0 {
		return nil
	}
	foundMeals, foundChats := after.meals-before.meals, after.chats-before.chats
	found, lost := foundMeals+foundChats, max(0, ackMeals-foundMeals)+max(0, ackChats-foundChats)
	w.Acknowledged, w.Found, w.Lost = ackMeals+ackChats, &found, &lost
	return w
}

// templated replaces each {{…}} of a request path by a placeholder word.
func templated(path string) string {
	for {
		i := strings.Index(path, "{{")
		j := strings.Index(path, "}}")
		if i < 0 || j < i {
			return path
		}
		path = path[:i] + "x" + path[j+2:]
	}
}
