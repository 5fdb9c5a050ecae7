package target

import (
	"net/http"
	"time"

	"github.com/loadgate/loadgate/target/store"
)

// mealXP is awarded per logged meal.
const mealXP = 5

// The grams of a meal. grams and the macros computed from it are real
// (float4) columns and grams has CHECK (grams > 0): a smaller amount rounds
// to 0 or underflows in PostgreSQL's float4 products, which are errors there.
const (
	minGrams = 0.001
	maxGrams = 5000.0
)

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
	// Written so that NaN fails it too.
	if !(req.Grams >= minGrams && req.Grams <= maxGrams) {
		writeAPIError(w, badRequest("grams", "grams: want %g to %g", minGrams, maxGrams))
		return
	}
	at := time.Now()
	if req.EatenAt != nil {
		if aerr := checkTime("eaten_at", *req.EatenAt); aerr != nil {
			writeAPIError(w, aerr)
			return
		}
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
		if aerr := checkTime("date", t); aerr != nil {
			writeAPIError(w, aerr)
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

// GET /api/v1/users/{id}/meals/{meal_id}: one meal as logMeal returned it;
// 404 when the user has no meal of that id.
func (s *Server) getMeal(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	mealID, aerr := pathID(r, "meal_id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	m, err := s.store.Meal(r.Context(), id, mealID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
