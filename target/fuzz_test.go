package target_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target"
)

// The fuzzers' property, for every request they make: no panic, no 5xx, and
// every error is the documented JSON shape. Run them longer with
//
//	go test -run XXX -fuzz FuzzJSONHandlers -fuzztime 30s ./target/
//	go test -run XXX -fuzz FuzzQueryParams -fuzztime 30s ./target/
//	go test -run XXX -fuzz FuzzMealNumbers -fuzztime 30s ./target/

// fuzzHandler is a target on the package's database for a fuzzer.
func fuzzHandler(f *testing.F) http.Handler {
	s, err := target.New(context.Background(), testConfig(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	return s.Handler()
}

// neverServerError sends req and fails t on a 5xx or an error body that is
// not {"error":{"code","message"}}.
func neverServerError(t *testing.T, h http.Handler, req *http.Request, what string) {
	t.Helper()
	req.Header.Set("X-API-Key", "dev-key")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %s: %d %s", req.Method, req.URL, what, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var e apiErr
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %s %s: error body %s", req.Method, req.URL, what, rec.Body)
		}
	}
}

// FuzzJSONHandlers posts arbitrary bodies to every JSON route.
func FuzzJSONHandlers(f *testing.F) {
	for _, seed := range []string{
		`{"user_id":1,"message":"hello"}`, `{"kind":"fact","content":"x"}`, `{"name":"a","email":"a@b"}`,
		`{"food_id":1,"grams":100}`, `{"food_id":1,"grams":1e400}`, `{"grams":"NaN"}`, `{"eaten_at":"yesterday"}`,
		`{"user_id":-1}`, `{"user_id":1.5}`, `null`, `[]`, `"s"`, `{`, `{"a":1}`, "", "\x00", `{"message":"\ud800"}`,
		`{"user_id":1,"message":"` + strings.Repeat("é", 4001) + `"}`,
		// NUL bytes, which PostgreSQL's text refuses, escaped and raw.
		`{"user_id":1,"message":"salmon\u0000rice"}`, `{"kind":"goal","content":"\u0000"}`,
		`{"name":"a\u0000","email":"a@b.c"}`, `{"name":"ab","email":"a\u0000@b.c"}`, "{\"user_id\":1,\"message\":\"a\x00b\"}",
		// Invalid UTF-8 inside JSON strings.
		"{\"user_id\":1,\"message\":\"caf\xe9\"}", "{\"kind\":\"fact\",\"content\":\"\xff\xfe\xfd\"}", "{\"name\":\"\xc3\",\"email\":\"x@y\"}",
		// Extreme numbers.
		`{"food_id":1,"grams":1e-300}`, `{"food_id":1,"grams":1e308}`, `{"food_id":1,"grams":-0}`, `{"food_id":1,"grams":1e-45}`,
		`{"food_id":1,"grams":4.9e-324}`, `{"food_id":9223372036854775807,"grams":1}`, `{"food_id":9223372036854775808,"grams":1}`,
		`{"food_id":-9223372036854775808,"grams":1}`, `{"user_id":9223372036854775807,"message":"hi"}`, `{"user_id":1e300,"message":"hi"}`,
		`{"food_id":1,"grams":10,"eaten_at":"0000-01-01T00:00:00Z"}`, `{"food_id":1,"grams":10,"eaten_at":"9999-12-31T23:59:59-23:59"}`,
		// Streams, and the OpenAI-compatible route's requests.
		`{"user_id":1,"message":"hello","stream":true}`, `{"user_id":1,"message":"hello","stream":1}`,
		`{"messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"messages":[{"role":"user","content":"hi"}],"max_tokens":1}`, `{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}]}`,
		`{"messages":[{"role":"user","content":null}]}`, `{"messages":[{"role":"user"}],"max_tokens":1e9}`, `{"messages":null}`,
	} {
		f.Add(seed)
	}
	h := fuzzHandler(f)
	paths := []string{"/api/v1/chat", "/api/v1/users", "/api/v1/users/1/memory", "/api/v1/users/1/meals", "/v1/chat/completions"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			neverServerError(t, h, httptest.NewRequest("POST", p, strings.NewReader(body)), body)
		}
	})
}

