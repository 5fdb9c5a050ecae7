package target_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/target"
)

// FuzzJSONHandlers posts arbitrary bodies to every JSON route: no panic, no
// 5xx, and every error is the documented JSON shape. Run it longer with
//
//	go test -run XXX -fuzz FuzzJSONHandlers -fuzztime 30s ./target/
func FuzzJSONHandlers(f *testing.F) {
	for _, seed := range []string{
		`{"user_id":1,"message":"hello"}`, `{"kind":"fact","content":"x"}`, `{"name":"a","email":"a@b"}`,
		`{"food_id":1,"grams":100}`, `{"food_id":1,"grams":1e400}`, `{"grams":"NaN"}`, `{"eaten_at":"yesterday"}`,
		`{"user_id":-1}`, `{"user_id":1.5}`, `null`, `[]`, `"s"`, `{`, `{"a":1}`, "", "\x00", `{"message":"\ud800"}`,
		`{"user_id":1,"message":"` + strings.Repeat("é", 4001) + `"}`,
	} {
		f.Add(seed)
	}
	s, err := target.New(context.Background(), testConfig(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	h := s.Handler()
	paths := []string{"/api/v1/chat", "/api/v1/users", "/api/v1/users/1/memory", "/api/v1/users/1/meals"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			req := httptest.NewRequest("POST", p, strings.NewReader(body))
			req.Header.Set("X-API-Key", "dev-key")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", p, body, rec.Code, rec.Body)
			}
			if rec.Code >= 400 {
				var e apiErr
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
					t.Fatalf("POST %s %q: error body %s", p, body, rec.Body)
				}
			}
		}
	})
}
