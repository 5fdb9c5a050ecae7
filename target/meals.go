package target

import (
	"math"
	"net/http"
	"time"

	"github.com/loadgate/loadgate/target/store"
)

// mealXP is awarded per logged meal.
const mealXP = 5

type logMealRequest struct {
	FoodID int64   `json:"food_id"`
	Grams  float64 `json:"grams"`
	// EatenAt defaults to now.
	EatenAt *time.Time `json:"eaten_at"`
}

// POST /api/v1/users/{id}/meals {food_id, grams, eaten_at?}
func (s *Server) logMeal(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	var req logMealRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if req.FoodID <= 0 {
		writeAPIError(w, badRequest("food_id", "food_id: want a positive integer"))
		return
	}
	if !(req.Grams > 0 && req.Grams <= 5000) || math.IsNaN(req.Grams) {
		writeAPIError(w, badRequest("grams", "grams: want more than 0 and at most 5000"))
		return
	}
	at := time.Now()
	if req.EatenAt != nil {
		at = *req.EatenAt
	}
	m, total, err := s.store.LogMeal(r.Context(), id, req.FoodID, float32(req.Grams), at, mealXP)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.board.awarded(r.Context(), id, total)
	writeJSON(w, http.StatusCreated, struct {
		Meal      store.Meal `json:"meal"`
		XPAwarded int        `json:"xp_awarded"`
		XPTotal   int64      `json:"xp_total"`
	}{m, mealXP, total})
}

// GET /api/v1/users/{id}/meals/daily?date=YYYY-MM-DD (default today, UTC)
func (s *Server) dailyTotals(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	day := time.Now().UTC()
	if d := r.URL.Query().Get("date"); d != "" {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			writeAPIError(w, badRequest("date", "date %q: want YYYY-MM-DD", d))
			return
		}
		day = t
	}
	totals, err := s.store.DailyTotals(r.Context(), id, day)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, totals)
}
