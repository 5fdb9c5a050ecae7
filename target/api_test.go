package target_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/agent"
	"github.com/loadgate/loadgate/target/store"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	c.key = "" // public route
	var h target.Health
	c.expect("GET", "/api/health", "", 200, &h)
	if h.Status != "ok" || h.Postgres != "ok" || h.Redis != "ok" || h.Profile != "optimized" || h.Version != "dev" {
		t.Fatalf("health = %+v", h)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	for _, tc := range []struct {
		name, key string
		want      int
	}{
		{"no key", "", 401},
		{"wrong key", "not-the-key", 401},
		{"seeded default key", "dev-key", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.key = tc.key
			code, b, _ := c.do("GET", "/api/v1/nutrition/foods/1", "")
			if code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, b)
			}
			if tc.want == 401 && !strings.Contains(string(b), `"code":"unauthorized"`) {
				t.Fatalf("401 body %s", b)
			}
		})
	}
}

func TestNutritionSearch(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	type result struct {
		Query   string          `json:"query"`
		Results []store.FoodHit `json:"results"`
	}
	for _, tc := range []struct {
		name, q, wantIn string
	}{
		{"exact word", "salmon", "salmon"},
		{"prefix", "bluebe", "blueberries"},
		{"misspelling", "brocoli", "broccoli"},
		{"case and spaces are normalized", "  Greek   YOGURT ", "greek yogurt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r result
			c.expect("GET", "/api/v1/nutrition/search?limit=5&q="+strings.ReplaceAll(tc.q, " ", "+"), "", 200, &r)
			if len(r.Results) == 0 || len(r.Results) > 5 {
				t.Fatalf("q=%q: %d results", tc.q, len(r.Results))
			}
			if !strings.Contains(strings.ToLower(r.Results[0].Name), tc.wantIn) {
				t.Fatalf("q=%q: first result %q, want one containing %q", tc.q, r.Results[0].Name, tc.wantIn)
			}
		})
	}
	var none result
	c.expect("GET", "/api/v1/nutrition/search?q=xqzvwk", "", 200, &none)
	if none.Results == nil || len(none.Results) != 0 {
		t.Fatalf("nonsense query: %+v, want an empty list", none)
	}
	for _, tc := range []struct{ name, query, field string }{
		{"missing q", "", "q"},
		{"limit zero", "q=egg&limit=0", "limit"},
		{"limit too big", "q=egg&limit=51", "limit"},
		{"limit not a number", "q=egg&limit=ten", "limit"},
		{"q too long", "q=" + strings.Repeat("a", 101), "q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e apiErr
			c.expect("GET", "/api/v1/nutrition/search?"+tc.query, "", 400, &e)
			if e.Error.Code != "bad_request" || e.Error.Field != tc.field {
				t.Fatalf("error %+v, want field %q", e.Error, tc.field)
			}
		})
	}
}

func TestFoodIsCached(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	hits := func() float64 { return c.metric(`loadgate_cache_requests_total{cache="food",result="hit"}`) }
	misses := func() float64 { return c.metric(`loadgate_cache_requests_total{cache="food",result="miss"}`) }
	h0, m0 := hits(), misses()
	var f1, f2 store.Food
	c.expect("GET", "/api/v1/nutrition/foods/7", "", 200, &f1)
	c.expect("GET", "/api/v1/nutrition/foods/7", "", 200, &f2)
	if f1 != f2 || f1.ID != 7 || f1.Name == "" {
		t.Fatalf("food 7: %+v then %+v", f1, f2)
	}
	// The first read may find food 7 in Redis from another test's server; the
	// second must be a hit of the memory tier.
	if hits()-h0 < 1 || hits()+misses()-h0-m0 != 2 {
		t.Fatalf("cache requests: hits %v→%v, misses %v→%v", h0, hits(), m0, misses())
	}
	if c.metric(`loadgate_cache_lookups_total{cache="food",result="hit",tier="memory"}`) < 1 {
		t.Fatal("no memory-tier hit counted")
	}
	var e apiErr
	c.expect("GET", "/api/v1/nutrition/foods/99999999", "", 404, &e)
	if e.Error.Code != "not_found" || strings.Contains(e.Error.Message, "SELECT") {
		t.Fatalf("404 body %+v", e)
	}
	c.expect("GET", "/api/v1/nutrition/foods/abc", "", 400, &e)
	c.expect("GET", "/api/v1/nutrition/foods/-3", "", 400, &e)
	if e.Error.Field != "id" {
		t.Fatalf("bad id error %+v", e)
	}
}