// FuzzQueryParams sends arbitrary bytes (percent-encoded) as the query
// parameters and path ids of the GET routes.
func FuzzQueryParams(f *testing.F) {
	for _, seed := range []struct{ q, limit, date, before, id string }{
		{"salmon", "5", "2026-01-02", "1763138534400000_3687", "1"},
		{"egg\x00", "", "", "", "1"},
		{"\x00", "0", "0000-01-01", "-9223372036854775808_1", "0"},
		{"caf\xe9", "-1", "9999-12-31", "9223372036854775807_9223372036854775807", "9223372036854775807"},
		{"\xff\xfe", "9223372036854775808", "2026-02-30", "-300000000000000000_1", "9223372036854775808"},
		{"\xc3", "1e308", "+2026-01-01", "0_0", "-0"},
		{strings.Repeat("ü", 101), "50", "", "1_1", "1e3"},
		{`"phrase" -not or & | ! :* <->`, "1", "", "x_y", "%00"},
	} {
		f.Add(seed.q, seed.limit, seed.date, seed.before, seed.id)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, q, limit, date, before, id string) {
		v := url.Values{"q": {q}, "limit": {limit}, "date": {date}, "before": {before}}
		query := "?" + v.Encode()
		id = url.PathEscape(id)
		for _, p := range []string{
			"/api/v1/nutrition/search", "/api/v1/users/" + id + "/memory/search", "/api/v1/users/" + id + "/conversations",
			"/api/v1/users/" + id + "/meals/daily", "/api/v1/leaderboard", "/api/v1/users/" + id, "/api/v1/users/" + id + "/xp",
			"/api/v1/nutrition/foods/" + id, "/api/v1/users/" + id + "/memory",
		} {
			neverServerError(t, h, httptest.NewRequest("GET", p+query, nil), "")
		}
	})
}

// FuzzMealNumbers logs meals with arbitrary numbers: food ids, grams (as Go
// formats a float64, so NaN and ±Inf arrive as the invalid JSON they are) and
// times (Unix seconds, as RFC 3339).
func FuzzMealNumbers(f *testing.F) {
	for _, seed := range []struct {
		food  int64
		grams float64
		at    int64
	}{
		{1, 100, 1767225600},
		{1, 1e-300, 0},
		{1, 1e308, 0},
		{1, math.Copysign(0, -1), 0},
		{1, math.SmallestNonzeroFloat64, 0},
		{1, math.SmallestNonzeroFloat32, 0},
		{1, math.MaxFloat32 * 2, 0},
		{1, math.NaN(), 0},
		{1, math.Inf(-1), 0},
		{math.MaxInt64, 1, 0},
		{math.MinInt64, 1, 0},
		{1, 10, -62135596800 - 1}, // a second before the year 1
		{1, 10, 253402300799},     // 9999-12-31T23:59:59Z
		{1, 10, math.MaxInt64},
		{1, 10, math.MinInt64},
	} {
		f.Add(seed.food, seed.grams, seed.at)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, food int64, grams float64, at int64) {
		body := `{"food_id":` + strconv.FormatInt(food, 10) + `,"grams":` + strconv.FormatFloat(grams, 'g', -1, 64) +
			`,"eaten_at":"` + time.Unix(at, 0).UTC().Format(time.RFC3339) + `"}`
		neverServerError(t, h, httptest.NewRequest("POST", "/api/v1/users/1/meals", strings.NewReader(body)), body)
		date := time.Unix(at, 0).UTC().Format(time.DateOnly)
		neverServerError(t, h, httptest.NewRequest("GET", "/api/v1/users/1/meals/daily?date="+url.QueryEscape(date), nil), "")
	})
}
