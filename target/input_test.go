package target_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a log sink the server's goroutines may write to while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestHostileInputIsABadRequest sends what a client may send but PostgreSQL
// cannot store or read (NUL bytes, invalid UTF-8, numbers its column types
// reject, dates outside its range): each is a 400 naming the field, never a
// 5xx, and nothing is logged at ERROR.
func TestHostileInputIsABadRequest(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	cfg := testConfig(t)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := start(t, cfg)
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		// PostgreSQL text cannot hold a NUL byte.
		{"NUL in nutrition search", "GET", "/api/v1/nutrition/search?q=egg%00", "", "q"},
		{"NUL alone in nutrition search", "GET", "/api/v1/nutrition/search?q=%00", "", "q"},
		{"NUL in memory search", "GET", "/api/v1/users/1/memory/search?q=run%00ning", "", "q"},
		{"NUL in chat message", "POST", "/api/v1/chat", `{"user_id":1,"message":"hello\u0000 salmon"}`, "message"},
		{"NUL in memory content", "POST", "/api/v1/users/1/memory", `{"kind":"fact","content":"likes\u0000tea"}`, "content"},
		{"NUL in user name", "POST", "/api/v1/users", `{"name":"a\u0000b","email":"nul@example.com"}`, "name"},
		{"NUL in user email", "POST", "/api/v1/users", `{"name":"ab","email":"nul\u0000@example.com"}`, "email"},
		// A URL-decoded query is bytes; PostgreSQL wants UTF-8.
		{"invalid UTF-8 in memory search", "GET", "/api/v1/users/1/memory/search?q=caf%E9", "", "q"},
		{"invalid UTF-8 in nutrition search", "GET", "/api/v1/nutrition/search?q=%FF%FE", "", "q"},
		{"truncated UTF-8 in memory search", "GET", "/api/v1/users/1/memory/search?q=%C3", "", "q"},
		// encoding/json turns invalid UTF-8 in a string into U+FFFD: the
		// chat stored "caf\ufffd salmon" and answered 200.
		{"invalid UTF-8 in chat message", "POST", "/api/v1/chat", "{\"user_id\":1,\"message\":\"caf\xe9 salmon\"}", "message"},
		{"truncated UTF-8 in chat message", "POST", "/api/v1/chat", "{\"user_id\":1,\"message\":\"tea \xc3\"}", "message"},
		{"invalid UTF-8 in memory content", "POST", "/api/v1/users/1/memory", "{\"kind\":\"fact\",\"content\":\"\xff\xfe\xfd\"}", "content"},
		{"invalid UTF-8 in user name", "POST", "/api/v1/users", "{\"name\":\"\xc3x\",\"email\":\"utf@example.com\"}", "name"},
		// grams is a real (float4) with CHECK (grams > 0): what rounds to 0
		// or underflows in its products must not reach it.
		{"grams underflowing float4", "POST", "/api/v1/users/1/meals", `{"food_id":1,"grams":1e-300}`, "grams"},
		{"grams float4 denormal", "POST", "/api/v1/users/1/meals", `{"food_id":1,"grams":1e-40}`, "grams"},
		{"grams negative zero", "POST", "/api/v1/users/1/meals", `{"food_id":1,"grams":-0}`, "grams"},
		{"grams huge", "POST", "/api/v1/users/1/meals", `{"food_id":1,"grams":1e308}`, "grams"},
		// eaten_at and day are timestamptz and date: PostgreSQL has no year 0.
		{"eaten_at in year 0", "POST", "/api/v1/users/1/meals", `{"food_id":1,"grams":10,"eaten_at":"0000-06-01T00:00:00Z"}`, "eaten_at"},
		{"eaten_at shifted into year 0 by its offset", "POST", "/api/v1/users/1/meals", `{"food_id":1,"grams":10,"eaten_at":"0001-01-01T00:30:00+01:00"}`, "eaten_at"},
		// The meal is answered in JSON, whose times stop at 9999 (UTC).
		{"eaten_at shifted into year 10000 by its offset", "POST", "/api/v1/users/1/meals", `{"food_id":1,"grams":10,"eaten_at":"9999-12-31T23:59:59-23:00"}`, "eaten_at"},
		{"daily totals of year 0", "GET", "/api/v1/users/1/meals/daily?date=0000-01-01", "", "date"},
		// The history cursor is microseconds since 1970 in an int64.
		{"cursor at the lowest int64", "GET", "/api/v1/users/1/conversations?before=-9223372036854775808_1", "", "before"},
		{"cursor before PostgreSQL's first day", "GET", "/api/v1/users/1/conversations?before=-300000000000000000_1", "", "before"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b, _ := c.do(tc.method, tc.path, tc.body)
			if code != 400 {
				t.Fatalf("%s %s %s: status %d, want 400; body %s", tc.method, tc.path, tc.body, code, b)
			}
			var e apiErr
			if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != "bad_request" || e.Error.Field != tc.field {
				t.Fatalf("error body %s, want bad_request naming field %q", b, tc.field)
			}
		})
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("hostile input logged errors:\n%s", logs.String())
	}
}

// TestEdgeInputStillServed checks that the bounds of the checks above are
// where the column types are, not tighter: the extremes PostgreSQL can hold
// are served.
func TestEdgeInputStillServed(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"smallest grams", "POST", "/api/v1/users/2/meals", `{"food_id":1,"grams":0.001}`, 201},
		{"largest grams", "POST", "/api/v1/users/2/meals", `{"food_id":1,"grams":5000}`, 201},
		{"eaten on the first day of year 1", "POST", "/api/v1/users/2/meals", `{"food_id":1,"grams":10,"eaten_at":"0001-01-01T00:00:00Z"}`, 201},
		{"eaten in year 9999", "POST", "/api/v1/users/2/meals", `{"food_id":1,"grams":10,"eaten_at":"9999-12-31T23:59:59Z"}`, 201},
		{"daily totals of year 1", "GET", "/api/v1/users/2/meals/daily?date=0001-01-01", "", 200},
		{"cursor at 1970", "GET", "/api/v1/users/2/conversations?before=0_1", "", 200},
		{"cursor at the highest int64 (year 294247)", "GET", "/api/v1/users/2/conversations?before=9223372036854775807_1", "", 200},
		{"unicode in search", "GET", "/api/v1/nutrition/search?q=" + "caf%C3%A9", "", 200},
		{"emoji in memory", "POST", "/api/v1/users/2/memory", `{"kind":"fact","content":"likes 🍵 \ud83c\udf75"}`, 201},
		{"huge food id is unknown, not an error", "POST", "/api/v1/users/2/meals", fmt.Sprintf(`{"food_id":%d,"grams":1}`, int64(1<<63-1)), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b, _ := c.do(tc.method, tc.path, tc.body)
			if code != tc.want {
				t.Fatalf("%s %s %s: status %d, want %d; body %s", tc.method, tc.path, tc.body, code, tc.want, b)
			}
		})
	}
}