func TestPrometheusMetricsMove(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	req := `loadgate_http_requests_total{code="200",method="GET",route="nutrition_food"}`
	dur := `loadgate_http_request_duration_seconds_count{route="nutrition_food"}`
	r0, d0 := c.metric(req), c.metric(dur)
	c.expect("GET", "/api/v1/nutrition/foods/3", "", 200, nil)
	if c.metric(req) != r0+1 || c.metric(dur) != d0+1 {
		t.Fatalf("request counter %v→%v, histogram count %v→%v", r0, c.metric(req), d0, c.metric(dur))
	}
	c.expect("GET", "/no/such/route", "", 404, nil)
	if c.metric(`loadgate_http_requests_total{code="404",method="GET",route="other"}`) < 1 {
		t.Fatal("unmatched route not counted as other")
	}
	if c.metric("loadgate_db_pool_max_conns") < 4 {
		t.Fatal("pool max conns gauge below the optimized minimum")
	}
	if c.metric("go_goroutines") <= 0 || c.metric("process_resident_memory_bytes") <= 0 {
		t.Fatal("Go or process collector missing")
	}
	if c.metric("loadgate_db_pool_acquired_conns")+c.metric("loadgate_db_pool_idle_conns") < 1 {
		t.Fatal("pool gauges show no connection after a query")
	}
}

