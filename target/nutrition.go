package target

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/loadgate/loadgate/target/store"
)

// Limits of nutrition search.
const (
	maxQueryLen        = 100
	defaultSearchLimit = 10
	maxSearchLimit     = 50
)

// normalizeQuery lower-cases q and collapses its whitespace, so equal
// searches share a cache entry.
func normalizeQuery(q string) string {
	return strings.Join(strings.Fields(strings.ToLower(q)), " ")
}

// GET /api/v1/nutrition/search?q=&limit=
func (s *Server) searchFoods(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	raw := query.Get("q")
	if aerr := validText("q", raw); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	q := normalizeQuery(raw)
	if q == "" {
		writeAPIError(w, badRequest("q", "q: want a search term"))
		return
	}
	if utf8.RuneCountInString(q) > maxQueryLen {
		writeAPIError(w, badRequest("q", "q: at most %d characters", maxQueryLen))
		return
	}
	limit, aerr := queryLimit(query, defaultSearchLimit, maxSearchLimit)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	key := "search:" + strconv.Itoa(limit) + ":" + q
	body, _, err := cachedJSON(r.Context(), s.searches, key, func(ctx context.Context) (searchResult, error) {
		hits, err := s.store.SearchFoods(ctx, q, limit)
		if hits == nil {
			hits = []store.FoodHit{}
		}
		return searchResult{q, hits}, err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// searchResult is the body of GET /api/v1/nutrition/search.
type searchResult struct {
	Query   string          `json:"query"`
	Results []store.FoodHit `json:"results"`
}

// foodKey is the cache key of one food.
func foodKey(id int64) string {
	var buf [32]byte
	return string(strconv.AppendInt(append(buf[:0], "food:"...), id, 10))
}

// GET /api/v1/nutrition/foods/{id}
func (s *Server) getFood(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	body, err := s.foodJSON(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// foodJSON is the cached JSON of one food.
func (s *Server) foodJSON(ctx context.Context, id int64) ([]byte, error) {
	body, _, err := cachedJSON(ctx, s.foods, foodKey(id), func(ctx context.Context) (store.Food, error) {
		return s.store.GetFood(ctx, id)
	})
	return body, err
}