// Each statement is timed under its query name: a new user read from
// PostgreSQL counts once under "user", the cached second read not at all.
func TestDBQueryHistogram(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	user := `loadgate_db_query_duration_seconds_count{query="user"}`
	msg := `loadgate_db_query_duration_seconds_count{query="save_exchange"}`
	var u struct{ ID int64 }
	c.expect("POST", "/api/v1/users", fmt.Sprintf(`{"name":"Q","email":"q%d@example.test"}`, time.Now().UnixNano()), 201, &u)
	u0, m0 := c.metric(user), c.metric(msg)
	c.expect("GET", fmt.Sprintf("/api/v1/users/%d", u.ID), "", 200, nil)
	c.expect("GET", fmt.Sprintf("/api/v1/users/%d", u.ID), "", 200, nil)
	if got := c.metric(user); got != u0+1 {
		t.Fatalf("user query count %v→%v, want one more", u0, got)
	}
	c.expect("POST", "/api/v1/chat", `{"user_id":3,"message":"hello"}`, 200, nil)
	if got := c.metric(msg); got != m0+1 {
		t.Fatalf("save_exchange count %v→%v, want one more", m0, got)
	}
	if c.metric(`loadgate_db_query_duration_seconds_bucket{query="user",le="1"}`) < 1 {
		t.Fatal("no user query in the 1 s bucket")
	}
	var m target.MetricsReport
	c.expect("GET", "/api/v1/metrics", "", 200, &m)
	q := m.DBQueries["user"]
	if q == nil || q.Count < 1 || q.P95Ms <= 0 || q.P95Ms < q.P50Ms {
		t.Fatalf("user query stats %+v", q)
	}
	if m.DBQueryAll.Count <= q.Count || m.DBQueryAll.P95Ms <= 0 {
		t.Fatalf("all-query stats %+v beside user %+v", m.DBQueryAll, q)
	}
	if m.DBQueries["other"] != nil {
		t.Fatalf("a statement without a name: %+v", m.DBQueries["other"])
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	var before target.UserMemory
	c.expect("GET", "/api/v1/users/3/memory", "", 200, &before)
	if before.UserID != 3 || len(before.Profile) != 1 || len(before.Goals) == 0 {
		t.Fatalf("memory of user 3: %+v", before)
	}
	var m store.Memory
	c.expect("POST", "/api/v1/users/3/memory", `{"kind":"fact","content":"trains for a triathlon in Lisbon"}`, 201, &m)
	if m.ID == 0 || m.Kind != "fact" {
		t.Fatalf("created memory %+v", m)
	}
	// The write invalidated the cached memory.
	var after target.UserMemory
	c.expect("GET", "/api/v1/users/3/memory", "", 200, &after)
	if len(after.Facts) != len(before.Facts)+1 || after.Facts[0].Content != "trains for a triathlon in Lisbon" {
		t.Fatalf("facts after the write: %+v", after.Facts)
	}
	var found struct{ Results []store.Memory }
	c.expect("GET", "/api/v1/users/3/memory/search?q=triathlon", "", 200, &found)
	if len(found.Results) != 1 || found.Results[0].ID != m.ID {
		t.Fatalf("search triathlon: %+v", found)
	}
	c.expect("GET", "/api/v1/users/4/memory/search?q=triathlon", "", 200, &found)
	if len(found.Results) != 0 {
		t.Fatalf("another user's search sees the memory: %+v", found)
	}
	var e apiErr
	for _, tc := range []struct{ name, body, field string }{
		{"unknown kind", `{"kind":"secret","content":"x"}`, "kind"},
		{"empty content", `{"kind":"fact","content":"  "}`, "content"},
		{"unknown field", `{"kind":"fact","content":"x","extra":1}`, "extra"},
		{"wrong type", `{"kind":"fact","content":42}`, "content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.expect("POST", "/api/v1/users/3/memory", tc.body, 400, &e)
			if e.Error.Field != tc.field {
				t.Fatalf("error %+v, want field %q", e.Error, tc.field)
			}
		})
	}
	c.expect("POST", "/api/v1/users/3/memory", `{"kind":`, 400, &e)
	c.expect("POST", "/api/v1/users/999999/memory", `{"kind":"fact","content":"x"}`, 404, &e)
	c.expect("GET", "/api/v1/users/999999/memory", "", 404, &e)
	c.expect("GET", "/api/v1/users/3/memory/search", "", 400, &e)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	var u store.User
	c.expect("POST", "/api/v1/users", `{"name":"Test Person","email":"tp@example.test"}`, 201, &u)
	var got store.User
	c.expect("GET", fmt.Sprintf("/api/v1/users/%d", u.ID), "", 200, &got)
	if got.Name != "Test Person" || got.Email != "tp@example.test" {
		t.Fatalf("user %+v", got)
	}
	var e apiErr
	c.expect("POST", "/api/v1/users", `{"name":"Again","email":"tp@example.test"}`, 409, &e)
	c.expect("POST", "/api/v1/users", `{"name":"","email":"a@b.c"}`, 400, &e)
	c.expect("POST", "/api/v1/users", `{"name":"x","email":"nope"}`, 400, &e)
	if e.Error.Field != "email" {
		t.Fatalf("error %+v", e)
	}
	c.expect("GET", "/api/v1/users/0", "", 400, &e)
	c.expect("GET", "/api/v1/users/987654", "", 404, &e)
}

func TestBodyLimits(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	big := `{"user_id":1,"message":"` + strings.Repeat("a", target.MaxBodyBytes) + `"}`
	var e apiErr
	c.expect("POST", "/api/v1/chat", big, http.StatusRequestEntityTooLarge, &e)
	if e.Error.Code != "too_large" {
		t.Fatalf("413 body %+v", e)
	}
	c.expect("POST", "/api/v1/chat", `{"user_id":1,"message":"hi"} {}`, 400, &e)
	c.expect("POST", "/api/v1/chat", ``, 400, &e)
	c.expect("POST", "/api/v1/chat", `[1,2]`, 400, &e)
}

func TestConversationsKeyset(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	type page struct {
		UserID     int64           `json:"user_id"`
		Messages   []store.Message `json:"messages"`
		NextBefore string          `json:"next_before"`
	}
	// Walk user 5's whole history in pages of 7: newest first, no repeats.
	seen := map[int64]bool{}
	var all []store.Message
	path := "/api/v1/users/5/conversations?limit=7"
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		var p page
		c.expect("GET", path, "", 200, &p)
		for _, m := range p.Messages {
			if seen[m.ID] {
				t.Fatalf("message %d on two pages", m.ID)
			}
			seen[m.ID] = true
		}
		all = append(all, p.Messages...)
		if p.NextBefore == "" {
			break
		}
		if len(p.Messages) != 7 {
			t.Fatalf("a page with a next page has %d messages", len(p.Messages))
		}
		path = "/api/v1/users/5/conversations?limit=7&before=" + p.NextBefore
	}
	if len(all) < 20 {
		t.Fatalf("user 5 has %d messages, the seed gives more", len(all))
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID) {
			t.Fatalf("not newest first at %d: %v/%d then %v/%d", i, a.CreatedAt, a.ID, b.CreatedAt, b.ID)
		}
	}
	var e apiErr
	c.expect("GET", "/api/v1/users/5/conversations?before=garbage", "", 400, &e)
	if e.Error.Field != "before" {
		t.Fatalf("error %+v", e)
	}
	c.expect("GET", "/api/v1/users/5/conversations?limit=101", "", 400, &e)
	c.expect("GET", "/api/v1/users/999999/conversations", "", 404, &e)
}

// TestConcurrentXPAwardsAddUp: concurrent awards all count, in PostgreSQL
// and in the Redis leaderboard. The Redis timeout is generous: a call that
// took over the default 100 ms on a busy machine would skip Redis for the
// backoff and serve the XP from PostgreSQL.
func TestConcurrentXPAwardsAddUp(t *testing.T) {
	cfg := testConfig(t)
	cfg.RedisTimeout = 10 * time.Second
	c := start(t, cfg)
	var before store.XP
	c.expect("GET", "/api/v1/users/9/xp", "", 200, &before)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, b, _ := c.do("POST", "/api/v1/users/9/meals", `{"food_id":12,"grams":150}`)
			if code != 201 {
				errs <- fmt.Sprintf("status %d: %s", code, b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	var after struct {
		store.XP
		Source string
	}
	c.expect("GET", "/api/v1/users/9/xp", "", 200, &after)
	if after.Total != before.Total+n*5 {
		t.Fatalf("XP %d → %d after %d awards of 5, want %d", before.Total, after.Total, n, before.Total+n*5)
	}
	if after.Source != "redis" {
		t.Fatalf("optimized XP read from %q, want redis", after.Source)
	}
	var board struct {
		Entries []store.XP
		Source  string
	}
	c.expect("GET", "/api/v1/leaderboard?limit=100", "", 200, &board)
	found := false
	for i, x := range board.Entries {
		if i > 0 && x.Total > board.Entries[i-1].Total {
			t.Fatalf("leaderboard not sorted at %d", i)
		}
		if x.UserID == 9 {
			found = x.Total == after.Total && x.Rank == after.Rank
		}
	}
	if board.Source != "redis" || (after.Rank <= 50 && !found) {
		t.Fatalf("leaderboard from %s, user 9 (rank %d) found consistent: %v", board.Source, after.Rank, found)
	}
	var day store.DayTotals
	c.expect("GET", "/api/v1/users/9/meals/daily", "", 200, &day)
	if day.Meals != n || day.Kcal <= 0 {
		t.Fatalf("daily totals %+v, want %d meals", day, n)
	}
	var e apiErr
	c.expect("POST", "/api/v1/users/9/meals", `{"food_id":12,"grams":-1}`, 400, &e)
	c.expect("POST", "/api/v1/users/9/meals", `{"food_id":99999999,"grams":10}`, 404, &e)
	c.expect("GET", "/api/v1/users/9/meals/daily?date=yesterday", "", 400, &e)
	c.expect("GET", "/api/v1/leaderboard?limit=0", "", 400, &e)
}

func TestChat(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	var hist0 struct{ Messages []store.Message }
	c.expect("GET", "/api/v1/users/11/conversations?limit=1", "", 200, &hist0)
	var r target.ChatResponse
	resp := c.expect("POST", "/api/v1/chat", `{"user_id":11,"message":"How much protein does salmon have?"}`, 200, &r)
	if !strings.Contains(r.Reply, "salmon") || r.XPAwarded != 10 || r.XPTotal < 10 {
		t.Fatalf("chat reply %+v", r)
	}
	st := resp.Header.Get("Server-Timing")
	for _, part := range []string{"db;dur=", "cache;dur=", "llm;dur="} {
		if !strings.Contains(st, part) {
			t.Fatalf("Server-Timing %q lacks %s", st, part)
		}
	}
	var hist struct{ Messages []store.Message }
	c.expect("GET", "/api/v1/users/11/conversations?limit=2", "", 200, &hist)
	if len(hist.Messages) != 2 || hist.Messages[0].ID != r.ReplyMessageID || hist.Messages[1].ID != r.UserMessageID ||
		hist.Messages[0].Role != "assistant" || hist.Messages[0].Content != r.Reply {
		t.Fatalf("history after chat: %+v (reply %d, question %d)", hist.Messages, r.ReplyMessageID, r.UserMessageID)
	}
	// The same question again: the reply comes from the response cache.
	var again target.ChatResponse
	c.expect("POST", "/api/v1/chat", `{"user_id":11,"message":"how much protein does   SALMON have?"}`, 200, &again)
	if !again.Cached || again.Reply != r.Reply {
		t.Fatalf("repeated prompt: cached %v, reply %q vs %q", again.Cached, again.Reply, r.Reply)
	}
	// Another user naming salmon: its nutrition facts come from the
	// food_named cache, and the reply still carries them.
	named := `loadgate_cache_requests_total{cache="food_named",result="hit"}`
	h0 := c.metric(named)
	var other target.ChatResponse
	c.expect("POST", "/api/v1/chat", `{"user_id":12,"message":"Is salmon a good dinner?"}`, 200, &other)
	if h := c.metric(named); h < h0+1 || !strings.Contains(other.Reply, "salmon") || !strings.Contains(other.Reply, "kcal") {
		t.Fatalf("food_named hits %v→%v, reply %q", h0, h, other.Reply)
	}
	var e apiErr
	c.expect("POST", "/api/v1/chat", `{"user_id":0,"message":"hi"}`, 400, &e)
	if e.Error.Field != "user_id" {
		t.Fatalf("error %+v", e)
	}
	c.expect("POST", "/api/v1/chat", `{"user_id":11,"message":""}`, 400, &e)
	c.expect("POST", "/api/v1/chat", `{"user_id":"11","message":"hi"}`, 400, &e)
	if e.Error.Field != "user_id" {
		t.Fatalf("error %+v", e)
	}
	c.expect("POST", "/api/v1/chat", `{"user_id":999999,"message":"hi there"}`, 404, &e)
}

func TestMetricsJSON(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	c.expect("GET", "/api/v1/nutrition/foods/2", "", 200, nil)
	c.expect("GET", "/api/v1/nutrition/foods/2", "", 200, nil)
	var m target.MetricsReport
	c.expect("GET", "/api/v1/metrics", "", 200, &m)
	rs := m.Routes["nutrition_food"]
	if rs == nil || rs.Requests < 2 || rs.P95Ms <= 0 {
		t.Fatalf("route stats %+v", rs)
	}
	fc := m.Caches["food"]
	if fc == nil || fc.Hits < 1 || fc.HitRate <= 0 || fc.Tiers["memory"]["hit"] < 1 {
		t.Fatalf("food cache stats %+v", fc)
	}
	if m.Pool.Max < 4 || m.Goroutines <= 0 || m.Memory.HeapAllocBytes == 0 || !m.Redis.Available || m.Profile != "optimized" {
		t.Fatalf("report %+v", m)
	}
}

func TestChatWithOpenAIProvider(t *testing.T) {
	t.Parallel()
	var asked string
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		asked = req.Messages[len(req.Messages)-1].Content
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":"Eat more lentils."}}]}`))
	}))
	defer llm.Close()
	cfg := testConfig(t)
	cfg.LLM = agent.Config{Provider: "openai", BaseURL: llm.URL}
	c := start(t, cfg)
	var r target.ChatResponse
	c.expect("POST", "/api/v1/chat", `{"user_id":12,"message":"what should I eat for fibre, maybe lentils?"}`, 200, &r)
	if r.Reply != "Eat more lentils." || asked != "what should I eat for fibre, maybe lentils?" {
		t.Fatalf("reply %q, asked %q", r.Reply, asked)
	}
	var h target.Health
	c.expect("GET", "/api/health", "", 200, &h)
	if h.LLM != "openai" {
		t.Fatalf("health llm %q", h.LLM)
	}
	// The LLM failing is a 502 that names no internals.
	llm.Close()
	var e apiErr
	c.expect("POST", "/api/v1/chat", `{"user_id":12,"message":"and now something else entirely"}`, 502, &e)
	if e.Error.Code != "llm_unavailable" || strings.Contains(e.Error.Message, "127.0.0.1") {
		t.Fatalf("error %+v", e.Error)
	}
}

func TestPoolWaitMetricsMove(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.PoolSize = 1 // every concurrent query waits for the one connection
	c := start(t, cfg)
	w0, e0 := c.metric("loadgate_db_pool_acquire_wait_seconds_total"), c.metric("loadgate_db_pool_empty_acquire_total")
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.do("GET", fmt.Sprintf("/api/v1/users/%d/conversations?limit=50", i%10+1), "")
		}()
	}
	wg.Wait()
	if c.metric("loadgate_db_pool_max_conns") != 1 {
		t.Fatal("pool size not applied")
	}
	if e := c.metric("loadgate_db_pool_empty_acquire_total"); e <= e0 {
		t.Fatalf("empty acquires %v → %v after 12 concurrent queries on one connection", e0, e)
	}
	if w := c.metric("loadgate_db_pool_acquire_wait_seconds_total"); w <= w0 {
		t.Fatalf("acquire wait %v → %v", w0, w)
	}
}

// TestReadOneMeal: a logged meal reads back by the id it got, for its user
// only.
func TestReadOneMeal(t *testing.T) {
	t.Parallel()
	c := start(t, testConfig(t))
	var logged struct {
		Meal store.Meal `json:"meal"`
	}
	c.expect("POST", "/api/v1/users/7/meals", `{"food_id":12,"grams":150,"eaten_at":"2026-05-01T12:30:00Z"}`, 201, &logged)
	var got store.Meal
	c.expect("GET", fmt.Sprintf("/api/v1/users/7/meals/%d", logged.Meal.ID), "", 200, &got)
	if got != logged.Meal {
		t.Errorf("read back %+v, logged %+v", got, logged.Meal)
	}
	var e apiErr
	c.expect("GET", fmt.Sprintf("/api/v1/users/8/meals/%d", logged.Meal.ID), "", 404, &e)
	c.expect("GET", "/api/v1/users/7/meals/999999999", "", 404, &e)
	c.expect("GET", "/api/v1/users/7/meals/x", "", 400, &e)
	if e.Error.Field != "meal_id" {
		t.Errorf("bad meal id names field %q", e.Error.Field)
	}
	// The daily totals keep their route.
	var day store.DayTotals
	c.expect("GET", "/api/v1/users/7/meals/daily?date=2026-05-01", "", 200, &day)
	if day.Meals < 1 {
		t.Errorf("daily totals %+v", day)
	}
}
